"""A publisher's article list: ``count.js`` fills every story's comment count in the reader's
words with one request, and keeps up with stories added after load; ``embed.js`` mounts a
discussion added after load too."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_SLUG

LIST = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Latest stories</title></head>
<body><h1>Latest stories</h1>
<ul id="stories">
  <li>Deserters, explained <span id="first" data-rejoinder-count="{slug}">comments</span></li>
  <li>A quiet story <span id="quiet" data-rejoinder-count="nobody-has-commented"></span></li>
</ul>
<script src="{server}/count.js" async></script>
<script src="{server}/embed.js" async></script>
</body></html>"""

MORE_STORIES = """([slug]) => {
  const list = document.getElementById("stories");
  for (const [id, key, lang] of [["later-uk", slug, "uk"], ["later-a", "later-a", ""],
                                 ["later-b", "later-a", ""]]) {
    const item = document.createElement("li");
    const count = document.createElement("span");
    count.id = id;
    count.setAttribute("data-rejoinder-count", key);
    if (lang) count.setAttribute("data-rejoinder-lang", lang);
    item.append("A story loaded by scrolling ", count);
    list.append(item);
  }
}"""


def count_requests(page) -> list[str]:
    asked: list[str] = []
    page.on("request", lambda request: "/api/counts" in request.url and asked.append(request.url))
    return asked


def test_the_count_script_fills_a_list_and_the_stories_added_later_in_one_request_each(
    demo, publisher, page
):
    stored = httpx.get(f"{demo.url}/api/counts", params={"thread": DEMO_SLUG}).json()["counts"]
    n = stored[DEMO_SLUG]
    assert n == 2  # the reference article's two guest comments
    asked = count_requests(page)
    page.goto(publisher.page("list.html", LIST.format(slug=DEMO_SLUG, server=demo.url)))
    expect(page.locator("#first")).to_have_text("2 comments")
    expect(page.locator("#quiet")).to_have_text("0 comments")
    assert len(asked) == 1

    page.evaluate(MORE_STORIES, [DEMO_SLUG])
    expect(page.locator("#later-uk")).to_have_text("2 коментарі")
    expect(page.locator("#later-a")).to_have_text("0 comments")
    expect(page.locator("#later-b")).to_have_text("0 comments")
    expect(page.locator("#later-b")).to_have_attribute("data-rejoinder-comments", "0")
    assert len(asked) == 2  # the three new stories in one batch
    assert asked[1].count("thread=") == 2  # the same thread twice is asked for once


def test_a_discussion_placed_after_load_is_mounted(demo, publisher, page):
    page.goto(publisher.page("later.html", LIST.format(slug=DEMO_SLUG, server=demo.url)))
    expect(page.locator("#first")).to_have_text("2 comments")
    page.evaluate(
        """([slug]) => {
          const place = document.createElement("div");
          place.setAttribute("data-rejoinder-thread", slug);
          document.body.append(place);
        }""",
        [DEMO_SLUG],
    )
    widget = page.locator("rejoinder-comments")
    expect(widget.get_by_role("heading", name="Comments (2)")).to_be_visible()
    expect(widget).to_have_count(1)
