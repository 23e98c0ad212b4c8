"""Threads: one per article, found by the publisher's key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from rejoinder.domain.models import ThreadInfo
from rejoinder.store._sql import insert_ignoring_conflicts
from rejoinder.store.schema import threads

DEFAULT_SITE_ID = 1


class ThreadRow(msgspec.Struct):
    id: int
    key: str
    title: str | None
    url: str | None
    closed: bool
    comment_count: int

    def info(self) -> ThreadInfo:
        return ThreadInfo(self.key, self.title, self.url, self.comment_count, self.closed)


_COLUMNS = (
    threads.c.id,
    threads.c.key,
    threads.c.title,
    threads.c.url,
    threads.c.closed,
    threads.c.comment_count,
)


async def find_thread(
    connection: AsyncConnection, key: str, site_id: int = DEFAULT_SITE_ID
) -> ThreadRow | None:
    row = (
        await connection.execute(
            select(*_COLUMNS).where(threads.c.site_id == site_id, threads.c.key == key)
        )
    ).first()
    return ThreadRow(*row) if row else None


async def thread_for_new_comment(
    connection: AsyncConnection,
    key: str,
    title: str | None,
    url: str | None,
    now: datetime,
    site_id: int = DEFAULT_SITE_ID,
) -> ThreadRow:
    """The thread a comment goes into, created by its first comment with that comment's title."""
    await connection.execute(
        insert_ignoring_conflicts(connection, threads).values(
            site_id=site_id, key=key, title=title, url=url, created_at=now
        )
    )
    thread = await find_thread(connection, key, site_id)
    assert thread is not None
    return thread


async def add_to_count(
    connection: AsyncConnection, thread_id: int, delta: int, now: datetime | None = None
) -> None:
    values: dict[str, object] = {"comment_count": threads.c.comment_count + delta}
    if now is not None:
        values["last_comment_at"] = now
    await connection.execute(update(threads).where(threads.c.id == thread_id).values(**values))


async def thread_key(connection: AsyncConnection, thread_id: int) -> str:
    key = await connection.scalar(select(threads.c.key).where(threads.c.id == thread_id))
    assert key is not None
    return key


async def counts_for(
    connection: AsyncConnection, keys: Sequence[str], site_id: int = DEFAULT_SITE_ID
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


async def visible_count(connection: AsyncConnection, thread_id: int) -> int:
    """The thread's count of comments on show, as readers see it in "Comments (N)"."""
    count = await connection.scalar(
        select(threads.c.comment_count).where(threads.c.id == thread_id)
    )
    return int(count or 0)
