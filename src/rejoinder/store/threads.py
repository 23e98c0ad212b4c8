"""Threads: one per article, found by the publisher's key.

A thread whose key is an article's slug is that article's discussion: it opens when the
article is published, so auto-close counts from then, not from the first comment.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import Integer, and_, bindparam, func, select, update

from rejoinder.domain.models import ThreadInfo
from rejoinder.domain.moderation.pipeline import Mode
from rejoinder.store._sql import Prepared, insert_ignoring_conflicts
from rejoinder.store.database import TOUCHED_THREADS, Connection
from rejoinder.store.schema import UTCDateTime, articles, sites, threads

DEFAULT_SITE_ID = 1


class ThreadRow(msgspec.Struct, kw_only=True):
    """A thread with the moderation rules that apply to it (its own, else its site's)."""

    id: int
    key: str
    title: str | None
    url: str | None
    closed: bool
    comment_count: int
    message: str | None
    mode: Mode
    own_mode: Mode | None
    # When the discussion opened: its article's publication, else its first comment.
    opened_at: datetime
    auto_close_days: int | None
    version: int = 0
    shadowed: int = 0
    featured: int = 0
    # The site tells writers why their words would hold their comment before storing it.
    nudge: bool = True

    def closes_at(self) -> datetime | None:
        if self.auto_close_days is None:
            return None
        return self.opened_at + timedelta(days=self.auto_close_days)

    def is_closed(self, now: datetime) -> bool:
        closes_at = self.closes_at()
        return self.closed or (closes_at is not None and now >= closes_at)

    def info(self, now: datetime) -> ThreadInfo:
        return ThreadInfo(
            self.key,
            self.title,
            self.url,
            self.comment_count,
            self.is_closed(now),
            self.message,
        )


_COLUMNS = (
    threads.c.id,
    threads.c.key,
    threads.c.title,
    threads.c.url,
    threads.c.closed,
    threads.c.comment_count,
    threads.c.message,
    threads.c.moderation_mode.label("own_mode"),
    articles.c.published_at.label("article_published_at"),
    threads.c.published_at,
    threads.c.created_at,
    sites.c.moderation_mode.label("site_mode"),
    sites.c.auto_close_days,
    threads.c.version,
    threads.c.shadowed,
    threads.c.featured,
    sites.c.nudge,
)


_NAMES = tuple(column.name for column in _COLUMNS)

# The thread with its site, and its article when its key is one's slug.
_FROM = threads.join(sites, sites.c.id == threads.c.site_id).outerjoin(
    articles, and_(articles.c.site_id == threads.c.site_id, articles.c.slug == threads.c.key)
)


def _row(row: Sequence[Any]) -> ThreadRow:
    """A row of ``_COLUMNS``, read by name: ``Prepared`` hands back plain tuples."""
    values = dict(zip(_NAMES, row, strict=True))
    own = Mode(values["own_mode"]) if values["own_mode"] else None
    return ThreadRow(
        id=values["id"],
        key=values["key"],
        title=values["title"],
        url=values["url"],
        closed=values["closed"],
        comment_count=values["comment_count"],
        message=values["message"],
        mode=own or Mode(values["site_mode"]),
        own_mode=own,
        opened_at=(
            values["article_published_at"] or values["published_at"] or values["created_at"]
        ),
        auto_close_days=values["auto_close_days"],
        version=values["version"],
        shadowed=values["shadowed"],
        featured=values["featured"],
        nudge=values["nudge"],
    )


_THREAD = Prepared(
    select(*_COLUMNS)
    .select_from(_FROM)
    .where(threads.c.site_id == bindparam("site_id"), threads.c.key == bindparam("key"))
)


async def find_thread(
    connection: Connection, key: str, site_id: int = DEFAULT_SITE_ID
) -> ThreadRow | None:
    row = await _THREAD.first(connection, site_id=site_id, key=key)
    return _row(row) if row else None


async def thread_by_id(connection: Connection, thread_id: int) -> ThreadRow | None:
    row = (
        await connection.execute(
            select(*_COLUMNS).select_from(_FROM).where(threads.c.id == thread_id)
        )
    ).first()
    return _row(row) if row else None


async def update_thread_rules(
    connection: Connection,
    thread_id: int,
    *,
    mode: Mode | None,
    closed: bool,
    message: str | None,
) -> None:
    await _bump(
        connection,
        thread_id,
        {
            "moderation_mode": mode.value if mode else None,
            "closed": closed,
            "message": message,
            "version": threads.c.version + 1,
        },
    )


class SiteRules(msgspec.Struct, frozen=True):
    mode: Mode
    auto_close_days: int | None
    nudge: bool = True


async def site_rules(connection: Connection, site_id: int = DEFAULT_SITE_ID) -> SiteRules:
    row = (
        await connection.execute(
            select(sites.c.moderation_mode, sites.c.auto_close_days, sites.c.nudge).where(
                sites.c.id == site_id
            )
        )
    ).one()
    return SiteRules(Mode(row.moderation_mode), row.auto_close_days, bool(row.nudge))


async def update_site_rules(
    connection: Connection,
    *,
    mode: Mode,
    auto_close_days: int | None,
    nudge: bool,
    site_id: int = DEFAULT_SITE_ID,
) -> None:
    await connection.execute(
        update(sites)
        .where(sites.c.id == site_id)
        .values(moderation_mode=mode.value, auto_close_days=auto_close_days, nudge=nudge)
    )
    await touch_all(connection, site_id)


ALL_THREADS = 0  # among the touched threads: every thread of a site changed


async def _bump(connection: Connection, thread_id: int, values: dict[str, object]) -> None:
    """Update the thread, its version included, and note the new version in the transaction."""
    version = await connection.scalar(
        update(threads)
        .where(threads.c.id == thread_id)
        .values(**values)
        .returning(threads.c.version)
    )
    if version is not None:
        _note_version(connection, thread_id, version)


def _note_version(connection: Connection, thread_id: int, version: int) -> None:
    """On PostgreSQL, ``Database.after_commit`` hands the new version on after the commit, so
    this process's pages see it before the notification comes (``store/changes.py``).
    SQLite's followers read the versions themselves, so nothing is noted there."""
    if _announces_commits(connection):
        touched = connection.info.setdefault(TOUCHED_THREADS, {})
        touched[thread_id] = max(version, touched.get(thread_id, 0))


def _announces_commits(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


async def thread_for_new_comment(
    connection: Connection,
    key: str,
    title: str | None,
    url: str | None,
    now: datetime,
    site_id: int = DEFAULT_SITE_ID,
) -> ThreadRow:
    """The thread a comment goes into, created by its first comment with that comment's title."""
    found = await find_thread(connection, key, site_id)
    if found is not None:
        return found
    await connection.execute(
        insert_ignoring_conflicts(connection, threads).values(
            site_id=site_id, key=key, title=title, url=url, created_at=now
        )
    )
    thread = await find_thread(connection, key, site_id)
    assert thread is not None
    return thread


_COUNT_CHANGE = (
    update(threads)
    .where(threads.c.id == bindparam("thread_id"))
    .values(
        comment_count=threads.c.comment_count + bindparam("delta", type_=Integer),
        version=threads.c.version + 1,
    )
    .returning(threads.c.version)
)
_COUNTED = Prepared(_COUNT_CHANGE)
# A new comment on show: counted, and the thread's latest comment.
_COUNTED_NEW = Prepared(_COUNT_CHANGE.values(last_comment_at=bindparam("now", type_=UTCDateTime)))


async def add_to_count(
    connection: Connection, thread_id: int, delta: int, now: datetime | None = None
) -> None:
    """Count comments coming on show (``now``: a new one, posted then) or leaving it."""
    if now is None:
        version = await _COUNTED.scalar(connection, thread_id=thread_id, delta=delta)
    else:
        version = await _COUNTED_NEW.scalar(connection, thread_id=thread_id, delta=delta, now=now)
    if version is not None:
        _note_version(connection, thread_id, version)


async def touch(
    connection: Connection, thread_id: int, shadowed: int = 0, featured: int = 0
) -> None:
    """Mark the thread changed for readers (an edit, a vote, a flag, a shadow comment)."""
    values: dict[str, object] = {"version": threads.c.version + 1}
    if shadowed:
        values["shadowed"] = threads.c.shadowed + shadowed
    if featured:
        values["featured"] = threads.c.featured + featured
    await _bump(connection, thread_id, values)


async def touch_key(connection: Connection, key: str, site_id: int = DEFAULT_SITE_ID) -> None:
    """Mark the thread with this key changed, if there is one (its article changed)."""
    thread_id = await connection.scalar(
        select(threads.c.id).where(threads.c.site_id == site_id, threads.c.key == key)
    )
    if thread_id is not None:
        await touch(connection, thread_id)


async def touch_all(connection: Connection, site_id: int = DEFAULT_SITE_ID) -> None:
    """Mark every thread of the site changed (its rules changed)."""
    await connection.execute(
        update(threads).where(threads.c.site_id == site_id).values(version=threads.c.version + 1)
    )
    if _announces_commits(connection):
        connection.info.setdefault(TOUCHED_THREADS, {})[ALL_THREADS] = 0


async def version_of(connection: Connection, thread_id: int) -> int | None:
    version: int | None = await connection.scalar(
        select(threads.c.version).where(threads.c.id == thread_id)
    )
    return version


async def thread_key(connection: Connection, thread_id: int) -> str:
    key: str | None = await connection.scalar(
        select(threads.c.key).where(threads.c.id == thread_id)
    )
    assert key is not None
    return key


async def counts_for(
    connection: Connection, keys: Sequence[str], site_id: int = DEFAULT_SITE_ID
) -> dict[str, int]:
    """Visible-comment counts for a list of articles; unknown keys count 0."""
    counts = dict.fromkeys(keys, 0)
    if keys:
        rows = await connection.execute(
            select(threads.c.key, threads.c.comment_count).where(
                threads.c.site_id == site_id, threads.c.key.in_(set(keys))
            )
        )
        counts.update({key: count for key, count in rows})
    return counts


_COUNT = Prepared(select(threads.c.comment_count).where(threads.c.id == bindparam("thread_id")))


async def visible_count(connection: Connection, thread_id: int) -> int:
    """The thread's count of comments on show, as readers see it in "Comments (N)"."""
    count = await _COUNT.scalar(connection, thread_id=thread_id)
    return int(count or 0)


class ClosedByItself(msgspec.Struct, frozen=True):
    """A thread its site's ``auto_close_days`` has closed, not yet announced to webhooks."""

    id: int
    key: str
    closed_at: datetime


async def closed_by_themselves(
    connection: Connection, now: datetime, since: datetime, limit: int
) -> list[ClosedByItself]:
    """Threads that closed by themselves between ``since`` and ``now`` and were not announced;
    the oldest first. ``since`` bounds the read: closings before the first webhook existed
    concern nobody."""
    opened = func.coalesce(
        articles.c.published_at, threads.c.published_at, threads.c.created_at, type_=UTCDateTime
    )
    found: list[ClosedByItself] = []
    for site_id, days in (
        await connection.execute(
            select(sites.c.id, sites.c.auto_close_days).where(sites.c.auto_close_days.is_not(None))
        )
    ).all():
        span = timedelta(days=days)
        rows = await connection.execute(
            select(threads.c.id, threads.c.key, opened.label("opened"))
            .select_from(_FROM)
            .where(
                threads.c.site_id == site_id,
                threads.c.closed.is_(False),
                threads.c.close_announced_at.is_(None),
                opened <= now - span,
                opened >= since - span,
            )
            .order_by(opened)
            .limit(limit)
        )
        found += [ClosedByItself(row.id, row.key, row.opened + span) for row in rows]
    return sorted(found, key=lambda thread: thread.closed_at)[:limit]


async def announce_closing(connection: Connection, thread_id: int, now: datetime) -> bool:
    """Note that webhooks were told this thread closed; False if they were already (by
    another process, or a moderator's closing), so that each closing is announced once."""
    result = await connection.execute(
        update(threads)
        .where(threads.c.id == thread_id, threads.c.close_announced_at.is_(None))
        .values(close_announced_at=now)
    )
    return result.rowcount == 1


async def forget_closing(connection: Connection, thread_id: int) -> None:
    await connection.execute(
        update(threads).where(threads.c.id == thread_id).values(close_announced_at=None)
    )
