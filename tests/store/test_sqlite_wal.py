"""Issue 12: SQLite's write-ahead log stays bounded. A burst of writes grows it; once the
writers pause, the server's checkpointer empties it, without a restart; under load that
never pauses, it is emptied each time it passes its bound."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, text

from rejoinder.store.database import Database
from rejoinder.store.schema import idempotency_keys
from rejoinder.store.sqlite import JOURNAL_SIZE_LIMIT, Checkpointer
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


def _steady_load(path: Path, checkpointer: Checkpointer, seconds: float) -> int:
    """Writers that never pause and readers that always overlap, for ``seconds``, with a
    checkpoint round every 50 ms as the server runs them; the largest WAL seen."""
    stop = threading.Event()

    def write() -> None:
        with sqlite3.connect(path, timeout=10) as connection:
            while not stop.is_set():
                connection.execute("INSERT INTO load (body) VALUES (?)", ("x" * 4_000,))
                connection.commit()
                time.sleep(0.002)  # posts arrive: the write lock is free between them

    def read(offset: float) -> None:
        # Each read holds its snapshot 20 ms, and the two readers take turns, so there is
        # always a reader on the WAL, as on a server with many readers at once.
        time.sleep(offset)
        with sqlite3.connect(path, timeout=10, isolation_level=None) as connection:
            while not stop.is_set():
                connection.execute("BEGIN")
                connection.execute("SELECT body FROM load ORDER BY id DESC LIMIT 1").fetchone()
                time.sleep(0.02)
                connection.execute("COMMIT")

    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE load (id INTEGER PRIMARY KEY, body TEXT)")
    workers = [
        threading.Thread(target=write),
        threading.Thread(target=read, args=(0,)),
        threading.Thread(target=read, args=(0.01,)),
    ]
    for worker in workers:
        worker.start()
    largest = 0
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            checkpointer._checkpoint()
            largest = max(largest, _wal(path))
            time.sleep(0.05)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    return largest


def test_the_wal_stays_bounded_under_load_that_never_pauses(tmp_path):
    path = tmp_path / "steady.db"
    checkpointer = Checkpointer(str(path))
    checkpointer.WAL_BOUND_BYTES = 2 * 2**20
    largest = _steady_load(path, checkpointer, seconds=3)
    assert largest < 4 * checkpointer.WAL_BOUND_BYTES, largest


def test_stopping_waits_for_the_round_running_in_the_checkpointers_thread(
    tmp_path, sqlite_template
):
    """Cancelling the checkpointer's task leaves a round that already runs in its thread
    running: stop() used to checkpoint and close the same connection beside it, which
    crashed the process with a segmentation fault (seen under a loaded test run)."""
    path = tmp_path / "rejoinder.db"
    shutil.copy(sqlite_template, path)
    happened: list[str] = []
    started = threading.Event()

    class SlowRound(Checkpointer):
        INTERVAL_SECONDS = 0.01

        def _round(self, connection: sqlite3.Connection) -> None:
            happened.append("round begins")
            started.set()
            time.sleep(0.3)
            super()._round(connection)
            happened.append("round ends")

        def _truncate(self, connection: sqlite3.Connection, wait_ms: int = 0) -> None:
            happened.append("last checkpoint")
            super()._truncate(connection, wait_ms)

    async def start_then_stop() -> SlowRound:
        checkpointer = SlowRound(str(path))
        checkpointer.start()
        assert await asyncio.to_thread(started.wait, 5)
        await checkpointer.stop()
        return checkpointer

    checkpointer = run(start_then_stop())
    assert happened == ["round begins", "round ends", "last checkpoint"]
    assert checkpointer._connection is None
