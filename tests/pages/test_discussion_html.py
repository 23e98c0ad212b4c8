"""The discussion as HTML: readers without JavaScript and search engines see the first page of
comments in the article page, marked up as schema.org Comments, and publishers can include the
same HTML in their own pages from a cacheable fragment."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from tests.pages.test_site import story  # noqa: F401  (fixture)
from tests.support import assert_error, posted

HOSTILE = "Ha </script><script>alert(1)</script> <!-- & <b>bold</b>"


class Island(HTMLParser):
    """The JSON the page puts beside the discussion for the widget, as a browser reads it."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.text: list[str] = []
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
            self.inside = "data-rejoinder-first-page" in dict(attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.text.append(data)


def read_page(html: str) -> Island:
    island = Island()
    island.feed(html)
    return island


def test_the_article_page_shows_its_comments_without_javascript(client, story):  # noqa: F811
    posted(client, "First *thoughts*.", thread=story, author_name="Olena")
    reply_to = posted(client, "A question.", thread=story, author_name="Taras")["comment"]["id"]
    posted(client, "An answer.", thread=story, author_name="Ivan", parent_id=reply_to)
    html = client.get(f"/articles/{story}").text
    assert "Comments (3)" in html
    assert "<em>thoughts</em>" in html and "An answer." in html
    assert html.count('itemtype="https://schema.org/Comment"') == 3
    assert '<span itemprop="name">Olena</span>' in html
    assert 'itemprop="comment"' in html  # the reply belongs to its parent
    assert re.search(r'itemprop="dateCreated" datetime="\d{4}-\d\d-\d\dT', html)


def test_the_page_beside_the_discussion_is_the_api_s_first_page(client, story):  # noqa: F811
    posted(client, "Shared by everyone.", thread=story)
    client.cookies.clear()  # as an anonymous reader, whose page is the shared one
    island = read_page(client.get(f"/articles/{story}").text)
    api = client.get("/api/comments", params={"thread": story}).json()
    assert json.loads("".join(island.text)) == api


def test_a_comment_cannot_end_the_page_s_json_or_add_a_script(client, story):  # noqa: F811
    posted(client, HOSTILE, thread=story)
    island = read_page(client.get(f"/articles/{story}").text)
    # Only the page's own scripts: the JSON, the embed and the transcript's module.
    sources = [script.get("src") for script in island.scripts]
    assert sources[:2] == [None, "/embed.js"] and len(sources) == 3
    assert (sources[2] or "").startswith("/static/article.js")
    assert "alert(1)" in json.loads("".join(island.text))["comments"][0]["html"]


def test_a_thread_nobody_has_commented_on_says_so(client, story):  # noqa: F811
    html = client.get(f"/articles/{story}").text
    assert "Comments (0)" in html and "No comments yet." in html


def test_a_spoiler_stays_covered_until_the_reader_opens_it(client, story):  # noqa: F811
    posted(client, "The ending.", thread=story, spoiler=True)
    html = client.get(f"/articles/{story}").text
    assert re.search(r"<details class=\"static-spoiler\">\s*<summary>", html)


def test_publishers_can_include_the_same_html_from_a_cacheable_fragment(client):
    posted(client, "Included elsewhere.", thread="their-story", author_name="Olena")
    response = client.get("/fragments/comments", params={"thread": "their-story"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "public" in response.headers["cache-control"]
    assert response.headers["access-control-allow-origin"] == "*"
    html = response.text
    assert "Included elsewhere." in html and 'itemtype="https://schema.org/Comment"' in html
    assert "<script" not in html and "<style" not in html
    assert not re.search(r"\son\w+=", html)  # no event handler attributes
    again = client.get(
        "/fragments/comments",
        params={"thread": "their-story"},
        headers={"If-None-Match": response.headers["etag"]},
    )
    assert again.status_code == 304
    posted(client, "A newer one.", thread="their-story")
    fresh = client.get(
        "/fragments/comments",
        params={"thread": "their-story"},
        headers={"If-None-Match": response.headers["etag"]},
    )
    assert fresh.status_code == 200 and "A newer one." in fresh.text


def test_the_fragment_of_a_hostile_comment_is_inert(client):
    posted(client, HOSTILE, thread="their-story")
    html = client.get("/fragments/comments", params={"thread": "their-story"}).text
    assert "<script" not in html and "<b>" not in html
    assert "&lt;/script&gt;" in html or "&lt;script&gt;" in html


def test_a_bad_thread_key_for_the_fragment_is_a_clear_error(client):
    assert_error(client.get("/fragments/comments", params={"thread": ""}), 400, "thread")
    assert_error(client.get("/fragments/comments"), 400, "thread")
