"""Live updates: publish thread events to the channels broker, stream them to readers.

The broker is Litestar's channels plugin: Redis when ``redis_url`` is set, so that every
worker's readers hear every worker's writes; otherwise in memory, and the events reach the
other processes through the database (``DatabaseEventLog``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator

import msgspec
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.connection import ASGIConnection
from litestar.response import ServerSentEventMessage

from rejoinder.config import Settings
from rejoinder.domain.events import MODERATION_CHANNEL, QueueChanged, ThreadEvent, channel_for
from rejoinder.store.changes import ChangeWatch, NoWatch
from rejoinder.store.database import Database
from rejoinder.web.event_log import (
    DatabaseEventLog,
    EventLog,
    MemoryEventLog,
    RedisEventLog,
    order_of,
)

log = logging.getLogger("rejoinder")

# Proxies drop idle connections after a minute or so; a comment line every 20 s keeps it open.
HEARTBEAT_SECONDS = 20.0
RECONNECT_MILLISECONDS = 3000
# A reader who cannot keep up loses old events rather than holding the server's memory.
SUBSCRIBER_BACKLOG = 200


def channels_plugin(settings: Settings) -> ChannelsPlugin:
    if settings.redis_url:
        from litestar.channels.backends.redis import RedisChannelsPubSubBackend
        from redis.asyncio import Redis

        class ClosingBackend(RedisChannelsPubSubBackend):
            """Litestar's backend resets its subscription at shutdown but leaves the client
            (and its pooled connections) open; this one closes what it was given."""

            def __init__(self, client: Redis) -> None:
                super().__init__(redis=client)
                self.client = client

            async def on_shutdown(self) -> None:
                await super().on_shutdown()
                await self.client.aclose()

        backend = ClosingBackend(Redis.from_url(settings.redis_url))
    else:
        backend = MemoryChannelsBackend()
    return ChannelsPlugin(
        backend=backend,
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=SUBSCRIBER_BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )


class Envelope(msgspec.Struct, frozen=True):
    """What travels through the broker: the event's id in the log, and the event's JSON."""

    id: str
    event: msgspec.Raw


class Publisher:
    """Logs each event, then hands it to the broker, in order, from one background task.

    Handlers call ``send`` after their commit and return at once; this task does the I/O, so
    a slow Redis or database never holds up a reader's post. Events queued together are
    logged together (one transaction for the database log). When the log delivers events
    itself (``DatabaseEventLog``), a second task follows it and publishes every process's
    events to this process's readers; this process's own events arrive that way too.
    """

    def __init__(self, channels: ChannelsPlugin, log: EventLog) -> None:
        self.channels = channels
        self.log = log
        self._queue: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        # With a delivering log: the last event this process logged, the newest one
        # published here, and whether that has caught up (so ``stop`` can wait for it).
        self._logged = 0
        self._newest_published = 0
        self._published = asyncio.Event()

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._run()))
        if self.log.delivers:
            self._tasks.append(asyncio.create_task(self.log.deliver(self._publish)))  # type: ignore[attr-defined]

    def send(self, channel: str, data: bytes) -> None:
        self._queue.put_nowait((channel, data))

    def _publish(self, event_id: str, channel: str, data: bytes) -> None:
        envelope = b'{"id":"' + event_id.encode() + b'","event":' + data + b"}"
        with contextlib.suppress(RuntimeError):  # the broker has shut down, and every stream
            self.channels.publish(envelope, channel)
        if event_id.isdigit():
            self._newest_published = max(self._newest_published, int(event_id))
            if self._newest_published >= self._logged:
                self._published.set()

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            batch = []
            item = await self._queue.get()
            while item is not None:
                batch.append(item)
                if self._queue.empty():
                    break
                item = self._queue.get_nowait()
            stopping = item is None
            if not batch:
                continue
            try:
                ids = await self.log.append_all(batch)
            except Exception:  # the log is a convenience for reconnects; live events go on
                log.exception("could not log live events")
                ids = [""] * len(batch)
                if self.log.delivers:  # nothing else will deliver them: do it here
                    for (channel, data), event_id in zip(batch, ids, strict=True):
                        self._publish(event_id, channel, data)
                continue
            if self.log.delivers:
                self._logged = int(ids[-1])
                if self._newest_published < self._logged:
                    self._published.clear()
            else:
                for (channel, data), event_id in zip(batch, ids, strict=True):
                    self._publish(event_id, channel, data)

    async def stop(self) -> None:
        """Deliver what is queued, then stop."""
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


def _publisher(connection: ASGIConnection) -> Publisher:
    return connection.app.state.publisher  # type: ignore[no-any-return]


def publish(connection: ASGIConnection, event: ThreadEvent) -> None:
    """Send the event to every subscriber of its thread; call only after the commit."""
    _publisher(connection).send(channel_for(event.thread), msgspec.json.encode(event))


async def forget_events(connection: ASGIConnection) -> None:
    """After a commenter's data is erased: recent events hold their words, so they go too."""
    await _publisher(connection).log.forget_all()


def publish_moderation(connection: ASGIConnection, event: QueueChanged) -> None:
    """Tell moderators' open queue pages; call only after the commit."""
    _publisher(connection).send(MODERATION_CHANNEL, msgspec.json.encode(event))


async def thread_stream(
    connection: ASGIConnection, thread_key: str, last_event_id: str | None = None
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """Each event of the thread as one SSE message, with heartbeats in between."""
    async for message in channel_stream(connection, channel_for(thread_key), last_event_id):
        yield message


async def channel_stream(
    connection: ASGIConnection, channel: str, last_event_id: str | None = None
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """Each event of one broker channel as an SSE message, with heartbeats in between.

    With ``last_event_id`` (a reconnecting browser's ``Last-Event-ID``), the events logged
    after it come first; if the log no longer reaches back that far, a ``resync`` event tells
    the reader to reload. The subscription starts before the log is read, and events already
    replayed are skipped, so nothing falls between the two or arrives twice.
    """
    channels = connection.app.plugins.get(ChannelsPlugin)
    queue: asyncio.Queue[bytes] = asyncio.Queue()

    async def enqueue(data: bytes) -> None:
        queue.put_nowait(data)

    async with (
        channels.start_subscription(channel) as subscriber,
        subscriber.run_in_background(enqueue, join=False),
    ):
        yield ServerSentEventMessage(data=None, comment="listening", retry=RECONNECT_MILLISECONDS)
        newest: tuple[int, int] | None = None
        if last_event_id:
            missed = await _publisher(connection).log.since(channel, last_event_id)
            if missed is None:
                yield ServerSentEventMessage(data="{}", event="resync")
            else:
                newest = order_of(last_event_id)
                for event_id, data in missed:
                    newest = order_of(event_id)
                    yield _message(event_id, data)
        while True:
            try:
                raw = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                yield ServerSentEventMessage(data=None, comment="keep-alive")
                continue
            envelope = msgspec.json.decode(raw, type=Envelope)
            if envelope.id and newest is not None and order_of(envelope.id) <= newest:
                continue
            yield _message(envelope.id, bytes(envelope.event))


def _message(event_id: str, data: bytes) -> ServerSentEventMessage:
    kind = msgspec.json.decode(data, type=dict).get("type", "message")
    return ServerSentEventMessage(data=data.decode(), event=kind, id=event_id or None)
