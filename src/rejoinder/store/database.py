"""Connections to the one database, for reading and for writing.

SQLite (the embedded default) allows one writer at a time. Rather than letting writers race
and fail with "database is locked", every write in this process goes through one connection
behind an asyncio lock, in a ``BEGIN IMMEDIATE`` transaction that takes the write lock up
front; other processes wait for it on a kernel lock beside the database. Reads use their own
pool and, thanks to WAL, never wait for writers. Statements run on the event loop's own thread
(``_InlineConnection``), not on aiosqlite's threads.

PostgreSQL needs none of that: both kinds of work share one pool, and reads run in
read-only REPEATABLE READ transactions so that one response sees one snapshot. A read replica,
when configured, gets only the reads that can tell whether it is current (``replica_read``:
see ``web/api/thread_pages.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 10_000
REPLICA_PAUSE_SECONDS = 30.0
# Key in a connection's ``info`` for the threads its transaction changed.
TOUCHED_THREADS = "rejoinder_touched_threads"

log = logging.getLogger(__name__)


def async_url(database_url: str) -> URL:
    """The SQLAlchemy URL with our async driver for a plain ``sqlite:`` or ``postgresql:`` URL."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


class _InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection that runs each call at once, on the event loop's thread.

    aiosqlite hands every call to a thread of its own and wakes the loop when it is done: four
    hand-offs per statement, each waiting for the GIL. Inside a write transaction, which holds
    SQLite's one write lock for every process, each hand-off also lets the loop run other
    requests first: measured under 32 concurrent posters, a post's transaction took 11 ms of
    wall time for under 2 ms of work, and the lock, not the CPU, capped posts per second
    (80/s on one worker; 124/s with writes run here, 158/s with reads too). SQLite answers
    from memory in microseconds and, in WAL mode, a read never waits for a writer and a
    writer never waits for another (the process lock is taken first), so nothing here
    blocks the loop for longer than the work itself. The thread is still used to open and
    close the connection.
    """

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def _inline_creator(path: str) -> Any:
    async def connect() -> aiosqlite.Connection:
        connection = _InlineConnection(
            partial(
                sqlite3.connect,
                path,
                timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
                uri=path.startswith("file:"),
            ),
            iter_chunk_size=64,
        )
        connection._thread.daemon = True
        return await connection

    return connect


def _sqlite_engine(
    url: URL, *, immediate: bool, pool_size: int, autocheckpoint: bool = True
) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        async_creator=_inline_creator(url.database or ":memory:"),
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN out of the driver's hands so that we decide what kind of BEGIN it is.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if not autocheckpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


class _ProcessWriteLock:
    """A kernel lock (``flock``) on a file beside the database, shared by every process.

    SQLite's own busy handler makes a waiting writer sleep in growing steps (1, 2, 5 ... 100 ms)
    and retry; with several server processes that turns into long tail latencies. Waiting on
    the kernel lock instead wakes the next writer the moment the lock is released.
    """

    def __init__(self, database_path: str) -> None:
        self._fd = os.open(database_path + "-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)

    async def acquire(self) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            await asyncio.to_thread(fcntl.flock, self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self._fd)


class _Checkpointer:
    """Copies the WAL back into the database file from a thread, off the writers' path.

    SQLite's automatic checkpoint runs inside the commit that crosses 1,000 pages of WAL: that
    writer (and every writer queued behind its lock) waits for the copy and its fsync.
    Measured on a post flood, taking it out of the commit gave 9% more posts per second. A
    PASSIVE checkpoint never blocks writers or readers, so it can run beside them.
    """

    INTERVAL_SECONDS = 0.5

    def __init__(self, path: str) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def _checkpoint(self) -> None:
        if self._connection is None:
            self._connection = sqlite3.connect(
                self._path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
        self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.INTERVAL_SECONDS)
            try:
                await asyncio.to_thread(self._checkpoint)
            except sqlite3.Error as error:  # busy or gone: the next round tries again
                log.warning("WAL checkpoint failed: %s", error)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._connection is not None:
            await asyncio.to_thread(self._checkpoint)
            self._connection.close()


class Database:
    """The application's handle on storage: ``read()`` and ``write()`` transactions."""

    def __init__(
        self,
        database_url: str,
        *,
        read_pool_size: int = 4,
        checkpoint_aside: bool = False,
        replica_url: str | None = None,
    ) -> None:
        self.url = async_url(database_url)
        self.dialect = self.url.get_backend_name()
        # Called after each commit with the threads it changed and their new versions
        # (thread 0: every thread of a site), as store/threads.py notes them; for
        # store/changes.py.
        self.after_commit: list[Callable[[dict[int, int]], None]] = []
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        self._checkpointer: _Checkpointer | None = None
        self._process_lock: _ProcessWriteLock | None = None
        if self.dialect == "sqlite":
            path = self.url.database
            on_disk = bool(path) and path != ":memory:" and not path.startswith("file:")
            if on_disk:
                self._process_lock = _ProcessWriteLock(path)
            self._checkpointer = _Checkpointer(path) if checkpoint_aside and on_disk else None
            self._reader = _sqlite_engine(self.url, immediate=False, pool_size=read_pool_size)
            self._writer = _sqlite_engine(
                self.url, immediate=True, pool_size=1, autocheckpoint=self._checkpointer is None
            )
            self._engines: tuple[AsyncEngine, ...] = (self._reader, self._writer)
        else:
            engine = create_async_engine(self.url, pool_size=10, max_overflow=10)
            self._writer = engine
            self._reader = engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            self._engines = (engine,)
        self._replica: AsyncEngine | None = None
        self._replica_away_until = 0.0
        if replica_url:
            replica = async_url(replica_url)
            if self.dialect == "sqlite" or replica.get_backend_name() == "sqlite":
                raise ValueError("a read replica needs PostgreSQL, for it and for the primary")
            engine = create_async_engine(
                replica, pool_size=10, max_overflow=10, connect_args={"timeout": 2}
            )
            self._replica = engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            self._engines = (*self._engines, engine)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A consistent snapshot for one response."""
        async with self._reader.begin() as connection:
            yield connection

    def replica_usable(self) -> bool:
        """A replica is configured and has not failed in the last ``REPLICA_PAUSE_SECONDS``."""
        return self._replica is not None and time.monotonic() >= self._replica_away_until

    def replica_failed(self) -> None:
        """Leave the replica alone for a while: a dead host must not cost every read a timeout."""
        self._replica_away_until = time.monotonic() + REPLICA_PAUSE_SECONDS

    @asynccontextmanager
    async def replica_read(self) -> AsyncIterator[AsyncConnection]:
        """A snapshot on the read replica (callers check ``replica_usable`` first)."""
        assert self._replica is not None
        async with self._replica.begin() as connection:
            yield connection

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One transaction that commits on success and rolls back on any exception."""
        if self._write_lock is None:
            async with self._transaction() as connection:
                yield connection
            return
        async with self._write_lock:
            if self._process_lock is None:
                async with self._transaction() as connection:
                    yield connection
                return
            await self._process_lock.acquire()
            try:
                async with self._transaction() as connection:
                    yield connection
            finally:
                self._process_lock.release()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection]:
        """The writer's transaction; after a commit, tells ``after_commit`` what it changed."""
        touched = None
        async with self._writer.begin() as connection:
            try:
                yield connection
            finally:
                touched = connection.info.pop(TOUCHED_THREADS, None)
        if touched:
            for listener in self.after_commit:
                listener(touched)

    def start(self) -> None:
        """Start background work (SQLite checkpoints, when asked for); needs a running loop."""
        if self._checkpointer is not None:
            self._checkpointer.start()

    async def dispose(self) -> None:
        if self._checkpointer is not None:
            await self._checkpointer.stop()
        for engine in self._engines:
            await engine.dispose()
        if self._process_lock is not None:
            self._process_lock.close()
            self._process_lock = None
