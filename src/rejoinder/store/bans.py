"""Bans: by user, guest browser, email or address hash; for a while or for good; loud or
shadow."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from rejoinder.store.schema import bans

BAN_KINDS = ("user", "voter", "email", "address")


class Ban(msgspec.Struct, frozen=True):
    id: int
    kind: str
    value: str
    shadow: bool
    reason: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    lifted_at: datetime | None

    def active(self, now: datetime) -> bool:
        return self.lifted_at is None and (self.expires_at is None or self.expires_at > now)


_COLUMNS = (
    bans.c.id,
    bans.c.kind,
    bans.c.value,
    bans.c.shadow,
    bans.c.reason,
    bans.c.created_by,
    bans.c.created_at,
    bans.c.expires_at,
    bans.c.lifted_at,
)


def _active(now: datetime):  # type: ignore[no-untyped-def]
    return and_(
        bans.c.lifted_at.is_(None), or_(bans.c.expires_at.is_(None), bans.c.expires_at > now)
    )


async def add_ban(
    connection: AsyncConnection,
    *,
    kind: str,
    value: str,
    shadow: bool,
    reason: str | None,
    created_by: str,
    now: datetime,
    expires_at: datetime | None,
) -> Ban:
    new_id = await connection.scalar(
        insert(bans)
        .values(
            kind=kind,
            value=value,
            shadow=shadow,
            reason=reason,
            created_by=created_by,
            created_at=now,
            expires_at=expires_at,
        )
        .returning(bans.c.id)
    )
    row = (await connection.execute(select(*_COLUMNS).where(bans.c.id == new_id))).one()
    return Ban(*row)


async def bans_matching(
    connection: AsyncConnection, identities: Sequence[tuple[str, str]], now: datetime
) -> list[Ban]:
    """Active bans on any of the (kind, value) identities of a commenter."""
    if not identities:
        return []
    match = or_(*(and_(bans.c.kind == kind, bans.c.value == value) for kind, value in identities))
    rows = await connection.execute(select(*_COLUMNS).where(match, _active(now)))
    return [Ban(*row) for row in rows]


async def list_bans(connection: AsyncConnection, now: datetime) -> list[Ban]:
    rows = await connection.execute(
        select(*_COLUMNS).where(_active(now)).order_by(bans.c.created_at.desc())
    )
    return [Ban(*row) for row in rows]


async def lift_ban(connection: AsyncConnection, ban_id: int, now: datetime) -> Ban | None:
    await connection.execute(
        update(bans).where(bans.c.id == ban_id, bans.c.lifted_at.is_(None)).values(lifted_at=now)
    )
    row = (await connection.execute(select(*_COLUMNS).where(bans.c.id == ban_id))).first()
    return Ban(*row) if row else None
