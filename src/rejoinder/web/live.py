"""Live updates: publish thread events to the channels broker, stream them to readers.

The broker is Litestar's channels plugin: in memory for one process, Redis when
``redis_url`` is set so that every worker's readers hear every worker's writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import msgspec
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.connection import ASGIConnection
from litestar.response import ServerSentEventMessage

from rejoinder.config import Settings
from rejoinder.domain.events import MODERATION_CHANNEL, QueueChanged, ThreadEvent, channel_for

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


def publish(connection: ASGIConnection, event: ThreadEvent) -> None:
    """Queue the event for every subscriber of its thread; call only after the commit."""
    channels = connection.app.plugins.get(ChannelsPlugin)
    channels.publish(msgspec.json.encode(event), channel_for(event.thread))


def publish_moderation(connection: ASGIConnection, event: QueueChanged) -> None:
    """Tell moderators' open queue pages; call only after the commit."""
    channels = connection.app.plugins.get(ChannelsPlugin)
    channels.publish(msgspec.json.encode(event), MODERATION_CHANNEL)


async def thread_stream(
    connection: ASGIConnection, thread_key: str
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """Each event of the thread as one SSE message, with heartbeats in between."""
    async for message in channel_stream(connection, channel_for(thread_key)):
        yield message


async def channel_stream(
    connection: ASGIConnection, channel: str
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """Each event of one broker channel as an SSE message, with heartbeats in between."""
    channels = connection.app.plugins.get(ChannelsPlugin)
    queue: asyncio.Queue[bytes] = asyncio.Queue()

    async def enqueue(data: bytes) -> None:
        queue.put_nowait(data)

    async with (
        channels.start_subscription(channel) as subscriber,
        subscriber.run_in_background(enqueue, join=False),
    ):
        yield ServerSentEventMessage(data=None, comment="listening", retry=RECONNECT_MILLISECONDS)
        while True:
            try:
                data = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                yield ServerSentEventMessage(data=None, comment="keep-alive")
                continue
            kind = msgspec.json.decode(data, type=dict).get("type", "message")
            yield ServerSentEventMessage(data=data.decode(), event=kind)
