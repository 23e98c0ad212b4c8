"""Bans: by user, guest browser, email or address hash; for a while or for good; loud or
shadow."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, and_, bindparam, func, insert, or_, select, update

from rejoinder.domain.models import Status
from rejoinder.store._sql import Prepared
from rejoinder.store.database import Connection
from rejoinder.store.schema import bans, comments


class LatestComment(msgspec.Struct, frozen=True):
    """A banned identity's latest comment: the name it went by, and what it wrote."""

    id: int
    author_name: str
    body_markdown: str
    created_at: datetime


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
_NAMES = tuple(column.name for column in _COLUMNS)


def _ban(row: Sequence[Any]) -> Ban:
    """A row of ``_COLUMNS``, read by name: ``Prepared`` hands back plain tuples."""
    return Ban(**dict(zip(_NAMES, row, strict=True)))


def _active(now: object) -> ColumnElement[bool]:
    return and_(
        bans.c.lifted_at.is_(None), or_(bans.c.expires_at.is_(None), bans.c.expires_at > now)
    )


async def add_ban(
    connection: Connection,
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
    return _ban(row)


@lru_cache(maxsize=8)
def _matching(count: int) -> Prepared:
    """Active bans on ``count`` identities, for every comment posted: built once per count."""
    match = or_(
        *(
            and_(bans.c.kind == bindparam(f"kind{n}"), bans.c.value == bindparam(f"value{n}"))
            for n in range(count)
        )
    )
    return Prepared(select(*_COLUMNS).where(match, _active(bindparam("now"))))


async def bans_matching(
    connection: Connection, identities: Sequence[tuple[str, str]], now: datetime
) -> list[Ban]:
    """Active bans on any of the (kind, value) identities of a commenter."""
    if not identities:
        return []
    params: dict[str, object] = {"now": now}
    for n, (kind, value) in enumerate(identities):
        params[f"kind{n}"] = kind
        params[f"value{n}"] = value
    rows = await _matching(len(identities)).rows(connection, **params)
    return [_ban(row) for row in rows]


async def list_bans(connection: Connection, now: datetime) -> list[Ban]:
    rows = await connection.execute(
        select(*_COLUMNS).where(_active(now)).order_by(bans.c.created_at.desc())
    )
    return [_ban(row) for row in rows]


async def lift_ban(connection: Connection, ban_id: int, now: datetime) -> Ban | None:
    await connection.execute(
        update(bans).where(bans.c.id == ban_id, bans.c.lifted_at.is_(None)).values(lifted_at=now)
    )
    row = (await connection.execute(select(*_COLUMNS).where(bans.c.id == ban_id))).first()
    return _ban(row) if row else None


# The column of ``comments`` each kind of ban holds a value of. Email bans keep the address
# case-folded; for the addresses people type, lower() is the same.
_HELD_BY: dict[str, ColumnElement[Any]] = {
    "user": comments.c.user_id,
    "voter": comments.c.voter_id,
    "address": comments.c.author_ip_hash,
    "email": func.lower(comments.c.author_email),
}
_NUMBERED = {"user", "voter"}


async def latest_comments_of(
    connection: Connection, identities: Collection[tuple[str, str]]
) -> dict[tuple[str, str], LatestComment]:
    """The latest comment (deleted ones aside) of each (kind, value) identity, for the list
    of bans: one statement per kind of ban, however many bans there are."""
    wanted: dict[str, set[str]] = {}
    for kind, value in identities:
        wanted.setdefault(kind, set()).add(value)
    found: dict[tuple[str, str], LatestComment] = {}
    for kind, values in wanted.items():
        column = _HELD_BY.get(kind)
        keys: list[Any] = (
            sorted(int(v) for v in values if v.isdigit()) if kind in _NUMBERED else sorted(values)
        )
        if column is None or not keys:
            continue
        latest = (
            select(column.label("held"), func.max(comments.c.id).label("id"))
            .where(column.in_(keys), comments.c.status != Status.DELETED.value)
            .group_by(column)
            .subquery()
        )
        rows = await connection.execute(
            select(
                latest.c.held,
                comments.c.id,
                comments.c.author_name,
                comments.c.body_markdown,
                comments.c.created_at,
            ).select_from(comments.join(latest, latest.c.id == comments.c.id))
        )
        for row in rows:
            found[(kind, str(row.held))] = LatestComment(
                row.id, row.author_name, row.body_markdown, row.created_at
            )
    return found
