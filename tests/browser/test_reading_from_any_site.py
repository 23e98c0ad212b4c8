"""The discussion reads from any site; where it cannot be joined, or the server cannot be
reached, the widget says so in words."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PublisherSite

NETWORK = "Could not reach the comments server. Check your connection and try again."


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublisherSite]:
    """A site the publisher did not list in REJOINDER_ALLOWED_ORIGINS (another port, so
    another origin), embedding the same discussion: a blog quoting the article, say."""
    site = PublisherSite(tmp_path_factory.mktemp("elsewhere"))
    yield site
    site.close()


def words_on_show(widget) -> str:
    return widget.evaluate("(element) => element.shadowRoot.textContent")


def test_a_site_not_listed_shows_the_comments_and_says_it_cannot_post(demo, elsewhere, page):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    url = elsewhere.story("quote.html", demo)
    page.goto(url)
    widget = page.locator("rejoinder-comments")
    expect(widget.get_by_role("heading", name=re.compile(r"Comments \([1-9]"))).to_be_visible()
    widget.get_by_role("button", name="Show comments").click()
    expect(widget.locator(".author")).to_have_text(["John", "Mr Person"])
    expect(widget.get_by_text("Comments can't be posted from this site.")).to_be_visible()
    expect(widget.locator("form")).to_have_count(0)
    # Nothing on show would only fail when pressed.
    expect(widget.get_by_role("button", name="Reply")).to_have_count(0)
    expect(widget.get_by_role("button", name="Report")).to_have_count(0)
    expect(widget.locator(".vote").first).to_be_disabled()
    # The spoiler covers still open: reading needs no permission.
    widget.locator(".spoiler-cover").first.click()
    expect(widget.locator(".spoiler-cover")).to_have_count(1)
    assert "null" not in words_on_show(widget)
    assert errors == []


def test_a_read_refused_with_credentials_after_another_found_the_way_is_retried(
    demo, elsewhere, page
):
    """Found when the server was slow: the first page was asked for with credentials while
    the count was on its way; the count, refused, retried without them and marked the widget
    read-only, and the page's refusal, arriving after that, was taken for a network failure
    ("Could not reach the comments server") instead of being retried the same way."""
    held: dict[str, list] = {"counts": [], "comments": []}
    page.route("**/api/counts?*", lambda route: held["counts"].append(route))
    page.route("**/api/comments?*", lambda route: held["comments"].append(route))

    def wait_for(kind: str, number: int) -> None:
        for _ in range(200):
            if len(held[kind]) >= number:
                return
            page.wait_for_timeout(25)
        raise AssertionError(f"{kind}: {len(held[kind])} requests, expected {number}")

    page.goto(elsewhere.story("race.html", demo))
    widget = page.locator("rejoinder-comments")
    wait_for("counts", 1)
    widget.get_by_role("button", name="Show comments").click()
    wait_for("comments", 1)  # sent with credentials: nothing says read-only yet
    held["counts"][0].continue_()  # refused with credentials
    wait_for("counts", 2)
    held["counts"][1].continue_()  # answered without: the widget is read-only now
    expect(widget.get_by_role("heading", name=re.compile(r"Comments \([1-9]"))).to_be_visible()
    held["comments"][0].continue_()  # its refusal arrives only now
    wait_for("comments", 2)
    held["comments"][1].continue_()
    expect(widget.locator(".author")).to_have_text(["John", "Mr Person"])
    assert NETWORK not in words_on_show(widget)


def test_the_ukrainian_widget_says_it_in_ukrainian(demo, elsewhere, page):
    url = elsewhere.story("quote-uk.html", demo, lang="uk", extra=' data-rejoinder-lang="uk"')
    page.goto(url)
    widget = page.locator("rejoinder-comments")
    widget.get_by_role("button", name="Показати коментарі").click()
    expect(widget.locator("li.comment").first).to_be_visible()
    expect(widget.get_by_text("З цього сайту не можна надсилати коментарі.")).to_be_visible()


def test_a_lost_connection_is_told_in_words(demo, publisher, page):
    url = publisher.story("offline.html", demo)
    page.route(re.compile(r"/api/comments\?"), lambda route: route.abort("internetdisconnected"))
    page.goto(url)
    widget = page.locator("rejoinder-comments")
    widget.get_by_role("button", name="Show comments").click()
    expect(widget.locator(".status")).to_have_text(NETWORK)
    assert "null" not in words_on_show(widget)


def test_a_lost_connection_is_told_in_ukrainian(demo, publisher, page):
    url = publisher.story("offline-uk.html", demo, lang="uk", extra=' data-rejoinder-lang="uk"')
    page.route(re.compile(r"/api/"), lambda route: route.abort("connectionrefused"))
    page.goto(url)
    widget = page.locator("rejoinder-comments")
    widget.get_by_role("button", name="Показати коментарі").click()
    expect(widget.locator(".status")).to_have_text(
        "Не вдалося з’єднатися з сервером коментарів. Перевірте з’єднання і спробуйте ще."
    )
    assert "null" not in words_on_show(widget)
