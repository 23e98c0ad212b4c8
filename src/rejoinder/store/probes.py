"""The statements ``/healthz`` runs to see that the database answers and takes writes."""

from __future__ import annotations

from sqlalchemy import delete, insert, text

from rejoinder.store.database import Connection
from rejoinder.store.schema import meta

_PROBE = "health_probe"  # the one meta row the write probe rewrites


async def answer(connection: Connection) -> None:
    await connection.execute(text("SELECT 1"))


async def write_probe(connection: Connection, value: str) -> None:
    """Put ``value`` in the probe's row, replacing what a probe left there."""
    await connection.execute(delete(meta).where(meta.c.key == _PROBE))
    await connection.execute(insert(meta).values(key=_PROBE, value=value))


async def remove_probe(connection: Connection) -> None:
    await connection.execute(delete(meta).where(meta.c.key == _PROBE))
