"""Reading the Atom feeds: a thread's latest comments, the site's, and the latest articles.

Each feed is read in one snapshot (``FeedSnapshot``): first its *version*, a few integers
that change whenever what the feed shows would (the thread's version, or the ids and thread
versions of the newest comments on show, or the newest articles' last changes), from which
the web layer's read cache and ETags work as they do for thread pages; then, only when no
copy of that version is at hand, the entries themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Generic, TypeVar

import msgspec

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.feeds import FEED_LENGTH, FeedComment, FeedThread
from rejoinder.service.services import Services
from rejoinder.store import articles as article_store
from rejoinder.store import feeds as feed_store
from rejoinder.store import threads as thread_store
from rejoinder.store.articles import Article
from rejoinder.store.database import Connection
from rejoinder.store.threads import ThreadRow

T = TypeVar("T")


class CommentFeed(msgspec.Struct, frozen=True):
    """The newest comments on show, newest first; ``thread`` is None in the site's feed.
    ``opened_at``: when the thread's discussion opened (the feed's date while it is empty)."""

    thread: FeedThread | None
    opened_at: datetime | None
    comments: list[FeedComment]


class FeedSnapshot(Generic[T]):
    """One consistent read of a feed: ``version`` names what it shows, ``entries()`` reads it."""

    def __init__(self, version: str, read: Callable[[], Awaitable[T]]) -> None:
        self.version = version
        self._read = read

    async def entries(self) -> T:
        return await self._read()


def _digest(parts: Iterable[object]) -> str:
    """A short name for a list of versions (fifty of them name the site's comment feed)."""
    text = ",".join(str(part) for part in parts)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


@asynccontextmanager
async def thread_comments(app: Services, key: str) -> AsyncIterator[FeedSnapshot[CommentFeed]]:
    """A thread's feed; an article nobody has commented on yet has an empty one, and any
    other key is refused (404), so that a mistyped feed address says so."""
    async with app.db.read() as connection:
        found = await thread_store.find_thread(connection, key)
        article = None
        if found is None:
            article = await article_store.find_article(connection, key)
            if article is None:
                raise RejoinderError(
                    Problem.NOT_FOUND, "not_found", f"There is no thread {key!r}.", "thread"
                )
            version = f"article:{article.id}:{article.updated_at.isoformat()}"
        else:
            version = f"thread:{found.id}:{found.version}"

        async def read() -> CommentFeed:
            return await _thread_feed(connection, key, found, article)

        yield FeedSnapshot(version, read)


async def _thread_feed(
    connection: Connection, key: str, found: ThreadRow | None, article: Article | None
) -> CommentFeed:
    if found is None:
        assert article is not None
        thread = FeedThread(key=key, title=article.headline, url=None, article=True)
        return CommentFeed(thread, article.published_at, [])
    article = article or await article_store.find_article(connection, key)
    thread = FeedThread(
        key=key,
        title=article.headline if article else found.title,
        url=found.url,
        article=article is not None,
    )
    comments = await feed_store.latest_shown_comments(connection, FEED_LENGTH, found.id)
    return CommentFeed(thread, found.opened_at, comments)


@asynccontextmanager
async def site_comments(app: Services) -> AsyncIterator[FeedSnapshot[CommentFeed]]:
    """The whole site's newest comments on show."""
    async with app.db.read() as connection:
        versions = await feed_store.latest_shown_versions(connection, FEED_LENGTH)

        async def read() -> CommentFeed:
            comments = await feed_store.latest_shown_comments(connection, FEED_LENGTH)
            return CommentFeed(None, None, comments)

        yield FeedSnapshot("site:" + _digest(versions), read)


@asynccontextmanager
async def latest_articles(app: Services) -> AsyncIterator[FeedSnapshot[list[Article]]]:
    """The newest articles, as the front page lists them."""
    async with app.db.read() as connection:
        versions = await article_store.latest_article_versions(connection, FEED_LENGTH)

        async def read() -> list[Article]:
            return await article_store.latest_articles(connection, FEED_LENGTH)

        yield FeedSnapshot("articles:" + _digest(versions), read)
