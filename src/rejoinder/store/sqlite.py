"""SQLite as the server uses it: statements on the event loop's thread (slow reads in a worker
thread beside it), one writer at a time across processes, writes that wait together committed
together, and WAL checkpoints beside the writers. ``store/database.py`` puts these together
with PostgreSQL behind one interface.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast

from sqlalchemy import Connection as SyncConnection
from sqlalchemy import CursorResult, Engine, Executable, RootTransaction, create_engine, event
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.pool import QueuePool

BUSY_TIMEOUT_MS = 10_000
# Once a checkpoint has reset the WAL, the next writer cuts the file back to this size:
# without it the file keeps the size of its largest burst for ever (issue 12: 295 MiB).
JOURNAL_SIZE_LIMIT = 64 * 2**20
MAX_GROUP = 64  # writes committed together at most, so none waits long for the rest

log = logging.getLogger(__name__)
T = TypeVar("T")


def file_path(path: str | None) -> str | None:
    """The database file, for a path that names one; None for an in-memory or URI database,
    which no other process (and no lock file beside it) can share."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return path


def _driver(connection: SyncConnection) -> sqlite3.Connection:
    """The ``sqlite3`` connection under a checked-out SQLAlchemy one. SQLAlchemy types it
    ``Any | None``, None only once the connection is closed or invalidated; these engines
    use the pysqlite driver alone, so it is a ``sqlite3.Connection``."""
    return cast(sqlite3.Connection, connection.connection.driver_connection)


class _OverSyncConnection:
    """What both stand-ins for ``AsyncConnection`` share: the synchronous connection they
    answer with, and the two attributes SQLAlchemy's callers read off a connection."""

    __slots__ = ("sync_connection",)

    def __init__(self, connection: SyncConnection) -> None:
        self.sync_connection = connection

    @property
    def info(self) -> dict[Any, Any]:
        return self.sync_connection.info

    @property
    def dialect(self) -> Dialect:
        return self.sync_connection.dialect


class SqliteConnection(_OverSyncConnection):
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

    __slots__ = ()

    @property
    def driver(self) -> sqlite3.Connection:
        """The ``sqlite3`` connection underneath, for ``store/_sql.Prepared`` (``_driver``
        spelled inline: this is on the path of every prepared statement)."""
        return cast(sqlite3.Connection, self.sync_connection.connection.driver_connection)

    async def execute(
        self, statement: Executable, parameters: Any = None
    ) -> CursorResult[*tuple[Any, ...]]:
        return self.sync_connection.execute(statement, parameters)

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any:
        return self.sync_connection.scalar(statement, parameters)

    async def exec_driver_sql(
        self, statement: str, parameters: Any = None
    ) -> CursorResult[*tuple[Any, ...]]:
        return self.sync_connection.exec_driver_sql(statement, parameters)

    async def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return fn(self.sync_connection, *args, **kwargs)


