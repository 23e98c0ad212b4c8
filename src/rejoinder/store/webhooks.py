"""The publisher's webhook endpoints: where each event goes, signed with which secrets, and
whether the endpoint still answers."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import delete, insert, select, update

from rejoinder.domain.outgoing import HookEvent
from rejoinder.store._sql import Prepared
from rejoinder.store.database import AnyRow, Connection
from rejoinder.store.schema import webhook_endpoints


class Endpoint(msgspec.Struct, kw_only=True):
    id: int
    url: str
    description: str | None
    events: tuple[str, ...]
    secret: str
    previous_secret: str | None
    enabled: bool
    failures_in_row: int
    disabled_reason: str | None
    created_at: datetime

    def wants(self, event: HookEvent) -> bool:
        return self.enabled and event.value in self.events


def _endpoint(row: AnyRow) -> Endpoint:
    return Endpoint(
        id=row.id,
        url=row.url,
        description=row.description,
        events=tuple(row.events.split()),
        secret=row.secret,
        previous_secret=row.previous_secret,
        enabled=row.enabled,
        failures_in_row=row.failures_in_row,
        disabled_reason=row.disabled_reason,
        created_at=row.created_at,
    )


async def add(
    connection: Connection,
    *,
    url: str,
    events: tuple[HookEvent, ...],
    secret: str,
    description: str | None,
    now: datetime,
) -> Endpoint:
    new_id = await connection.scalar(
        insert(webhook_endpoints)
        .values(
            url=url,
            events=" ".join(event.value for event in events),
            secret=secret,
            description=description,
            enabled=True,
            failures_in_row=0,
            created_at=now,
        )
        .returning(webhook_endpoints.c.id)
    )
    found = await get(connection, new_id)
    assert found is not None
    return found


async def get(connection: Connection, endpoint_id: int) -> Endpoint | None:
    row = (
        await connection.execute(
            select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
        )
    ).first()
    return _endpoint(row) if row else None


async def all_endpoints(connection: Connection) -> list[Endpoint]:
    rows = await connection.execute(select(webhook_endpoints).order_by(webhook_endpoints.c.id))
    return [_endpoint(row) for row in rows.all()]


_FIELDS = (
    "id",
    "url",
    "description",
    "events",
    "secret",
    "previous_secret",
    "enabled",
    "failures_in_row",
    "disabled_reason",
    "created_at",
)
# Read in every transaction that changes a comment, so built once (see store/_sql.Prepared).
_ENABLED = Prepared(
    select(*(webhook_endpoints.c[name] for name in _FIELDS))
    .where(webhook_endpoints.c.enabled.is_(True))
    .order_by(webhook_endpoints.c.id)
)


async def enabled(connection: Connection) -> list[Endpoint]:
    """The endpoints to send new events to; usually none or a few, so one small read."""
    found = []
    for row in await _ENABLED.rows(connection):
        values = dict(zip(_FIELDS, row, strict=True))
        values["events"] = tuple(values["events"].split())
        values["enabled"] = bool(values["enabled"])
        found.append(Endpoint(**values))
    return found


async def remove(connection: Connection, endpoint_id: int) -> bool:
    result = await connection.execute(
        delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
    )
    return bool(result.rowcount)


async def set_enabled(connection: Connection, endpoint_id: int, on: bool) -> bool:
    """Switch an endpoint on (its failure count starts again) or off by hand."""
    result = await connection.execute(
        update(webhook_endpoints)
        .where(webhook_endpoints.c.id == endpoint_id)
        .values(enabled=on, failures_in_row=0, disabled_reason=None)
    )
    return bool(result.rowcount)


async def rotate(connection: Connection, endpoint_id: int, new_secret: str) -> bool:
    """The new secret signs from now on; the old one signs beside it until ``end_rotation``."""
    result = await connection.execute(
        update(webhook_endpoints)
        .where(webhook_endpoints.c.id == endpoint_id)
        .values(previous_secret=webhook_endpoints.c.secret, secret=new_secret)
    )
    return bool(result.rowcount)


async def end_rotation(connection: Connection, endpoint_id: int) -> bool:
    result = await connection.execute(
        update(webhook_endpoints)
        .where(webhook_endpoints.c.id == endpoint_id)
        .values(previous_secret=None)
    )
    return bool(result.rowcount)


async def delivered(connection: Connection, endpoint_id: int) -> None:
    await connection.execute(
        update(webhook_endpoints)
        .where(webhook_endpoints.c.id == endpoint_id, webhook_endpoints.c.failures_in_row != 0)
        .values(failures_in_row=0)
    )


async def failed(connection: Connection, endpoint_id: int, limit: int, reason: str) -> bool:
    """Count one more failure in a row; at ``limit`` the endpoint is switched off, with why.
    True if this failure switched it off."""
    await connection.execute(
        update(webhook_endpoints)
        .where(webhook_endpoints.c.id == endpoint_id)
        .values(failures_in_row=webhook_endpoints.c.failures_in_row + 1)
    )
    switched = await connection.execute(
        update(webhook_endpoints)
        .where(
            webhook_endpoints.c.id == endpoint_id,
            webhook_endpoints.c.enabled.is_(True),
            webhook_endpoints.c.failures_in_row >= limit,
        )
        .values(enabled=False, disabled_reason=reason)
    )
    return bool(switched.rowcount)
