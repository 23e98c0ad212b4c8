"""Connections to the one database, for reading and for writing.

SQLite (the embedded default) allows one writer at a time. Rather than letting writers race
and fail with "database is locked", every write in this process goes through one connection
behind an asyncio lock, in a ``BEGIN IMMEDIATE`` transaction that takes the write lock up
front; other processes wait for it on a kernel lock beside the database. Reads use their own
pool and, thanks to WAL, never wait for writers. Statements run at once on the event loop's
own thread, on synchronous connections, except in ``read_aside()``, for the reads that may be
slow. ``store/sqlite.py`` has those pieces and why.

PostgreSQL needs none of that: both kinds of work share one pool, and reads run in
read-only REPEATABLE READ transactions so that one response sees one snapshot. A read replica,
when configured, gets only the reads that can tell whether it is current (``replica_read``:
see ``service/reading.py``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeAlias, TypeVar

from sqlalchemy import CursorResult, Executable, Pool, Row, event
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from rejoinder.store.sqlite import (
    Checkpointer,
    SqliteAsideConnection,
    SqliteConnection,
    SqliteWrites,
    file_path,
    sqlite_engine,
)

REPLICA_PAUSE_SECONDS = 30.0
# Key in a connection's ``info`` for the threads its transaction changed.
TOUCHED_THREADS = "rejoinder_touched_threads"

T = TypeVar("T")

# What a statement gives back, untyped by column: the store reads rows by column name.
# (``Result[Any]`` would be a result of one-column rows, since SQLAlchemy 2.1 types a row's
# columns as a tuple of types; ``CursorResult`` also has ``rowcount`` and ``returns_rows``.)
Rows: TypeAlias = CursorResult[*tuple[Any, ...]]
AnyRow: TypeAlias = Row[*tuple[Any, ...]]


def driver_url(database_url: str) -> URL:
    """The SQLAlchemy URL with our driver for a plain ``sqlite:`` or ``postgresql:`` URL."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+pysqlite")
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


class Connection(Protocol):
    """What the store needs of a connection inside a transaction: SQLAlchemy's
    ``AsyncConnection`` on PostgreSQL, ``SqliteConnection`` on SQLite (``SqliteAsideConnection``
    in ``read_aside()``)."""

    @property
    def info(self) -> dict[Any, Any]: ...

    @property
    def dialect(self) -> Dialect: ...

    async def execute(self, statement: Executable, parameters: Any = None) -> Rows: ...

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any: ...

    async def exec_driver_sql(self, statement: str, parameters: Any = None) -> Rows: ...

    async def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T: ...