class SqliteAsideConnection(_OverSyncConnection):
    """``SqliteConnection``'s calls, answered by a synchronous connection in a worker thread.

    For the reads that can be slow (moderators' queues and searches, the audit export): on
    the loop's thread they would stall every reader until they finished. Each call goes to
    ``asyncio.to_thread`` and its rows are read there in full, so iterating a result on the
    loop does no SQLite work; ``sqlite3`` lets go of the GIL while a statement runs. Calls
    hold a lock on the connection, and ``close`` takes it too from a thread: a read cancelled
    mid-statement leaves the statement running, and the connection must not be closed (and
    handed to the next reader) under it.
    """

    __slots__ = ("_lock",)

    def __init__(self, connection: SyncConnection) -> None:
        super().__init__(connection)
        self._lock = threading.Lock()

    def _locked(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._lock:
            return fn(*args, **kwargs)

    async def _aside(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(self._locked, fn, *args, **kwargs)

    async def execute(
        self, statement: Executable, parameters: Any = None
    ) -> CursorResult[*tuple[Any, ...]]:
        return await self._aside(_buffered, self.sync_connection.execute, statement, parameters)

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any:
        return await self._aside(self.sync_connection.scalar, statement, parameters)

    async def exec_driver_sql(
        self, statement: str, parameters: Any = None
    ) -> CursorResult[*tuple[Any, ...]]:
        return await self._aside(
            _buffered, self.sync_connection.exec_driver_sql, statement, parameters
        )

    async def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self._aside(fn, self.sync_connection, *args, **kwargs)

    async def close(self) -> None:
        """End the transaction and give the connection back, once no statement runs on it;
        done even if the caller is cancelled meanwhile."""
        await asyncio.shield(asyncio.to_thread(self._locked, self.sync_connection.close))


def _buffered(
    execute: Callable[[Any, Any], CursorResult[*tuple[Any, ...]]], statement: Any, parameters: Any
) -> CursorResult[*tuple[Any, ...]]:
    """The result with every row already fetched (``sqlite3`` steps the statement as rows
    are fetched, so a result read later on the loop would run the query there).

    The fetched copy is a plain ``Result``: it has the rows and every way of reading them,
    but no ``rowcount``, which only a write asks for, and nothing writes aside."""
    result = execute(statement, parameters)
    if not result.returns_rows:
        return result
    return cast(CursorResult[*tuple[Any, ...]], result.freeze()())


def sqlite_engine(
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
            "timeout": BUSY_TIMEOUT_MS / 1000,
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
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
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


def free_bytes(database_file: str) -> int | None:
    """Bytes free to this process on the disk that holds ``database_file`` (and its WAL);
    None when that cannot be read."""
    try:
        stats = os.statvfs(os.path.dirname(os.path.abspath(database_file)))
    except OSError:
        return None
    return stats.f_bavail * stats.f_frsize


class Checkpointer:
    """Copies the WAL back into the database file from a thread, off the writers' path, and
    empties the WAL file when the writers pause.

    SQLite's automatic checkpoint runs inside the commit that crosses 1,000 pages of WAL: that
    writer (and every writer queued behind its lock) waits for the copy and its fsync.
    Measured on a post flood, taking it out of the commit gave 9% more posts per second. A
    PASSIVE checkpoint never blocks writers or readers, so it can run beside them.

    A PASSIVE checkpoint never shrinks the file, though, and under steady reads the WAL is
    rarely reset, so it grew with every burst and stayed that size (issue 12: 295 MiB beside
    a 45 MiB database). When a round finds the WAL all copied and no frame added since the
    last round, the writers have paused: a TRUNCATE checkpoint then empties the file. It
    waits for nobody (busy timeout 0): if a reader or writer is busy, it gives up at once
    and the next pause tries again.

    Under load that never pauses, a PASSIVE checkpoint copies every frame but the WAL still
    never restarts: each new reader starts on a snapshot that is in the WAL, so some reader
    always holds it. Measured with 6,000 reads/s and 330 posts/s for 30 s, the WAL reached
    719 MiB beside a 34 MiB database. So once the WAL is over ``WAL_BOUND_BYTES``, the round
    runs a TRUNCATE checkpoint that waits up to ``BOUND_WAIT_MS``: SQLite then holds new
    writers back while it copies the last frames, and readers that start meanwhile read the
    database file alone, so the readers on the WAL finish (reads take milliseconds) and the
    file is emptied. Writers wait for it (within their own busy timeout); readers never do.
    The same happens when the WAL is larger than the disk's free space.
    """

    INTERVAL_SECONDS = 0.5
    WAL_BOUND_BYTES = JOURNAL_SIZE_LIMIT
    BOUND_WAIT_MS = 250

    def __init__(self, path: str) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        # Held by whichever thread uses the connection. Cancelling the task does not stop a
        # round already running in its thread, so stop() must wait for that round before
        # its last checkpoint and the close: one connection used by two threads at once, or
        # closed under one, crashed the process (a segmentation fault at shutdown).
        self._in_use = threading.Lock()
        self._closed = False
        self._last_frames = -1  # WAL frames the previous round saw
        self._frame_bytes = 0  # a WAL frame: one page and its 24-byte header

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = sqlite3.connect(
                self._path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
            self._connection.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
            page_size = self._connection.execute("PRAGMA page_size").fetchone()[0]
            self._frame_bytes = page_size + 24
        return self._connection

    def _checkpoint(self) -> None:
        with self._in_use:
            if self._closed:
                return
            self._round(self._connect())

    def _round(self, connection: sqlite3.Connection) -> None:
        _busy, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        paused = frames > 0 and frames == copied and frames == self._last_frames
        self._last_frames = frames
        if paused:
            self._truncate(connection)
        elif frames * self._frame_bytes > self._bound():
            self._truncate(connection, wait_ms=self.BOUND_WAIT_MS)

    def _bound(self) -> int:
        """``WAL_BOUND_BYTES``, or the free space beside the database if that is less: a WAL
        as large as the free space is also emptied, so that writes on a nearly full disk are
        not refused for a WAL the checkpoint could free (``DiskRoom``)."""
        free = free_bytes(self._path)
        return self.WAL_BOUND_BYTES if free is None else min(self.WAL_BOUND_BYTES, free)

    def _truncate(self, connection: sqlite3.Connection, wait_ms: int = 0) -> None:
        connection.execute(f"PRAGMA busy_timeout={wait_ms}")
        try:
            busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not busy:
            self._last_frames = 0

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
        await asyncio.to_thread(self._last_round)

    def _last_round(self) -> None:
        with self._in_use:
            self._closed = True
            if self._connection is None:
                return
            try:
                self._truncate(self._connection)
            except sqlite3.Error as error:  # a full disk, say: the WAL stays for next time
                log.warning("WAL not emptied at shutdown: %s", error)
            self._connection.close()
            self._connection = None


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

    def __init__(self, connection: SyncConnection, transaction: RootTransaction) -> None:
        self.connection = connection
        self.transaction = transaction
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.members = 0


class NoRoomToCheckpoint(sqlite3.OperationalError):
    """A write refused to keep room on the disk for the next checkpoint (see ``DiskRoom``);
    clients hear ``storage_full``, as for the disk filling under SQLite itself."""


class DiskRoom:
    """Refuses writes while the disk is too full for the WAL to be checkpointed.

    A checkpoint copies the WAL's pages into the database file, which grows to hold new
    ones; until it can, the WAL is never reset. On a full disk that is a trap: measured on a
    16 MiB disk, the 8.6 MiB an operator freed went to the WAL within half a second, in new
    frames for 130 posts, before a checkpoint ran; the database then had no room to grow, the
    WAL none to shrink, and posting never resumed. So a write is refused (503
    ``storage_full``) unless the free space exceeds the WAL's size plus ``RESERVE_BYTES``:
    the checkpoint can always run, and frees the WAL for the writes that follow. The free
    space is read at most every ``RECHECK_SECONDS``, so writers pay for one ``statvfs`` a
    tenth of a second, not one each.
    """

    RESERVE_BYTES = 1024 * 1024
    RECHECK_SECONDS = 0.1

    def __init__(self, path: str) -> None:
        self._path = path
        self._wal = f"{path}-wal"
        self._checked_at = -1.0
        self._short: str | None = None  # why writes are refused, while they are

    def check(self) -> None:
        now = time.monotonic()
        if now - self._checked_at >= self.RECHECK_SECONDS:
            self._checked_at = now
            self._short = self._measure()
        if self._short is not None:
            raise NoRoomToCheckpoint(self._short)

    def _measure(self) -> str | None:
        free = free_bytes(self._path)
        try:
            wal = os.path.getsize(self._wal) if os.path.exists(self._wal) else 0
        except OSError:
            wal = 0
        if free is None or free >= wal + self.RESERVE_BYTES:  # else SQLite's own errors tell
            return None
        return (
            f"database or disk is full: {free} bytes free, and the checkpoint of a "
            f"{wal}-byte WAL needs room"
        )


class SqliteWrites:
    """Every write of this process to one SQLite database, one at a time, in write groups.

    ``committed`` is called after each group's commit (``Database.after_commit``).
    """

    def __init__(self, engine: Engine, path: str | None, committed: Callable[[], None]) -> None:
        self.engine = engine
        self._committed = committed
        self._lock = asyncio.Lock()
        self._process_lock = _ProcessWriteLock(path) if path else None
        self._group: _WriteGroup | None = None
        self._waiting = 0  # writes of this process waiting for the write lock
        self._room = DiskRoom(path) if path else None

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SqliteConnection]:
        """One write, committed or rolled back as a whole; it returns once it is committed."""
        if self._room is not None:
            self._room.check()
        self._waiting += 1
        try:
            await self._lock.acquire()
        except BaseException:
            self._waiting -= 1
            if self._group is not None and not self._waiting and not self._lock.locked():
                self._close(self._group)  # it was left open for this writer, who has gone
            raise
        self._waiting -= 1
        try:
            group = self._group or await self._open_group()
            driver = _driver(group.connection)
            driver.execute("SAVEPOINT rejoinder_write")
            try:
                yield SqliteConnection(group.connection)
            except BaseException:
                self._undo(group, driver)
                raise
            driver.execute("RELEASE rejoinder_write")
            group.members += 1
            self._close_unless_awaited(group)
        finally:
            self._lock.release()
        await asyncio.shield(group.done)

    async def _open_group(self) -> _WriteGroup:
        if self._process_lock is not None:
            await self._process_lock.acquire()
        try:
            connection = self.engine.connect()
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
        if failure is None:
            self._committed()

    def close(self) -> None:
        """Commit a group still open, and let go of the engine and the lock file."""
        if self._group is not None:
            self._close(self._group)
        self.engine.dispose()
        if self._process_lock is not None:
            self._process_lock.close()
            self._process_lock = None
