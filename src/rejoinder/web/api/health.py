"""``/healthz``: for load balancers and orchestrators; healthy means the database answers
and, after a write failed, that writes work again.

A full disk still answers ``SELECT 1``, so while a fault is open (``web/errors.py``'s
``Outages``) each check also tries a one-row write, and pings Redis if Redis was away. On
SQLite the check also looks at the free space beside the database file, so a full disk is
reported before a reader's comment is the write that finds it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy import delete, insert, text

from rejoinder.service.faults import (
    DATABASE_FAULTS,
    READ_TELLS,
    REDIS_UNAVAILABLE,
    STORAGE_FULL,
    WRITE_TELLS,
    fault_named,
    fault_of,
)
from rejoinder.store.schema import meta
from rejoinder.store.sqlite import free_bytes
from rejoinder.web.context import services
from rejoinder.web.errors import outages
from rejoinder.web.schemas import Health

_PROBE = "health_probe"  # the one meta row the write probe rewrites


async def _read(request: Request) -> None:
    async with services(request).db.read() as connection:
        await connection.execute(text("SELECT 1"))


# Space for a few of the largest comments with their indexes: a full disk often still has
# room for a one-row write in pages the database already owns, which proves nothing.
_PROBE_BYTES = 1024 * 1024


async def _write(request: Request) -> None:
    """Write, and then remove, a row as large as several comments: only run while a fault
    that writes reveal (a full disk, a busy database) is open."""
    db = services(request).db
    async with db.write() as connection:
        await connection.execute(delete(meta).where(meta.c.key == _PROBE))
        stamp = datetime.now(UTC).isoformat()
        await connection.execute(insert(meta).values(key=_PROBE, value=stamp.ljust(_PROBE_BYTES)))
    async with db.write() as connection:
        await connection.execute(delete(meta).where(meta.c.key == _PROBE))


def _free_bytes(request: Request) -> int | None:
    """Bytes free on the SQLite database's disk; None when that is not ours to see
    (PostgreSQL, an in-memory database)."""
    sqlite_file = services(request).db.sqlite_file
    return None if sqlite_file is None else free_bytes(sqlite_file)


async def _ping_redis(request: Request) -> None:
    client = getattr(services(request).counter, "_redis", None)
    if client is not None:
        await client.ping()


@get(
    "/healthz",
    summary="200 when the database answers and writes work, 503 when not",
    responses={
        503: ResponseSpec(
            data_container=Health,
            description="Unhealthy: `database` names the fault; see `Retry-After`.",
            generate_examples=False,
        )
    },
)
async def healthz(request: Request) -> Response[Health]:
    watch = outages(request.app)
    steps = [(_read, READ_TELLS)]
    if watch.open.keys() & WRITE_TELLS:
        steps.append((_write, DATABASE_FAULTS))
    if REDIS_UNAVAILABLE in watch.open:
        steps.append((_ping_redis, frozenset({REDIS_UNAVAILABLE})))
    for step, ends in steps:
        try:
            await step(request)
        except Exception as exc:  # any failure to reach the database means unhealthy
            fault = fault_of(exc)
            if fault is None:
                return _unhealthy(type(exc).__name__, 5)
            watch.refused(fault, count=False)
            break
        watch.ended(ends)
    free = _free_bytes(request)
    if free is not None and free < _PROBE_BYTES:
        watch.refused(fault_named(STORAGE_FULL, f"{free} bytes free on the disk"), count=False)
    fault = watch.current()
    if fault is not None:
        return _unhealthy(fault.code, fault.retry_after)
    return Response(Health("ok", "ok"), headers={"Cache-Control": "no-store"})


def _unhealthy(database: str, retry_after: int) -> Response[Health]:
    return Response(
        Health("unavailable", database),
        status_code=503,
        headers={"Cache-Control": "no-store", "Retry-After": str(retry_after)},
    )
