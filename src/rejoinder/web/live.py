"""Live updates streamed to readers and moderators as server-sent events.

The broker is Litestar's channels plugin: Redis when ``redis_url`` is set, so that every
worker's readers hear every worker's writes; otherwise in memory, and the events reach the
other processes through the database (``DatabaseEventLog``). What goes into it is published
by ``service/publishing.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator

import msgspec
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.connection import ASGIConnection
from litestar.response import ServerSentEventMessage

from rejoinder.config import Settings
from rejoinder.domain.events import channel_for
from rejoinder.metrics import LIVE_STREAMS
from rejoinder.service.event_log import RESYNC, order_of
from rejoinder.service.publishing import Envelope
from rejoinder.service.redis_broker import ReconnectingRedisBackend
from rejoinder.web.context import services

log = logging.getLogger("rejoinder")

# Proxies drop idle connections after a minute or so; a comment line every 20 s keeps it open.
HEARTBEAT_SECONDS = 20.0
RECONNECT_MILLISECONDS = 3000
# A reader who falls this many events behind gets a resync (and reloads) instead of the
# backlog, which the server would otherwise hold in memory for as long as the reader lags.
SUBSCRIBER_BACKLOG = 200


def channels_plugin(settings: Settings) -> ChannelsPlugin:
    backend: ChannelsBackend
    if settings.redis_url:
        backend = ReconnectingRedisBackend(settings.redis_url)
    else:
        backend = MemoryChannelsBackend()
    return ChannelsPlugin(
        backend=backend,
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=SUBSCRIBER_BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )


async def thread_stream(
    connection: ASGIConnection, thread_key: str, last_event_id: str | None = None
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """Each event of the thread as one SSE message, with heartbeats in between."""
    async for message in channel_stream(connection, channel_for(thread_key), last_event_id):
        yield message


class ReaderQueue(asyncio.Queue[bytes | None]):
    """One reader's events on their way to its stream; None ends the stream.

    A reader who falls ``SUBSCRIBER_BACKLOG`` events behind (a slow network, a burst after
    an outage) gets one resync in place of the backlog: it reloads, and the server holds no
    unbounded queue for it, nor drops events without telling it.
    """

    def offer(self, data: bytes) -> None:
        if self.qsize() >= SUBSCRIBER_BACKLOG:
            ending = False
            while not self.empty():
                ending = self.get_nowait() is None or ending
            self.put_nowait(None if ending else RESYNC)
            return
        self.put_nowait(data)


async def channel_stream(
    connection: ASGIConnection, channel: str, last_event_id: str | None = None
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """Each event of one broker channel as an SSE message, with heartbeats in between.

    With ``last_event_id`` (a reconnecting browser's ``Last-Event-ID``), the events logged
    after it come first; if the log no longer reaches back that far, a ``resync`` event tells
    the reader to reload. The subscription starts before the log is read, and events already
    replayed are skipped, so nothing falls between the two or arrives twice. The stream ends
    when the server starts shutting down (``Publisher.end_streams``).
    """
    channels = connection.app.plugins.get(ChannelsPlugin)
    publisher = services(connection).publisher
    queue = ReaderQueue()

    async def enqueue(data: bytes) -> None:
        queue.offer(data)

    if publisher.closing:
        return
    publisher.streams.add(queue)
    LIVE_STREAMS.inc()
    try:
        async with (
            channels.start_subscription(channel) as subscriber,
            subscriber.run_in_background(enqueue, join=False),
        ):
            yield ServerSentEventMessage(
                data=None, comment="listening", retry=RECONNECT_MILLISECONDS
            )
            newest: tuple[int, int] | None = None
            if last_event_id:
                try:
                    missed = await publisher.log.since(channel, last_event_id)
                except Exception:  # the log is away: the reader reloads rather than miss out
                    log.warning("could not read the event log to replay missed events")
                    missed = None
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
                if raw is None:  # the server is shutting down
                    return
                envelope = msgspec.json.decode(raw, type=Envelope)
                if envelope.id and newest is not None and order_of(envelope.id) <= newest:
                    continue
                yield _message(envelope.id, bytes(envelope.event))
    finally:
        publisher.streams.discard(queue)
        LIVE_STREAMS.dec()


def _message(event_id: str, data: bytes) -> ServerSentEventMessage:
    kind = msgspec.json.decode(data, type=dict).get("type", "message")
    return ServerSentEventMessage(data=data.decode(), event=kind, id=event_id or None)
