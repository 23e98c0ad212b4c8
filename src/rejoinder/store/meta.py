"""Instance-wide values kept in the database, so every process of a deployment agrees on them."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from rejoinder.store._sql import insert_ignoring_conflicts
from rejoinder.store.database import Connection
from rejoinder.store.schema import meta


async def stored_secret(connection: Connection) -> str:
    """The signing secret, generated on first use; concurrent first uses agree on one value."""
    await connection.execute(
        insert_ignoring_conflicts(connection, meta).values(
            key="secret", value=secrets.token_urlsafe(48)
        )
    )
    value = await connection.scalar(select(meta.c.value).where(meta.c.key == "secret"))
    assert value is not None
    return value
