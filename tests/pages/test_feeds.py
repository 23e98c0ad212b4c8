"""Atom feeds: a thread's latest comments, the whole site's, and the latest stories, read as
a feed reader reads them (feedparser), threaded by RFC 4685, with comments on show only,
served from the read cache with ETags, and never a way for a comment to inject markup."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import feedparser
import pytest
from lxml import etree

from tests.pages.test_site import store_article, story  # noqa: F401  (fixture)
from tests.support import THREAD, add_moderator, assert_error, moderate, posted, sign_in

COMMENTS = "/feeds/comments.atom"
ARTICLES = "/feeds/articles.atom"
ORIGIN = "http://testserver.local"
ATOM = "{http://www.w3.org/2005/Atom}"
PUBLISHER = "https://news.example"


def fetch(client, path=COMMENTS, headers=None, **params):
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    return response


def read_feed(client, path=COMMENTS, **params):
    parsed = feedparser.parse(fetch(client, path, **params).content)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


def entry_id(comment: dict) -> str:
    day = datetime.fromisoformat(comment["created_at"]).date().isoformat()
    return f"tag:testserver.local,{day}:comment-{comment['id']}"


def contents(parsed) -> list[str]:
    return [entry.content[0].value for entry in parsed.entries]


def test_a_threads_feed_has_its_comments_newest_first(client, story):  # noqa: F811
    first = posted(client, "First *thoughts*.", thread=story, author_name="Olena")["comment"]
    second = posted(client, "Second.", thread=story, author_name="Taras")["comment"]
    parsed = read_feed(client, thread=story)
    assert parsed.feed.title == "Comments on “Surge in deserters”"
    assert parsed.feed.id == f"{ORIGIN}{COMMENTS}?thread={story}"
    assert parsed.feed.link == f"{ORIGIN}/articles/{story}"
    assert [entry.id for entry in parsed.entries] == [entry_id(second), entry_id(first)]
    newest, oldest = parsed.entries
    assert newest.author == "Taras" and oldest.author == "Olena"
    assert oldest.title == "Olena on “Surge in deserters”"
    assert oldest.content[0].type == "text/html"
    assert oldest.content[0].value == first["html"] == "<p>First <em>thoughts</em>.</p>"
    assert oldest.link == f"{ORIGIN}/articles/{story}#comment-{first['id']}"
    written = datetime.fromisoformat(first["created_at"]).replace(microsecond=0)
    assert datetime.fromisoformat(oldest.published) == written
    assert oldest.updated == oldest.published


def test_a_reply_names_the_comment_it_answers(client, story):  # noqa: F811
    question = posted(client, "A question.", thread=story)["comment"]
    answer = posted(client, "An answer.", thread=story, parent_id=question["id"])["comment"]
    deeper = posted(client, "And more.", thread=story, parent_id=answer["id"])["comment"]
    entries = {entry.id: entry for entry in read_feed(client, thread=story).entries}
    assert "thr_in-reply-to" not in entries[entry_id(question)]
    for reply, parent in ((answer, question), (deeper, answer)):
        answered = entries[entry_id(reply)]["thr_in-reply-to"]
        assert answered["ref"] == entry_id(parent)
        assert answered["href"] == f"{ORIGIN}/articles/{story}#comment-{parent['id']}"
    raw = fetch(client, thread=story).text
    assert 'xmlns:thr="http://purl.org/syndication/thread/1.0"' in raw


def test_an_edit_keeps_the_entry_id_and_moves_its_updated_date(client, clock):
    created = posted(client, "Original.")
    clock.advance(60)
    edited = client.patch(
        f"/api/comments/{created['comment']['id']}",
        json={"body": "Edited."},
        headers={"X-Edit-Token": created["edit_token"]},
    )
    assert edited.status_code == 200, edited.text
    (entry,) = read_feed(client, thread=THREAD).entries
    assert entry.id == entry_id(created["comment"])
    assert entry.content[0].value == "<p>Edited.</p>"
    assert entry.updated_parsed > entry.published_parsed


def test_no_feed_shows_a_comment_that_is_not_on_show(make_client, database_url):
    client, shade = make_client(), make_client()
    add_moderator(database_url)
    csrf = sign_in(client)
    posted(client, "On show.")
    rejected = posted(client, "Rejected words.")["comment"]["id"]
    moderate(client, csrf, rejected, "reject")
    gone = posted(client, "Deleted words.")
    assert (
        client.delete(
            f"/api/comments/{gone['comment']['id']}", headers={"X-Edit-Token": gone["edit_token"]}
        ).status_code
        == 204
    )
    placeholder = posted(client, "A deleted question.")
    posted(client, "An answer that stays.", parent_id=placeholder["comment"]["id"])
    client.delete(
        f"/api/comments/{placeholder['comment']['id']}",
        headers={"X-Edit-Token": placeholder["edit_token"]},
    )
    client.post("/admin/settings", data={"csrf": csrf, "mode": "pre"})
    assert posted(client, "Pending words.")["status"] == "pending"
    client.post("/admin/settings", data={"csrf": csrf, "mode": "post"})
    shadowed = posted(shade, "Shadow words.", author_name="Shade")["comment"]["id"]
    moderate(client, csrf, shadowed, "shadowban")
    posted(shade, "More shadow words.", author_name="Shade")
    # Read as the shadow-banned author, who would see their own comments on the page.
    for parsed in (read_feed(shade, thread=THREAD), read_feed(shade)):
        assert contents(parsed) == ["<p>An answer that stays.</p>", "<p>On show.</p>"]


def test_the_sites_feed_has_every_threads_latest_comments_linked_to_their_pages(make_client):
    client = make_client(allowed_origins=(PUBLISHER,))
    embedded = posted(
        client,
        "On the publisher's page.",
        thread="embedded-story",
        thread_title="An embedded story",
        thread_url=f"{PUBLISHER}/story?id=7#top",
    )["comment"]
    unplaced = posted(client, "Somewhere unknown.")["comment"]
    parsed = read_feed(client)
    assert parsed.feed.title == "Latest comments on Rejoinder News"
    assert parsed.feed.link == f"{ORIGIN}/"
    newest, oldest = parsed.entries
    assert newest.id == entry_id(unplaced) and "links" not in newest
    assert newest.title == f"Reader on “{THREAD}”"
    assert oldest.title == "Reader on “An embedded story”"
    assert oldest.link == f"{PUBLISHER}/story?id=7#comment-{embedded['id']}"
    embedded_feed = read_feed(client, thread="embedded-story")
    assert embedded_feed.feed.link == f"{PUBLISHER}/story?id=7"


def test_the_articles_feed_lists_the_stories_newest_first(client, database_url, tmp_path):
    store_article(database_url, tmp_path, "older", "The older story", "2023-01-01T00:00:00Z")
    store_article(database_url, tmp_path, "newer", "The newer story", "2024-01-01T00:00:00Z")
    parsed = read_feed(client, ARTICLES)
    assert parsed.feed.title == "Latest stories from Rejoinder News"
    assert [entry.title for entry in parsed.entries] == ["The newer story", "The older story"]
    newer = parsed.entries[0]
    assert newer.id == newer.link == f"{ORIGIN}/articles/newer"
    assert newer.author == "Anya Korzun"
    assert newer.summary == "What the numbers say."
    assert newer.content[0].value == "<p>The <em>body</em> of the story.</p>"
    assert [tag.term for tag in newer.tags] == ["Explained"]
    assert newer.published.startswith("2024-01-01T00:00:00")


def test_a_reader_with_the_current_feed_gets_304_and_the_feed_is_written_once(client):
    posted(client)
    reads = client.app.state.reads
    for path, params in ((COMMENTS, {"thread": THREAD}), (COMMENTS, {}), (ARTICLES, {})):
        misses = reads.misses
        first = fetch(client, path, **params)
        assert fetch(client, path, **params).content == first.content
        assert reads.misses == misses + 1
        etag = first.headers["etag"]
        again = client.get(path, params=params, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        assert first.headers["cache-control"].startswith("public")


def test_a_new_comment_is_in_the_very_next_read_of_both_feeds(make_client):
    one, other = make_client(), make_client()
    posted(one, "First.")
    before = {params: fetch(other, **dict(params)) for params in ((("thread", THREAD),), ())}
    posted(one, "Second.")
    for params, old in before.items():
        new = other.get(
            COMMENTS, params=dict(params), headers={"If-None-Match": old.headers["etag"]}
        )
        assert new.status_code == 200 and new.headers["etag"] != old.headers["etag"]
        assert contents(feedparser.parse(new.content)) == ["<p>Second.</p>", "<p>First.</p>"]


def test_a_comment_that_waits_for_a_moderator_changes_no_feed(client, database_url):
    add_moderator(database_url)
    csrf = sign_in(client)
    posted(client, "On show.")
    client.post("/admin/settings", data={"csrf": csrf, "mode": "pre"})
    etag = fetch(client).headers["etag"]
    assert posted(client, "Pending words.")["status"] == "pending"
    assert client.get(COMMENTS, headers={"If-None-Match": etag}).status_code == 304


def test_an_unknown_thread_is_a_404_in_the_one_error_shape(client):
    response = client.get(COMMENTS, params={"thread": "no-such-story"})
    error = assert_error(response, 404, "thread")
    assert error["code"] == "not_found"


@pytest.mark.parametrize("thread", ["", "x" * 513, "bad\x01key"])
def test_a_bad_thread_key_is_a_400(client, thread):
    assert_error(client.get(COMMENTS, params={"thread": thread}), 400, "thread")


def test_an_article_nobody_has_commented_on_has_an_empty_feed(client, story):  # noqa: F811
    parsed = read_feed(client, thread=story)
    assert parsed.entries == []
    assert parsed.feed.title == "Comments on “Surge in deserters”"
    assert parsed.feed.updated.startswith("2023-12-08T09:00:00")


def test_a_hostile_comment_cannot_inject_markup_into_a_feed(client):
    body = "Ha </content><script>alert(1)</script> & <b>bold</b> ]]> &amp;"
    created = posted(client, body, author_name="Tom & Jerry")["comment"]
    for params in ({"thread": THREAD}, {}):
        raw = fetch(client, **params).content
        assert b"<script" not in raw and b"<b>" not in raw
        root = etree.fromstring(raw)
        (entry,) = root.findall(f"{ATOM}entry")
        assert entry.findtext(f"{ATOM}content") == created["html"]
        assert "&lt;script&gt;" in created["html"] and "&amp;" in created["html"]
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Tom & Jerry"
        parsed = feedparser.parse(raw)
        assert not parsed.bozo
        assert "<script" not in parsed.entries[0].content[0].value


def test_spoilers_stay_covered_in_feeds(client):
    covered = posted(client, "The butler did it.", spoiler=True)["comment"]
    inline = posted(client, "It ends ||in tears||.")["comment"]
    posted(client, "No secrets here.")
    raw = fetch(client, thread=THREAD).text
    assert "butler" not in raw and "tears" not in raw
    parsed = read_feed(client, thread=THREAD)
    notices = contents(parsed)[1:]
    assert all("behind a spoiler cover" in notice for notice in notices)
    assert {entry.id for entry in parsed.entries[1:]} == {entry_id(covered), entry_id(inline)}


def test_feeds_speak_the_sites_language(make_client, database_url, tmp_path):
    client = make_client(language="de")
    store_article(database_url, tmp_path)
    posted(client, "Gut.", thread="deserters", author_name="Jana")
    parsed = read_feed(client, thread="deserters")
    assert parsed.feed.title == "Kommentare zu „Surge in deserters“"
    assert parsed.entries[0].title == "Jana zu „Surge in deserters“"
    assert read_feed(client).feed.title == "Neueste Kommentare auf Rejoinder News"


def test_the_front_page_and_the_article_page_name_their_feeds(client, story):  # noqa: F811
    links = re.compile(r'<link rel="alternate" type="application/atom\+xml" href="([^"]+)"')
    home = links.findall(client.get("/").text)
    assert home == [ARTICLES, COMMENTS]
    article = links.findall(client.get(f"/articles/{story}").text)
    assert article == [f"{COMMENTS}?thread={story}", ARTICLES, COMMENTS]
    for href in {*home, *article}:
        assert client.get(href).status_code == 200


def test_characters_xml_cannot_hold_do_not_break_a_feed():
    from rejoinder.web.pages import atom

    moment = datetime(2026, 12, 7, tzinfo=UTC)
    entry = atom.Entry(
        "tag:x,2026-12-07:comment-1", "t", None, moment, moment, "A\x01n", "\x0b\ud800"
    )
    raw = atom.feed(atom.Head("https://x/feed", "Feed\x1f", None, moment), [entry])
    parsed = feedparser.parse(raw)
    assert not parsed.bozo
    assert parsed.feed.title == "Feed\ufffd" and parsed.entries[0].author == "A\ufffdn"