class Database:
    """The application's handle on storage: ``read()``, ``read_aside()`` and ``write()``
    transactions."""

    def __init__(
        self,
        database_url: str,
        *,
        read_pool_size: int = 4,
        checkpoint_aside: bool = False,
        replica_url: str | None = None,
    ) -> None:
        self.url = driver_url(database_url)
        self.dialect = self.url.get_backend_name()
        # Called after each commit: on PostgreSQL with the threads it changed and their new
        # versions (thread 0: every thread of a site), as store/threads.py notes them, for
        # store/changes.py; on SQLite with none (its change follower reads the versions
        # itself). service/faults.Outages hears of every commit to end an outage.
        self.after_commit: list[Callable[[dict[int, int]], None]] = []
        self._checkpointer: Checkpointer | None = None
        self._sqlite_writes: SqliteWrites | None = None
        self.sqlite_file: str | None = None  # the database file, on SQLite
        if self.dialect == "sqlite":
            path = self.url.database or ":memory:"
            self.sqlite_file = file_path(path)
            if checkpoint_aside and self.sqlite_file:
                self._checkpointer = Checkpointer(self.sqlite_file)
            self._sqlite_reader = sqlite_engine(path, immediate=False, pool_size=read_pool_size)
            self._sqlite_writes = SqliteWrites(
                sqlite_engine(
                    path, immediate=True, pool_size=1, autocheckpoint=self._checkpointer is None
                ),
                self.sqlite_file,
                committed=lambda: self._committed({}),
            )
            self._engines: tuple[AsyncEngine, ...] = ()
        else:
            self.sqlite_file = None
            engine = create_async_engine(self.url, pool_size=10, max_overflow=10)
            self._writer = engine
            self._reader = engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            self._engines = (engine,)
        self._replica: AsyncEngine | None = None
        self._replica_away_until = 0.0
        if replica_url:
            replica = driver_url(replica_url)
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
    async def read(self) -> AsyncIterator[Connection]:
        """A consistent snapshot for one response."""
        if self.is_sqlite:
            with self._sqlite_reader.begin() as connection:
                yield SqliteConnection(connection)
            return
        async with self._reader.begin() as connection:
            yield connection

    @asynccontextmanager
    async def read_aside(self) -> AsyncIterator[Connection]:
        """A snapshot like ``read()``'s, for reads that may take long (the moderators'
        queues, searches and histories, the audit export, the bans list).

        ``read()`` runs SQLite's statements on the event loop's thread, which is right for
        the readers' pages (microseconds each: see ``SqliteConnection``), but a read that
        scans thousands of rows would stall every reader meanwhile. Here each statement runs
        in a worker thread on the same kind of connection (``SqliteAsideConnection``).
        PostgreSQL's statements never block the loop, so there this is ``read()``.
        """
        if not self.is_sqlite:
            async with self.read() as connection:
                yield connection
            return
        sync_connection = self._sqlite_reader.connect()  # its pool never makes anyone wait
        try:
            sync_connection.begin()
        except BaseException:
            sync_connection.close()
            raise
        aside = SqliteAsideConnection(sync_connection)
        try:
            yield aside
        finally:
            await aside.close()  # a read-only transaction: rolling it back loses nothing

    def replica_usable(self) -> bool:
        """A replica is configured and has not failed in the last ``REPLICA_PAUSE_SECONDS``."""
        return self._replica is not None and time.monotonic() >= self._replica_away_until

    def replica_failed(self) -> None:
        """Leave the replica alone for a while: a dead host must not cost every read a timeout."""
        self._replica_away_until = time.monotonic() + REPLICA_PAUSE_SECONDS

    @asynccontextmanager
    async def replica_read(self) -> AsyncIterator[Connection]:
        """A snapshot on the read replica (callers check ``replica_usable`` first)."""
        assert self._replica is not None
        async with self._replica.begin() as connection:
            yield connection

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Connection]:
        """One transaction that commits on success and rolls back on any exception.

        On SQLite, writes of this process that wait for the writer together share a
        transaction (``store/sqlite.py``); each still commits or rolls back as a whole, and
        returns only once it is committed.
        """
        if self._sqlite_writes is not None:
            async with self._sqlite_writes.write() as connection:
                yield connection
            return
        touched = None
        async with self._writer.begin() as connection:
            try:
                yield connection
            except BaseException:
                # Nothing is committed, so nothing to announce. A connection the server closed
                # under us answers ``info`` with an error of its own, which must not hide the
                # real one (an invalidated connection's info goes with it anyway).
                with contextlib.suppress(Exception):
                    connection.info.pop(TOUCHED_THREADS, None)
                raise
            else:
                touched = connection.info.pop(TOUCHED_THREADS, None)
        self._committed(touched or {})

    def _committed(self, touched: dict[int, int]) -> None:
        for listener in self.after_commit:
            listener(touched)

    def watch_pools(self, changed: Callable[[str, int], None]) -> None:
        """Call ``changed(pool, +1)`` when a connection is checked out of a pool and
        ``changed(pool, -1)`` when it is returned: on SQLite the pools are ``read`` and
        ``write``, on PostgreSQL ``primary`` (reads and writes share it) and ``replica``."""
        pools: list[tuple[str, Pool]] = []
        if self._sqlite_writes is not None:
            pools = [("read", self._sqlite_reader.pool), ("write", self._sqlite_writes.engine.pool)]
        else:
            pools = [("primary", self._writer.pool)]
            if self._replica is not None:
                pools.append(("replica", self._replica.pool))
        for name, pool in pools:
            changed(name, 0)  # shown from the start, at 0
            event.listen(pool, "checkout", lambda *_, name=name: changed(name, 1))
            event.listen(pool, "checkin", lambda *_, name=name: changed(name, -1))

    def start(self) -> None:
        """Start background work (SQLite checkpoints, when asked for); needs a running loop."""
        if self._checkpointer is not None:
            self._checkpointer.start()

    async def dispose(self) -> None:
        if self._checkpointer is not None:
            await self._checkpointer.stop()
        for engine in self._engines:
            await engine.dispose()
        if self._sqlite_writes is not None:
            self._sqlite_reader.dispose()
            self._sqlite_writes.close()
