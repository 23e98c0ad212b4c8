"""The questions the Atom feeds ask: the latest comments on show, in one thread or across the
site, and what would tell a reader's copy of a feed is still current.

Only visible comments are ever read here: never pending, rejected, shadow-banned or deleted
ones, nor deleted placeholders, whatever reader is asking.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, func, select

from rejoinder.domain.feeds import FeedComment, FeedThread
from rejoinder.domain.models import Status
from rejoinder.store.database import Connection
from rejoinder.store.schema import articles, threads
from rejoinder.store.schema import comments as c
from rejoinder.store.threads import DEFAULT_SITE_ID

_parent = c.alias("parent")

_COLUMNS = (
    c.c.id,
    c.c.parent_id,
    _parent.c.created_at.label("parent_created_at"),
    c.c.author_name,
    c.c.body_html,
    c.c.spoiler,
    c.c.created_at,
    c.c.edited_at,
    threads.c.key,
    func.coalesce(articles.c.headline, threads.c.title).label("title"),
    threads.c.url,
    articles.c.id.label("article_id"),
)

# A comment with its thread, its parent (for the reply's in-reply-to) and its thread's
# article, when the thread's key is one's slug.
_FROM = (
    c.join(threads, threads.c.id == c.c.thread_id)
    .outerjoin(_parent, _parent.c.id == c.c.parent_id)
    .outerjoin(
        articles, and_(articles.c.site_id == threads.c.site_id, articles.c.slug == threads.c.key)
    )
)


def _latest(query: Select[Any], thread_id: int | None, limit: int, site_id: int) -> Select[Any]:
    """Newest first, on show only, in one thread or across the site."""
    query = query.where(c.c.status == Status.VISIBLE.value)
    if thread_id is not None:
        query = query.where(c.c.thread_id == thread_id)
    else:
        query = query.where(threads.c.site_id == site_id)
    return query.order_by(c.c.created_at.desc(), c.c.id.desc()).limit(limit)


def _feed_comment(row: Sequence[Any]) -> FeedComment:
    values = dict(zip((column.name for column in _COLUMNS), row, strict=True))
    return FeedComment(
        id=values["id"],
        parent_id=values["parent_id"],
        parent_created_at=values["parent_created_at"],
        author_name=values["author_name"],
        html=values["body_html"],
        spoiler=values["spoiler"],
        created_at=values["created_at"],
        edited_at=values["edited_at"],
        thread=FeedThread(
            key=values["key"],
            title=values["title"],
            url=values["url"],
            article=values["article_id"] is not None,
        ),
    )


async def latest_shown_comments(
    connection: Connection,
    limit: int,
    thread_id: int | None = None,
    site_id: int = DEFAULT_SITE_ID,
) -> list[FeedComment]:
    """The newest comments on show, with their threads: the thread's, or the whole site's."""
    query = _latest(select(*_COLUMNS).select_from(_FROM), thread_id, limit, site_id)
    return [_feed_comment(row) for row in await connection.execute(query)]


async def latest_shown_versions(
    connection: Connection, limit: int, site_id: int = DEFAULT_SITE_ID
) -> list[tuple[int, int]]:
    """(comment id, its thread's version) of the site's newest comments on show.

    What the site's comment feed shows changes only when these do: a new comment on show
    comes in, one leaves the list, or a change readers could see (an edit, an article's new
    headline) moves its thread's version. Two integers a row, through the status index."""
    query = _latest(
        select(c.c.id, threads.c.version).select_from(
            c.join(threads, threads.c.id == c.c.thread_id)
        ),
        None,
        limit,
        site_id,
    )
    return [(comment_id, version) for comment_id, version in await connection.execute(query)]
