"""Whether the server can do its work: the database answers and, after a write failed, takes
writes again; Redis answers again after it was away; the disk has room.

A full disk still answers ``SELECT 1``, so while a fault that only writes reveal is open
(``service/faults.Outages``) each check also tries a write, and pings Redis if Redis was
away; a probe that works ends its fault's episode. On SQLite the check also looks at the
free space beside the database file, so a full disk is reported before a reader's comment
is the write that finds it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from rejoinder.service.faults import (
    DATABASE_FAULTS,
    READ_TELLS,
    REDIS_UNAVAILABLE,
    STORAGE_FULL,
    WRITE_TELLS,
    Outages,
    fault_named,
    fault_of,
)
from rejoinder.service.services import Services
from rejoinder.store import probes
from rejoinder.store.sqlite import free_bytes

# Space for a few of the largest comments with their indexes: a full disk often still has
# room for a one-row write in pages the database already owns, which proves nothing.
PROBE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Unhealthy:
    database: str  # the fault's code; for a failure that is no known fault, its type's name
    retry_after: int  # seconds


async def read_probe(app: Services) -> None:
    async with app.db.read() as connection:
        await probes.answer(connection)


async def write_probe(app: Services) -> None:
    """Write, and then remove, a row as large as several comments: only run while a fault
    that writes reveal (a full disk, a busy database) is open."""
    async with app.db.write() as connection:
        stamp = datetime.now(UTC).isoformat()
        await probes.write_probe(connection, stamp.ljust(PROBE_BYTES))
    async with app.db.write() as connection:
        await probes.remove_probe(connection)


def disk_free(app: Services) -> int | None:
    """Bytes free on the SQLite database's disk; None when that is not ours to see
    (PostgreSQL, an in-memory database)."""
    sqlite_file = app.db.sqlite_file
    return None if sqlite_file is None else free_bytes(sqlite_file)


async def ping_redis(app: Services) -> None:
    client = getattr(app.counter, "_redis", None)
    if client is not None:
        await client.ping()


async def check(app: Services, outages: Outages) -> Unhealthy | None:
    """Run the probes the open faults call for, tell ``outages`` what they found, and say
    what is wrong now; None when all is well."""
    steps: list[tuple[Callable[[Services], Awaitable[None]], frozenset[str]]] = [
        (read_probe, READ_TELLS)
    ]
    if outages.open.keys() & WRITE_TELLS:
        steps.append((write_probe, DATABASE_FAULTS))
    if REDIS_UNAVAILABLE in outages.open:
        steps.append((ping_redis, frozenset({REDIS_UNAVAILABLE})))
    for step, ends in steps:
        try:
            await step(app)
        except Exception as exc:  # any failure to reach the database means unhealthy
            fault = fault_of(exc)
            if fault is None:
                return Unhealthy(type(exc).__name__, 5)
            outages.refused(fault, count=False)
            break
        outages.ended(ends)
    free = disk_free(app)
    if free is not None and free < PROBE_BYTES:
        outages.refused(fault_named(STORAGE_FULL, f"{free} bytes free on the disk"), count=False)
    fault = outages.current()
    return None if fault is None else Unhealthy(fault.code, fault.retry_after)
