"""Has anything been committed since? Answered without a query, for the hot read path.

A cached thread page may be sent without touching the database only while this process knows
nothing has changed since the page was checked. Each watcher answers ``current(generation,
thread, version)`` for a page, from a *generation* taken before the page was built and, on
PostgreSQL, the thread's newest version:

- SQLite: the generation is ``PRAGMA data_version`` on a connection of our own, and a page
  is current while it has not moved. SQLite moves it whenever another connection, in this
  process or any other, commits; reading it costs about 1.5 µs and reads shared memory, not
  the database file.
- PostgreSQL: ``LISTEN`` for the notification that a trigger on ``threads`` sends whenever a
  thread's version moves (migration 0006), with the thread and its new version. It is
  delivered when, and only if, its transaction commits. While the listening connection is
  down the generation is ``None`` ("cannot vouch"), and every read goes to the database as
  it would without this. This process's own commits count at once, so its next reader never
  waits for the notification; readers on other processes see a change once it arrives,
  usually within a millisecond.

A reader must take the generation *before* the snapshot it builds from: a commit (or a lost
connection) that lands in between then moves it past the one stored with the page, and the
next reader checks again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Sequence
from typing import Any, Protocol

import asyncpg

from rejoinder.store.database import Database
from rejoinder.store.live_events import NOTIFY_CHANNEL
from rejoinder.store.threads import ALL_THREADS

log = logging.getLogger(__name__)

THREADS_CHANNEL = "rejoinder_threads"
# Thread changes (a trigger, migration 0006) and live events (store/live_events.py).
CHANNELS = (THREADS_CHANNEL, NOTIFY_CHANNEL)
RECONNECT_SECONDS = 1.0
# How often SQLite's data version is looked at while something waits for a change, and how
# long a waiter sleeps at most before looking at the database anyway.
POLL_SECONDS = 0.02
RECHECK_SECONDS = 1.0


class ChangeWatch(Protocol):
    def generation(self) -> int | None:
        """Taken before a page's snapshot; None if this watch cannot vouch for any page."""

    def current(self, generation: int | None, thread_id: int, version: int) -> bool:
        """Whether a page of ``thread_id`` built at ``version`` after ``generation`` was taken
        is still what the database would give."""

    def activity(self) -> int | None:
        """Like ``generation``, but also moved by commits no page shows (the live-event log)."""

    async def changed(self, since: int | None) -> None:
        """Return once ``activity`` has moved from ``since``, or after ``RECHECK_SECONDS``."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class NoWatch:
    """For databases we cannot watch (an in-memory SQLite): never vouch for a page."""

    def generation(self) -> int | None:
        return None

    def current(self, generation: int | None, thread_id: int, version: int) -> bool:
        return False

    def activity(self) -> int | None:
        return None

    async def changed(self, since: int | None) -> None:
        await asyncio.sleep(RECHECK_SECONDS)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class SqliteChanges:
    """``PRAGMA data_version`` of one private connection, read on the event loop."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._cursor: sqlite3.Cursor | None = None

    async def start(self) -> None:
        self._connection = sqlite3.connect(self._path, isolation_level=None, timeout=10)
        self._cursor = self._connection.cursor()

    def generation(self) -> int | None:
        if self._cursor is None:
            return None
        try:
            self._cursor.execute("PRAGMA data_version")
            version: int = self._cursor.fetchone()[0]
            return version
        except sqlite3.Error:
            return None

    def current(self, generation: int | None, thread_id: int, version: int) -> bool:
        """Nothing at all committed since: SQLite's data version says no more than that."""
        return generation is not None and generation == self.generation()

    def activity(self) -> int | None:
        return self.generation()

    async def changed(self, since: int | None) -> None:
        for _ in range(round(RECHECK_SECONDS / POLL_SECONDS)):
            await asyncio.sleep(POLL_SECONDS)
            if self.generation() != since:
                return

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = self._cursor = None


