"""The article page's discussion as the server renders it: readable with JavaScript off, and
taken over by the widget, open, without a second download of the same page."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import DEMO_SLUG, TIMEOUT_MS


def test_without_javascript_the_article_page_shows_the_comments(demo, browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(f"{demo.url}/articles/{DEMO_SLUG}")
        discussion = page.locator(".static-discussion")
        expect(discussion.get_by_role("heading", name="Comments (2)")).to_be_visible()
        expect(discussion.locator(".static-author")).to_have_text(["John", "Mr Person"])
        # Both demo comments are spoilers: covered, and opened without a script.
        first = discussion.locator("details.static-spoiler").first
        first.locator("summary").click()
        expect(first.locator(".static-body")).to_be_visible()
        expect(page.get_by_text("Voting, replying and posting need JavaScript.")).to_be_visible()
    finally:
        context.close()


def test_the_widget_takes_over_open_without_downloading_the_first_page_again(demo, page):
    asked: list[str] = []
    page.on("request", lambda r: "/api/comments" in r.url and asked.append(r.url))
    page.goto(f"{demo.url}/articles/{DEMO_SLUG}")
    widget = page.locator("rejoinder-comments")
    expect(widget.get_by_role("button", name="Hide comments")).to_be_visible()
    expect(widget.locator(".author")).to_have_text(["John", "Mr Person"])
    expect(page.locator(".static-discussion")).to_have_count(0)
    assert asked == []  # the page beside the placeholder was the first page
    widget.get_by_role("button", name="Newest").click()
    expect(widget.locator(".author")).to_have_count(2)
    assert len(asked) == 1  # another order is asked for as before
