"""Long things on a phone: a comment with more replies than a page carries (one button shows
the rest, in order, first those the page holds and then those the widget fetches), and a
comment of thousands of words (folded, with "Read more")."""

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
    best_first = widget.locator(f"#comment-{root}").element_handle()
    widget.get_by_role("button", name="Newest").click()
    # Wait for the newest-first page to replace the first one: a click before that lands on
    # a button the new page throws away.
    best_first.wait_for_element_state("hidden")
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


def test_a_very_long_comment_is_folded_until_the_reader_asks_for_the_rest(demo, browser):
    words = " ".join(f"word{n}" for n in range(1500))[:9_990]
    long_one = post_comment(demo, words)["comment"]["id"]
    short_one = post_comment(demo, "Short and sweet.")["comment"]["id"]
    context = browser.new_context(viewport={"width": 360, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{demo.url}/articles/{DEMO_SLUG}")
        widget = page.locator("rejoinder-comments")
        show_comments(widget)
        item = widget.locator(f"#comment-{long_one}")
        more = item.get_by_role("button", name="Read more")
        expect(more).to_have_attribute("aria-expanded", "false")
        folded = item.locator(".text").bounding_box()["height"]
        assert folded < 300, f"folded, the comment is {folded} px tall"
        more.click()
        less = item.get_by_role("button", name="Show less")
        expect(less).to_have_attribute("aria-expanded", "true")
        assert item.locator(".text").bounding_box()["height"] > 1500
        last_word = words.split()[-1]
        expect(item.get_by_text(last_word, exact=False)).to_be_visible()
        less.click()
        expect(item.get_by_role("button", name="Read more")).to_be_visible()
        short = widget.locator(f"#comment-{short_one}")
        expect(short.get_by_role("button", name="Read more")).to_have_count(0)
    finally:
        context.close()
