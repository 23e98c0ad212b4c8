"""SQLite as the server uses it: statements on the loop's thread, checkpoints beside it."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime

from sqlalchemy import insert, select, text

from rejoinder.store.database import Database
from rejoinder.store.schema import idempotency_keys
from tests.conftest import run


def test_the_server_copies_the_wal_back_in_the_background_not_in_a_commit(
    tmp_path, sqlite_template
):
    path = tmp_path / "rejoinder.db"
    shutil.copy(sqlite_template, path)

    async def scenario() -> tuple[int, int, int, int]:
        database = Database(f"sqlite:///{path}", checkpoint_aside=True)
        try:
            async with database.write() as connection:
                automatic = await connection.scalar(text("PRAGMA wal_autocheckpoint"))
            database.start()
            before = path.stat().st_size
            for n in range(40):  # about 2 MB: twice SQLite's automatic checkpoint size
                async with database.write() as connection:
                    await connection.execute(
                        insert(idempotency_keys).values(
                            key=f"k{n}",
                            request_hash="0" * 64,
                            response="x" * 50_000,
                            created_at=datetime.now(UTC),
                        )
                    )
            for _ in range(100):
                if path.stat().st_size > before + 1_000_000:
                    break
                await asyncio.sleep(0.05)
            async with database.read() as connection:
                kept = await connection.scalar(select(idempotency_keys.c.key).limit(1))
            return automatic, before, path.stat().st_size, int(kept is not None)
        finally:
            await database.dispose()

    automatic, before, after, kept = run(scenario())
    assert automatic == 0  # the writer's commits never stop to checkpoint
    assert after > before + 1_000_000  # ... and yet the pages reached the database file
    assert kept == 1


def test_other_users_of_the_database_keep_sqlites_own_checkpoints(tmp_path, sqlite_template):
    """The CLI (migrate, import) has no background task, so its commits checkpoint as usual."""
    path = tmp_path / "rejoinder.db"
    shutil.copy(sqlite_template, path)

    async def automatic() -> int:
        database = Database(f"sqlite:///{path}")
        try:
            async with database.write() as connection:
                return int(await connection.scalar(text("PRAGMA wal_autocheckpoint")))
        finally:
            await database.dispose()

    assert run(automatic()) == 1000
