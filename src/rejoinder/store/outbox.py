"""The outbox: messages waiting to be sent, taken by one worker at a time, and what became of
them.

A worker *claims* due messages by stamping ``claimed_until`` in a short write transaction,
sends them with no transaction open, then records each result. Claims on PostgreSQL take
the rows with ``FOR UPDATE SKIP LOCKED``, so workers of other processes and machines pass
over rows being claimed instead of waiting for them; SQLite has one writer at a time, which
is the same guarantee. A worker that dies holding a claim loses it when ``claimed_until``
passes, and another sends the message: at most twice, never not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import uuid4

import msgspec
from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from rejoinder.domain.outgoing import MessageState, OutboxMessage
from rejoinder.store._sql import Prepared
from rejoinder.store.database import AnyRow, Connection
from rejoinder.store.schema import UTCDateTime, outbox


def new_message_id() -> str:
    return "msg_" + uuid4().hex


class NewMessage(msgspec.Struct, kw_only=True):
    message_id: str
    kind: str
    event: str
    payload: str
    endpoint_id: int | None = None


_ADD = Prepared(
    insert(outbox).values(
        message_id=bindparam("message_id"),
        kind=bindparam("kind"),
        endpoint_id=bindparam("endpoint_id"),
        event=bindparam("event"),
        payload=bindparam("payload"),
        state=MessageState.PENDING.value,
        attempts=0,
        due_at=bindparam("now"),
        created_at=bindparam("now"),
    )
)


async def add(connection: Connection, messages: Sequence[NewMessage], now: datetime) -> None:
    """Queue the messages in the caller's transaction: they exist exactly if the change does."""
    for message in messages:
        await _ADD.rows(
            connection,
            message_id=message.message_id,
            kind=message.kind,
            endpoint_id=message.endpoint_id,
            event=message.event,
            payload=message.payload,
            now=now,
        )


def _message(row: AnyRow) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        message_id=row.message_id,
        kind=row.kind,
        endpoint_id=row.endpoint_id,
        event=row.event,
        payload=row.payload,
        state=MessageState(row.state),
        attempts=row.attempts,
        due_at=row.due_at,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


_COLUMNS = (
    outbox.c.id,
    outbox.c.message_id,
    outbox.c.kind,
    outbox.c.endpoint_id,
    outbox.c.event,
    outbox.c.payload,
    outbox.c.state,
    outbox.c.attempts,
    outbox.c.due_at,
    outbox.c.last_error,
    outbox.c.created_at,
    outbox.c.sent_at,
)


def _due(now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    return and_(
        outbox.c.state == MessageState.PENDING.value,
        outbox.c.due_at <= now,
        or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
    )


_CLAIMABLE = (
    select(*_COLUMNS)
    .where(_due(bindparam("now", type_=UTCDateTime)))
    .order_by(outbox.c.due_at, outbox.c.id)
    .limit(bindparam("limit", type_=Integer))
)
# Every round of a busy outbox: built once, and read as plain rows (store/_sql.py).
_CLAIM = Prepared(_CLAIMABLE, postgresql=_CLAIMABLE.with_for_update(skip_locked=True))


async def claim(
    connection: Connection, now: datetime, until: datetime, limit: int
) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages, oldest first, for the caller until ``until``."""
    found = [
        OutboxMessage(
            id=row[0],
            message_id=row[1],
            kind=row[2],
            endpoint_id=row[3],
            event=row[4],
            payload=row[5],
            state=MessageState(row[6]),
            attempts=row[7],
            due_at=row[8],
            last_error=row[9],
            created_at=row[10],
            sent_at=row[11],
        )
        for row in await _CLAIM.rows(connection, now=now, limit=limit)
    ]
    if found:
        await connection.execute(
            update(outbox)
            .where(outbox.c.id.in_([message.id for message in found]))
            .values(claimed_until=until)
        )
    return found


async def next_due(connection: Connection) -> datetime | None:
    """When the next pending message falls due (it may be claimed by someone else)."""
    due: datetime | None = await connection.scalar(
        select(func.min(outbox.c.due_at)).where(outbox.c.state == MessageState.PENDING.value)
    )
    return due


async def mark_sent(connection: Connection, message_ids: Sequence[int], now: datetime) -> None:
    if not message_ids:
        return
    await connection.execute(
        update(outbox)
        .where(outbox.c.id.in_(message_ids))
        .values(
            state=MessageState.SENT.value,
            attempts=outbox.c.attempts + 1,
            sent_at=now,
            claimed_until=None,
            last_error=None,
        )
    )


async def mark_retry(connection: Connection, message_id: int, due_at: datetime, error: str) -> None:
    await connection.execute(
        update(outbox)
        .where(outbox.c.id == message_id)
        .values(attempts=outbox.c.attempts + 1, due_at=due_at, claimed_until=None, last_error=error)
    )


async def mark_failed(connection: Connection, message_id: int, error: str) -> None:
    """The last attempt failed: the message stays, shown in /admin, until retried by hand."""
    await connection.execute(
        update(outbox)
        .where(outbox.c.id == message_id)
        .values(
            state=MessageState.FAILED.value,
            attempts=outbox.c.attempts + 1,
            claimed_until=None,
            last_error=error,
        )
    )


async def retry_now(connection: Connection, message_id: int, now: datetime) -> bool:
    """A failed message goes back to the queue, due at once; False if there is none."""
    result = await connection.execute(
        update(outbox)
        .where(outbox.c.id == message_id, outbox.c.state == MessageState.FAILED.value)
        .values(state=MessageState.PENDING.value, attempts=0, due_at=now, claimed_until=None)
    )
    return bool(result.rowcount)


async def counts(connection: Connection) -> dict[str, int]:
    """How many messages are in each state ("pending", "sent", "failed")."""
    rows = await connection.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state))
    found = {state.value: 0 for state in MessageState}
    found.update({state: n for state, n in rows.all()})
    return found


async def latest(
    connection: Connection,
    *,
    endpoint_id: int | None = None,
    state: MessageState | None = None,
    limit: int = 20,
) -> list[OutboxMessage]:
    """The newest messages, of one endpoint or in one state when asked."""
    query = select(*_COLUMNS).order_by(outbox.c.id.desc()).limit(limit)
    if endpoint_id is not None:
        query = query.where(outbox.c.endpoint_id == endpoint_id)
    if state is not None:
        query = query.where(outbox.c.state == state.value)
    return [_message(row) for row in (await connection.execute(query)).all()]


async def forget_sent_before(connection: Connection, cutoff: datetime) -> int:
    """Sent messages are kept a while for the record, then dropped."""
    result = await connection.execute(
        delete(outbox).where(outbox.c.state == MessageState.SENT.value, outbox.c.sent_at < cutoff)
    )
    return result.rowcount or 0
