"""Connections to the one database, for reading and for writing.

SQLite (the embedded default) allows one writer at a time. Rather than letting writers race
and fail with "database is locked", every write in this process goes through one connection
behind an asyncio lock, in a ``BEGIN IMMEDIATE`` transaction that takes the write lock up
front; other processes wait for it on a kernel lock beside the database. Reads use their own
pool and, thanks to WAL, never wait for writers. Statements run at once on the event loop's
own thread, on synchronous connections (``SqliteConnection`` says why).

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
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection as SyncConnection
from sqlalchemy import Engine, Executable, Result, create_engine, event
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

SQLITE_BUSY_TIMEOUT_MS = 10_000
REPLICA_PAUSE_SECONDS = 30.0
MAX_GROUP = 64  # SQLite writes committed together at most, so none waits long for the rest
# Key in a connection's ``info`` for the threads its transaction changed.
TOUCHED_THREADS = "rejoinder_touched_threads"

log = logging.getLogger(__name__)
T = TypeVar("T")


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
    ``AsyncConnection`` on PostgreSQL, ``SqliteConnection`` on SQLite."""

    @property
    def info(self) -> dict[Any, Any]: ...

    @property
    def dialect(self) -> Dialect: ...

    async def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]: ...

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any: ...

    async def exec_driver_sql(self, statement: str, parameters: Any = None) -> Result[Any]: ...

    async def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T: ...


class SqliteConnection:
    """``AsyncConnection``'s calls, answered at once by a synchronous SQLAlchemy connection on
    the event loop's thread.

    SQLite answers from memory in microseconds and, in WAL mode, a read never waits for a
    writer and a writer never waits for another (the process lock is taken first), so running
    statements here blocks the loop for no longer than the work itself. Handing them to
    aiosqlite's thread instead cost four hand-offs per statement, each waiting for the GIL,
    and let other requests run while a post held SQLite's one write lock: measured under 32
    concurrent posters, 11 ms of lock for under 2 ms of work. Going through SQLAlchemy's
    async layer on the loop's thread still cost 46 µs per primary-key SELECT, against
    15 µs for the same statement on a synchronous connection (and 126 µs against a few for
    an empty read transaction): the greenlet switches and adapters were most of every
    statement's cost.
    """

    __slots__ = ("sync_connection",)

    def __init__(self, connection: SyncConnection) -> None:
        self.sync_connection = connection

    @property
    def info(self) -> dict[Any, Any]:
        return self.sync_connection.info

    @property
    def dialect(self) -> Dialect:
        return self.sync_connection.dialect

    @property
    def driver(self) -> sqlite3.Connection:
        """The ``sqlite3`` connection underneath, for ``store/_sql.Prepared``."""
        return self.sync_connection.connection.driver_connection  # type: ignore[return-value]

    async def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]:
        return self.sync_connection.execute(statement, parameters)

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any:
        return self.sync_connection.scalar(statement, parameters)

    async def exec_driver_sql(self, statement: str, parameters: Any = None) -> Result[Any]:
        return self.sync_connection.exec_driver_sql(statement, parameters)

    async def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return fn(self.sync_connection, *args, **kwargs)


def _sqlite_engine(
    path: str, *, immediate: bool, pool_size: int, autocheckpoint: bool = True
) -> Engine:
    """A synchronous engine whose pool never makes a caller wait: with statements on the
    loop's thread, a caller waiting for a pooled connection would wait for ever, since the
    coroutine holding it could never run to give it back."""
    engine = create_engine(
        URL.create("sqlite+pysqlite", database=path),
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=-1,
        connect_args={
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            "check_same_thread": False,
            "uri": path.startswith("file:"),
        },
    )

    @event.listens_for(engine, "connect")
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

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.connection.driver_connection.execute(begin)

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


