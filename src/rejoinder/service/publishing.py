"""Publishing events: each one logged, then handed to the broker, after its commit.

The broker is Litestar's channels plugin (``web/live.py`` makes it): Redis when ``redis_url``
is set, so that every worker's readers hear every worker's writes; otherwise in memory, and
the events reach the other processes through the database (``DatabaseEventLog``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

import msgspec

from rejoinder.config import Settings
from rejoinder.domain.events import MODERATION_CHANNEL, Event, QueueChanged, channel_for
from rejoinder.service.event_log import (
    RESYNC_EVENT,
    DatabaseEventLog,
    EventLog,
    MemoryEventLog,
    RedisEventLog,
)
from rejoinder.service.faults import log_failure
from rejoinder.store.changes import ChangeWatch, NoWatch
from rejoinder.store.database import Database

log = logging.getLogger("rejoinder")


class Envelope(msgspec.Struct, frozen=True):
    """What travels through the broker: the event's id in the log, and the event's JSON."""

    id: str
    event: msgspec.Raw


class Publisher:
    """Logs each event, then hands it to the broker, in order, from one background task.

    Callers publish (``Services.publish``) after their commit and return at once; this task
    does the I/O, so a slow Redis or database never holds up a reader's post. Events queued
    together are logged together (one transaction for the database log). When the log
    delivers events itself (``DatabaseEventLog``), a second task follows it and publishes
    every process's events to this process's readers; this process's own events arrive that
    way too.

    No committed change goes unannounced: an append that still fails after a few tries is
    delivered live without an id, and its channel gets a resync marker in the log as soon as
    the log takes appends again, so every reader, here or elsewhere, live or replaying, is
    told to reload.
    """

    APPEND_ATTEMPTS = 3
    MARKER_RETRY_SECONDS = 1.0
    MAX_UNLOGGED = 10_000

    def __init__(self, broker: Callable[[bytes, str], None], log: EventLog) -> None:
        self._broker = broker  # hands (data, channel) to this process's subscribers
        self.log = log
        self._queue: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        # With a delivering log: the last event this process logged, the newest one
        # published here, and whether that has caught up (so ``stop`` can wait for it).
        self._logged = 0
        self._newest_published = 0
        self._published = asyncio.Event()
        self._unlogged: set[str] = set()  # channels owed a resync marker in the log
        self._log_down = False
        # Each open stream's queue, ended (None) when the server starts shutting down.
        self.streams: set[asyncio.Queue[bytes | None]] = set()
        self.closing = False

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._run()))
        if isinstance(self.log, DatabaseEventLog):  # the one log that ``delivers``
            self._tasks.append(asyncio.create_task(self.log.deliver(self._publish)))
        self._end_streams_on_signal()

    def send(self, channel: str, data: bytes) -> None:
        self._queue.put_nowait((channel, data))

    def publish(self, events: Iterable[Event]) -> None:
        """Announce what an operation did: thread events to the thread's readers, queue
        changes to the moderators. Call only after the commit."""
        for event in events:
            channel = (
                MODERATION_CHANNEL if isinstance(event, QueueChanged) else channel_for(event.thread)
            )
            self.send(channel, msgspec.json.encode(event))

    def end_streams(self) -> None:
        """End every event stream: the server waits for open responses before it shuts down,
        and readers reconnect (elsewhere) with Last-Event-ID."""
        self.closing = True
        for queue in self.streams:
            queue.put_nowait(None)

    def _end_streams_on_signal(self) -> None:
        """Chain onto the server's SIGTERM and SIGINT handlers: uvicorn waits for every
        response to finish before the lifespan shutdown, so that would be too late."""
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(number)
            if not callable(previous):
                continue

            def handler(
                signum: int,
                frame: FrameType | None,
                previous: Callable[[int, FrameType | None], Any] = previous,
            ) -> None:
                loop.call_soon_threadsafe(self.end_streams)
                previous(signum, frame)

            signal.signal(number, handler)

    def _publish(self, event_id: str, channel: str, data: bytes) -> None:
        envelope = b'{"id":"' + event_id.encode() + b'","event":' + data + b"}"
        with contextlib.suppress(RuntimeError):  # the broker has shut down, and every stream
            self._broker(envelope, channel)
        if event_id.isdigit():
            self._newest_published = max(self._newest_published, int(event_id))
            if self._newest_published >= self._logged:
                self._published.set()

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            batch = []
            wait = self.MARKER_RETRY_SECONDS if self._unlogged else None
            try:
                item = await asyncio.wait_for(self._queue.get(), wait)
            except TimeoutError:  # quiet, but resync markers are owed: try the log again
                await self._log([])
                continue
            while item is not None:
                batch.append(item)
                if self._queue.empty():
                    break
                item = self._queue.get_nowait()
            stopping = item is None
            if batch:
                await self._log(batch)
        if self._unlogged:
            await self._log([])

    async def _log(self, batch: list[tuple[str, bytes]]) -> None:
        markers = [(channel, RESYNC_EVENT) for channel in self._unlogged]
        events = markers + batch
        if not events:
            return
        ids = await self._append(events)
        if ids is None:
            # Live with no id: through Redis to every process, else to this one's readers
            # only; the marker logged later tells everyone who could not hear it.
            for channel, data in batch:
                self._publish("", channel, data)
                if len(self._unlogged) < self.MAX_UNLOGGED:
                    self._unlogged.add(channel)
            return
        self._unlogged.difference_update(channel for channel, _ in markers)
        if self.log.delivers:
            self._logged = int(ids[-1])
            if self._newest_published < self._logged:
                self._published.clear()
        else:
            for (channel, data), event_id in zip(events, ids, strict=True):
                self._publish(event_id, channel, data)

    async def _append(self, events: list[tuple[str, bytes]]) -> list[str] | None:
        """The events' ids, after a few tries (one while the log is known to be down)."""
        attempts = 1 if self._log_down else self.APPEND_ATTEMPTS
        for attempt in range(attempts):
            try:
                ids = await self.log.append_all(events)
            except Exception as error:
                if attempt + 1 < attempts:
                    await asyncio.sleep(0.2 * 2**attempt)
                    continue
                if not self._log_down:
                    log_failure("could not log live events; readers will be told to resync", error)
                    self._log_down = True
                return None
            if self._log_down:
                log.warning("live events are logged again")
                self._log_down = False
            return ids
        return None

    async def stop(self) -> None:
        """End the streams, deliver what is queued, then stop."""
        self.end_streams()
        self._queue.put_nowait(None)
        if self._tasks:
            await self._tasks[0]
            if self._logged:  # the follower hands on what this process logged last
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._published.wait(), 2)
            for task in self._tasks[1:]:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.log.close()


def event_log(settings: Settings, database: Database, watch: ChangeWatch) -> EventLog:
    if settings.redis_url:
        return RedisEventLog(settings.redis_url)
    if isinstance(watch, NoWatch):
        return MemoryEventLog()
    return DatabaseEventLog(database, watch)
