"""The audit log: every moderator action, who did it, when, and what it changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import insert, select

from rejoinder.store.database import AnyRow, Connection
from rejoinder.store.schema import audit_log


class AuditEntry(msgspec.Struct, frozen=True):
    id: int
    actor: str
    action: str
    target: str
    before: Any
    after: Any
    created_at: datetime


def _json(value: Any) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


async def record(
    connection: Connection,
    *,
    actor: str,
    action: str,
    target: str,
    before: Any,
    after: Any,
    now: datetime,
) -> None:
    """Write the entry in the caller's transaction, so an action and its record land together."""
    await connection.execute(
        insert(audit_log).values(
            actor=actor,
            action=action,
            target=target,
            before=_json(before),
            after=_json(after),
            created_at=now,
        )
    )


def _entry(row: AnyRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        actor=row.actor,
        action=row.action,
        target=row.target,
        before=msgspec.json.decode(row.before) if row.before else None,
        after=msgspec.json.decode(row.after) if row.after else None,
        created_at=row.created_at,
    )


async def entries(
    connection: Connection, *, limit: int | None = 100, offset: int = 0
) -> list[AuditEntry]:
    query = select(audit_log).order_by(audit_log.c.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [_entry(row) for row in await connection.execute(query)]


async def entries_before(
    connection: Connection, before_id: int | None, limit: int
) -> list[AuditEntry]:
    """Up to ``limit`` entries older than ``before_id`` (newest first): one page of an export
    that reads the log a page at a time."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    return [_entry(row) for row in await connection.execute(query)]
