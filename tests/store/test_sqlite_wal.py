"""Issue 12: SQLite's write-ahead log stays bounded. A burst of writes grows it; once the
writers pause, the server's checkpointer empties it, without a restart."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, text

from rejoinder.store.database import Database
from rejoinder.store.schema import idempotency_keys
from rejoinder.store.sqlite import JOURNAL_SIZE_LIMIT
from tests.conftest import run


def _wal(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_the_wal_shrinks_back_once_the_writers_pause(tmp_path, sqlite_template):
    path = tmp_path / "rejoinder.db"
    shutil.copy(sqlite_template, path)

    async def scenario() -> tuple[int, int]:
        database = Database(f"sqlite:///{path}", checkpoint_aside=True)
        database.start()
        try:
            for n in range(2_000):  # about 8 MB of WAL, in commits of one row each
                async with database.write() as connection:
                    await connection.execute(
                        insert(idempotency_keys).values(
                            key=f"k{n}",
                            request_hash="0" * 64,
                            response="x" * 4_000,
                            created_at=datetime.now(UTC),
                        )
                    )
                if n % 50 == 0:
                    await asyncio.sleep(0)  # let the checkpointer's thread hand back
            peak = _wal(path)
            for _ in range(100):  # the writers have paused: wait, at most 10 s, for it to empty
                if _wal(path) == 0:
                    break
                await asyncio.sleep(0.1)
            return peak, _wal(path)
        finally:
            await database.dispose()

    peak, after_pause = run(scenario())
    assert peak > 1_000_000  # the burst did grow the WAL
    assert after_pause == 0  # ... and the pause emptied it while the server was still up


def test_every_connection_caps_the_wal_a_checkpoint_has_reset(tmp_path, sqlite_template):
    path = tmp_path / "rejoinder.db"
    shutil.copy(sqlite_template, path)

    async def limits() -> tuple[int, int]:
        database = Database(f"sqlite:///{path}")
        try:
            async with database.write() as connection:
                written = await connection.scalar(text("PRAGMA journal_size_limit"))
            async with database.read() as connection:
                read = await connection.scalar(text("PRAGMA journal_size_limit"))
            return int(written), int(read)
        finally:
            await database.dispose()

    assert run(limits()) == (JOURNAL_SIZE_LIMIT, JOURNAL_SIZE_LIMIT)
