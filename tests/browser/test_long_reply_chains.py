"""A comment with more replies than a page carries: one button shows the rest, in order, first
those the page holds and then those the widget fetches."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import DEMO_SLUG, post_comment, show_comments


def test_more_replies_come_in_order_from_one_button(demo, page):
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
    expect(item.locator(f"#comment-{answers[2]}")).to_be_visible()
    expect(item.locator(f"#comment-{answers[3]}")).to_be_hidden()
    expect(item.locator(f"#comment-{answers[50]}")).to_have_count(0)
    buttons = item.locator(":scope > button.more-replies")
    expect(buttons).to_have_count(1)
    expect(buttons).to_have_text("Show 50 more replies")

    buttons.click()  # the 47 this page carries, before anything later
    expect(item.locator(f"#comment-{answers[49]}")).to_be_visible()
    expect(item.locator(f"#comment-{answers[50]}")).to_have_count(0)
    expect(buttons).to_have_text("Show 3 more replies")

    buttons.click()  # then the three the page left out
    expect(item.locator(f"#comment-{answers[52]}")).to_be_visible()
    expect(buttons).to_have_count(0)
    shown = item.locator(":scope > ol.replies > li.comment:visible")
    expect(shown).to_have_count(53)
    expect(shown.nth(50)).to_contain_text("Answer number 50.")
