"""Instance-wide values kept in the database, so every process of a deployment agrees on them.

Earlier versions kept the signing secret here too; it now lives in a key file or the
environment (``secret_key.py``), and these functions only find and delete that old copy.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from rejoinder.store.database import Connection
from rejoinder.store.schema import meta

_SECRET = "secret"


async def stored_secret(connection: Connection) -> str | None:
    """The signing secret an earlier version generated and kept in the database, if any."""
    value: str | None = await connection.scalar(select(meta.c.value).where(meta.c.key == _SECRET))
    return value


async def forget_stored_secret(connection: Connection) -> bool:
    """Delete that stored secret; whether there was one."""
    result = await connection.execute(delete(meta).where(meta.c.key == _SECRET))
    return bool(result.rowcount)
