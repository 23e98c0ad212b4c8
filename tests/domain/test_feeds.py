"""What the feeds call a comment and where they send a reader to read it."""

from __future__ import annotations

from datetime import UTC, datetime

from rejoinder.domain.feeds import (
    FeedComment,
    FeedThread,
    comment_entry_id,
    comment_link,
    hides_spoiler,
    thread_link,
)

ORIGIN = "https://comments.example"


def thread(key: str = "story", url: str | None = None, article: bool = False) -> FeedThread:
    return FeedThread(key=key, title=None, url=url, article=article)


def comment(html: str = "<p>Hi.</p>", spoiler: bool = False) -> FeedComment:
    return FeedComment(
        id=7,
        parent_id=None,
        parent_created_at=None,
        author_name="Ann",
        html=html,
        spoiler=spoiler,
        created_at=datetime(2026, 12, 7, 23, 59, tzinfo=UTC),
        edited_at=None,
        thread=thread(),
    )


def test_a_comments_entry_id_is_a_tag_uri_of_the_host_and_the_day_it_was_written():
    written = datetime(2026, 12, 7, 23, 59, tzinfo=UTC)
    assert comment_entry_id("news.example", 42, written) == "tag:news.example,2026-12-07:comment-42"


def test_an_articles_comment_links_to_the_article_page():
    assert comment_link(ORIGIN, thread(article=True), 3) == f"{ORIGIN}/articles/story#comment-3"


def test_an_embedded_threads_comment_links_to_the_publishers_page_without_its_fragment():
    found = thread(url="https://news.example/a?id=1#top")
    assert comment_link(ORIGIN, found, 3) == "https://news.example/a?id=1#comment-3"


def test_a_key_that_is_an_address_is_the_page_when_no_address_was_given():
    assert thread_link(ORIGIN, thread(key="https://news.example/b")) == "https://news.example/b"


def test_a_thread_with_no_known_page_has_no_link():
    assert thread_link(ORIGIN, thread(key="javascript:alert(1)")) is None
    assert comment_link(ORIGIN, thread(), 3) is None


def test_a_spoiler_cover_or_an_inline_spoiler_keeps_the_comment_out_of_a_feed():
    assert hides_spoiler(comment(spoiler=True))
    assert hides_spoiler(comment('<p>It ends <span class="spoiler">badly</span>.</p>'))
    assert not hides_spoiler(comment("<p>The word spoiler is fine.</p>"))