class _WriteGroup:
    """One SQLite transaction shared by the writes of a process that waited for it together.

    Each commit writes every page its transaction changed to the WAL, and a post changes
    the same few pages as the next one (the thread's row, the ends of the comment indexes,
    the live-event log). While another process holds the write lock, this one's posts queue;
    when it gets the lock they now run one after another in one transaction, each in a
    SAVEPOINT (a failed one is rolled back to it alone), and the group commits when no more
    are waiting, or after ``MAX_GROUP``. Nobody is answered before that commit, so what a
    writer has been told is durable. The kernel lock changes hands once per group, not once
    per write. Measured with two workers taking posts from 32 connections: 741 posts/s
    before, 1,093 after. A write that finds nobody waiting commits at once, as before.
    """

    __slots__ = ("connection", "done", "members", "transaction")

    def __init__(self, connection: SyncConnection, transaction: Any) -> None:
        self.connection = connection
        self.transaction = transaction
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.members = 0


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
        self.url = driver_url(database_url)
        self.dialect = self.url.get_backend_name()
        # Called after each commit with the threads it changed and their new versions
        # (thread 0: every thread of a site), as store/threads.py notes them; for
        # store/changes.py.
        self.after_commit: list[Callable[[dict[int, int]], None]] = []
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        self._group: _WriteGroup | None = None
        self._waiting = 0  # writes of this process waiting for the write lock
        self._checkpointer: _Checkpointer | None = None
        self._process_lock: _ProcessWriteLock | None = None
        if self.dialect == "sqlite":
            path = self.url.database or ":memory:"
            on_disk = bool(path) and path != ":memory:" and not path.startswith("file:")
            if on_disk:
                self._process_lock = _ProcessWriteLock(path)
            self._checkpointer = _Checkpointer(path) if checkpoint_aside and on_disk else None
            self._sqlite_reader = _sqlite_engine(path, immediate=False, pool_size=read_pool_size)
            self._sqlite_writer = _sqlite_engine(
                path, immediate=True, pool_size=1, autocheckpoint=self._checkpointer is None
            )
            self._engines: tuple[AsyncEngine, ...] = ()
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
        transaction (``_WriteGroup`` says why); each still commits or rolls back as a whole,
        and returns only once it is committed.
        """
        if self._write_lock is None:
            async with self._transaction() as connection:
                yield connection
            return
        self._waiting += 1
        try:
            await self._write_lock.acquire()
        except BaseException:
            self._waiting -= 1
            if self._group is not None and not self._waiting and not self._write_lock.locked():
                self._close(self._group)  # it was left open for this writer, who has gone
            raise
        self._waiting -= 1
        try:
            group = self._group or await self._open_group()
            driver = group.connection.connection.driver_connection
            touched = dict(group.connection.info.get(TOUCHED_THREADS, {}))
            driver.execute("SAVEPOINT rejoinder_write")
            try:
                yield SqliteConnection(group.connection)
            except BaseException:
                group.connection.info[TOUCHED_THREADS] = touched
                self._undo(group, driver)
                raise
            driver.execute("RELEASE rejoinder_write")
            group.members += 1
            self._close_unless_awaited(group)
        finally:
            self._write_lock.release()
        await asyncio.shield(group.done)

    async def _open_group(self) -> _WriteGroup:
        if self._process_lock is not None:
            await self._process_lock.acquire()
        try:
            connection = self._sqlite_writer.connect()
            try:
                transaction = connection.begin()
            except BaseException:
                connection.close()
                raise
        except BaseException:
            if self._process_lock is not None:
                self._process_lock.release()
            raise
        self._group = _WriteGroup(connection, transaction)
        return self._group

    def _undo(self, group: _WriteGroup, driver: sqlite3.Connection) -> None:
        """Take back one failed write, leaving the others of its group as they were."""
        try:
            driver.execute("ROLLBACK TO rejoinder_write")
            driver.execute("RELEASE rejoinder_write")
        except sqlite3.Error as error:  # SQLite already rolled back the whole transaction
            self._close(group, failure=error)
            return
        self._close_unless_awaited(group)

    def _close_unless_awaited(self, group: _WriteGroup) -> None:
        """Commit now, unless more writes of this process are waiting to join the group."""
        if not self._waiting or group.members >= MAX_GROUP:
            self._close(group)

    def _close(self, group: _WriteGroup, failure: BaseException | None = None) -> None:
        """Commit the group (roll it back after a ``failure``) and tell its writers."""
        if self._group is group:
            self._group = None
        touched = group.connection.info.pop(TOUCHED_THREADS, None)
        try:
            if failure is None:
                group.transaction.commit()
            else:
                group.transaction.rollback()
        except Exception as error:
            failure = error
        finally:
            group.connection.close()
            if self._process_lock is not None:
                self._process_lock.release()
        if not group.done.done():
            if failure is None or not group.members:  # nobody waits to hear of a failure
                group.done.set_result(None)
            else:
                group.done.set_exception(failure)
        if failure is None and touched:
            for listener in self.after_commit:
                listener(touched)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Connection]:
        """PostgreSQL's transaction; after a commit, tells ``after_commit`` what it changed."""
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
        if self._group is not None:
            self._close(self._group)
        if self._checkpointer is not None:
            await self._checkpointer.stop()
        for engine in self._engines:
            await engine.dispose()
        if self.is_sqlite:
            self._sqlite_reader.dispose()
            self._sqlite_writer.dispose()
        if self._process_lock is not None:
            self._process_lock.close()
            self._process_lock = None
