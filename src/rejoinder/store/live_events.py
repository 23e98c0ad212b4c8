"""Live events kept in the database, for processes that share no Redis.

Ids are the order of delivery: every process reads "everything after the last id I delivered".
That only works if no id becomes visible after a larger one. SQLite commits one writer at a
time, so it holds by itself; on PostgreSQL two transactions could take ids 10 and 11 and
commit 11 first, and a reader between the two commits would skip 10 forever. So appends on
PostgreSQL take a transaction-scoped advisory lock first, and commit in id order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, select, text, update

from rejoinder.store._sql import Prepared
from rejoinder.store.database import Connection
from rejoinder.store.schema import live_events

NOTIFY_CHANNEL = "rejoinder_live"
# Any constant will do, as long as nothing else in the database uses it for another lock.
_APPEND_LOCK = 0x72656A6F696E  # "rejoin"


_APPEND = Prepared(
    insert(live_events)
    .values(channel=bindparam("channel"), data=bindparam("data"), created_at=bindparam("now"))
    .returning(live_events.c.id)
)


async def append(
    connection: Connection, events: Sequence[tuple[str, bytes]], now: datetime
) -> list[int]:
    """Store the events (channel, JSON) in order; their ids, in the same order."""
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK})
    ids = [
        await _APPEND.scalar(connection, channel=channel, data=data.decode(), now=now)
        for channel, data in events
    ]
    if postgres:
        await connection.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": NOTIFY_CHANNEL, "payload": str(ids[-1])},
        )
    return ids


async def last_id(connection: Connection) -> int:
    return await connection.scalar(select(func.coalesce(func.max(live_events.c.id), 0))) or 0


_AFTER = Prepared(
    select(live_events.c.id, live_events.c.channel, live_events.c.data)
    .where(live_events.c.id > bindparam("after"))
    .order_by(live_events.c.id)
    .limit(bindparam("limit"))
)


async def after(
    connection: Connection, event_id: int, limit: int = 1000
) -> list[tuple[int, str, bytes]]:
    """Every channel's events after ``event_id``, oldest first."""
    rows = await _AFTER.rows(connection, after=event_id, limit=limit)
    return [(id_, channel, data.encode()) for id_, channel, data in rows]


async def in_channel_after(
    connection: Connection, channel: str, event_id: int
) -> list[tuple[int, bytes]] | None:
    """One channel's events after ``event_id``; None if that event is no longer kept (or never
    was in this channel), so the reader cannot be told what they missed."""
    known = await connection.scalar(
        select(live_events.c.id).where(
            live_events.c.channel == channel, live_events.c.id == event_id
        )
    )
    if known is None:
        return None
    rows = await connection.execute(
        select(live_events.c.id, live_events.c.data)
        .where(live_events.c.channel == channel, live_events.c.id > event_id)
        .order_by(live_events.c.id)
    )
    return [(row.id, row.data.encode()) for row in rows]


async def forget_before(connection: Connection, moment: datetime) -> None:
    await connection.execute(delete(live_events).where(live_events.c.created_at < moment))


async def forget_all(connection: Connection, keep_as: bytes) -> None:
    """Drop every kept event's words: after a commenter's data is erased, nothing of it stays
    here. The newest row stays, its data replaced by ``keep_as`` (a resync marker), so that
    numbering goes on from it: SQLite numbers a new row max(id) + 1, so an emptied table
    would start again from 1, below where every process's follower has read, and readers
    would hear nothing until as many events again (issue 13)."""
    newest = await last_id(connection)
    await connection.execute(delete(live_events).where(live_events.c.id < newest))
    await connection.execute(
        update(live_events).where(live_events.c.id == newest).values(data=keep_as.decode())
    )
