"""A comment with more replies than a page carries: the widget fetches the rest on request."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import DEMO_SLUG, post_comment, show_comments


def test_load_more_replies_fetches_the_replies_the_page_left_out(demo, page):
    root = post_comment(demo, "A question many people answer.")["comment"]["id"]
    answers = [
        post_comment(demo, f"Answer number {n}.", parent_id=root)["comment"]["id"]
        for n in range(53)
    ]
    page.goto(f"{demo.url}/articles/{DEMO_SLUG}")
    widget = page.locator("rejoinder-comments")
    show_comments(widget)
    widget.get_by_role("button", name="Newest").click()
    item = widget.locator(f"#comment-{root}")
    expect(item.locator(f"#comment-{answers[49]}")).to_be_attached()
    expect(item.locator(f"#comment-{answers[50]}")).to_have_count(0)
    item.get_by_role("button", name="Load more replies").click()
    expect(item.locator(f"#comment-{answers[52]}")).to_be_visible()
    expect(item.get_by_role("button", name="Load more replies")).to_have_count(0)