class PostgresChanges:
    """The newest version of each thread, as the ``rejoinder_threads`` notifications tell it.

    The trigger's payload is ``"<thread id>:<version>"``, so a page built at version 7 stays
    current until a notification says the thread is past 7, however many other threads
    change, and however long the page took to build. The generation is an *epoch*: it moves
    when the listening connection is lost or comes back (notifications may have been missed),
    and then every page is checked again. This process's own commits report their threads'
    new versions at once (``Database.after_commit``), without waiting for the notification.

    The connection is our own (not from the pool, which would hand it to other work).
    """

    MAX_THREADS = 100_000  # newest versions remembered; past that, start a new epoch

    def __init__(self, database: Database, channels: Sequence[str] = CHANNELS) -> None:
        self._channels = tuple(channels)
        self._moved = asyncio.Event()
        self._dsn = database.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._epoch = 0
        self._notices = 0  # every notification, and reconnections
        self._newest: dict[int, int] = {}
        self._listening = False
        self._task: asyncio.Task[None] | None = None
        self._connection: asyncpg.Connection[Any] | None = None
        self._lost = asyncio.Event()
        database.after_commit.append(self._committed_here)

    def generation(self) -> int | None:
        return self._epoch if self._listening else None

    def current(self, generation: int | None, thread_id: int, version: int) -> bool:
        return (
            self._listening
            and generation == self._epoch
            and self._newest.get(thread_id, version) <= version
        )

    def activity(self) -> int | None:
        return self._notices if self._listening else None

    def _committed_here(self, versions: dict[int, int]) -> None:
        if ALL_THREADS in versions:
            self._new_epoch()
        for thread_id, version in versions.items():
            self._saw(thread_id, version)

    def _saw(self, thread_id: int, version: int) -> None:
        if len(self._newest) >= self.MAX_THREADS:
            self._new_epoch()
        self._newest[thread_id] = max(version, self._newest.get(thread_id, 0))

    def _new_epoch(self) -> None:
        self._epoch += 1
        self._newest.clear()

    async def start(self) -> None:
        await self._listen()
        self._task = asyncio.create_task(self._keep_listening())

    async def _listen(self) -> None:
        self._lost.clear()
        connection = await asyncpg.connect(self._dsn)
        connection.add_termination_listener(self._on_lost)
        for channel in self._channels:
            await connection.add_listener(channel, self._on_notice)
        self._connection = connection
        self._new_epoch()
        self._notices += 1
        self._listening = True

    async def _keep_listening(self) -> None:
        while True:
            await self._lost.wait()
            self._listening = False
            self._new_epoch()
            if self._connection is not None:
                with contextlib.suppress(Exception):
                    await self._connection.close(timeout=1)
            while True:
                try:
                    await self._listen()
                    break
                except (OSError, asyncpg.PostgresError) as error:
                    log.warning("cannot listen for thread changes: %s", error)
                    await asyncio.sleep(RECONNECT_SECONDS)

    def _on_notice(self, _connection: object, _pid: int, channel: str, payload: object) -> None:
        # asyncpg hands a notification's payload over as ``str``; its stubs promise only
        # ``object``.
        if channel == THREADS_CHANNEL:
            thread, _, version = str(payload).partition(":")
            if thread.isdigit() and version.isdigit():
                self._saw(int(thread), int(version))
            else:  # a deleted thread: check every page again
                self._new_epoch()
        self._notices += 1
        self._moved.set()

    async def changed(self, since: int | None) -> None:
        if self.activity() != since:
            return
        self._moved.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._moved.wait(), RECHECK_SECONDS)

    def _on_lost(self, _connection: object) -> None:
        self._listening = False
        self._new_epoch()
        self._notices += 1
        self._moved.set()
        self._lost.set()

    async def close(self) -> None:
        self._listening = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close(timeout=1)


def watch_for(database: Database, channels: Sequence[str] = CHANNELS) -> ChangeWatch:
    if database.is_sqlite:
        return SqliteChanges(database.sqlite_file) if database.sqlite_file else NoWatch()
    return PostgresChanges(database, channels)
