"""Idempotency keys: a retried write returns the first answer instead of writing twice."""

from __future__ import annotations

import hashlib
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
    connection: Connection,
    key: str,
    client: str,
    request_hash: str,
    now: datetime,
    *,
    also: str | None = None,
) -> Replay | None:
    """Take ``key`` for this client's request, or return the answer already given for it.

    A key is one client's: presented by another client, or with another body, it is refused
    (422), so nobody can fetch someone else's result or edit token by guessing their key.
    ``also`` is a second name the client may have used the first time: a reader's address,
    for a first write sent before they had a token whose retry now carries one.
    On PostgreSQL a concurrent request with the same key waits on the insert until the first
    one commits, then sees its answer; on SQLite writers are serialised already.
    """
    client_hash = _hash(client)
    await connection.execute(delete(keys).where(keys.c.created_at < now - KEEP_FOR))
    inserted = await connection.execute(
        insert_ignoring_conflicts(connection, keys)
        .values(key=key, client=client_hash, request_hash=request_hash, created_at=now)
        .returning(keys.c.key)
    )
    if inserted.first() is not None:
        return None
    row = (
        await connection.execute(
            select(keys.c.client, keys.c.request_hash, keys.c.status_code, keys.c.response).where(
                keys.c.key == key
            )
        )
    ).one()
    if row.client not in (client_hash, _hash(also)):
        raise RejoinderError(
            Problem.UNPROCESSABLE,
            "idempotency_key_reused",
            "This Idempotency-Key was already used by another client. Send a new random key.",
            "Idempotency-Key",
        )
    if row.request_hash != request_hash:
        raise RejoinderError(
            Problem.UNPROCESSABLE,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different request.",
            "Idempotency-Key",
        )
    return Replay(row.status_code, row.response.encode("utf-8"))


def _hash(client: str | None) -> str | None:
    return None if client is None else hashlib.sha256(client.encode("utf-8")).hexdigest()


async def remember(connection: Connection, key: str, status_code: int, body: bytes) -> None:
    await connection.execute(
        update(keys)
        .where(keys.c.key == key)
        .values(status_code=status_code, response=body.decode("utf-8"))
    )
