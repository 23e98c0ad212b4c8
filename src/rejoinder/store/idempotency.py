"""Idempotency keys: a retried write returns the first answer instead of writing twice."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
from sqlalchemy import delete, select, update

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.store._sql import insert_ignoring_conflicts
from rejoinder.store.database import Connection
from rejoinder.store.schema import idempotency_keys as keys

KEEP_FOR = timedelta(hours=24)


class Replay(msgspec.Struct):
    status_code: int
    body: bytes


async def claim(
    connection: Connection, key: str, request_hash: str, now: datetime
) -> Replay | None:
    """Take ``key`` for this request, or return the answer already given for it.

    On PostgreSQL a concurrent request with the same key waits on the insert until the first
    one commits, then sees its answer; on SQLite writers are serialised already.
    """
    await connection.execute(delete(keys).where(keys.c.created_at < now - KEEP_FOR))
    inserted = await connection.execute(
        insert_ignoring_conflicts(connection, keys)
        .values(key=key, request_hash=request_hash, created_at=now)
        .returning(keys.c.key)
    )
    if inserted.first() is not None:
        return None
    row = (
        await connection.execute(
            select(keys.c.request_hash, keys.c.status_code, keys.c.response).where(
                keys.c.key == key
            )
        )
    ).one()
    if row.request_hash != request_hash:
        raise RejoinderError(
            Problem.UNPROCESSABLE,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different request.",
            "Idempotency-Key",
        )
    return Replay(row.status_code, row.response.encode("utf-8"))


async def remember(connection: Connection, key: str, status_code: int, body: bytes) -> None:
    await connection.execute(
        update(keys)
        .where(keys.c.key == key)
        .values(status_code=status_code, response=body.decode("utf-8"))
    )
