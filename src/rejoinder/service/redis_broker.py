"""The channels plugin's Redis backend, made to outlive Redis: publishing never raises and
the subscription comes back by itself, with a ``resync`` for what was missed meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Iterable
from typing import Any

from litestar.channels.backends.base import ChannelsBackend
from redis.exceptions import RedisError

from rejoinder.service.event_log import RESYNC, fail_fast_redis

log = logging.getLogger("rejoinder")


async def _close(pubsub: Any) -> None:
    """``PubSub.aclose``, typed loosely: redis-py annotates it only from release 8 on, and we
    support 5 and later, so neither a ``type: ignore`` nor its absence suits every release."""
    await pubsub.aclose()


class ReconnectingRedisBackend(ChannelsBackend):
    """Redis pub/sub for the channels plugin that outlives Redis outages.

    Litestar's own backend lets ``ConnectionError`` end the plugin's subscribe and publish
    tasks, so one outage stopped live updates for good and left shutdown waiting on a queue
    nobody served. Here publishing never raises (a lost event marks its channel, which gets a
    resync once Redis answers), and the subscription reconnects with backoff and hands every
    subscribed channel a resync, since whatever was published meanwhile never arrived.
    """

    LOST_CHANNELS = 10_000

    def __init__(self, url: str) -> None:
        self.client = fail_fast_redis(url)
        self._pubsub = self.client.pubsub()
        self._channels: set[str] = set()
        self._subscribed = asyncio.Event()
        self._broken = False  # the subscription must be made again
        self._lost: set[str] = set()  # channels whose events were not published
        self._down_until = 0.0  # while Redis is down, publishing waits for this to retry

    async def on_startup(self) -> None:
        pass

    async def on_shutdown(self) -> None:
        with contextlib.suppress(Exception):
            await _close(self._pubsub)
        await self.client.aclose()

    async def subscribe(self, channels: Iterable[str]) -> None:
        fresh = set(channels) - self._channels
        self._channels |= fresh
        try:
            await self._pubsub.subscribe(*fresh)
        except (RedisError, OSError):
            self._broken = True  # the stream subscribes to every channel once Redis is back
        self._subscribed.set()

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        gone = set(channels) & self._channels
        self._channels -= gone
        if not self._channels:
            self._subscribed.clear()
        with contextlib.suppress(RedisError, OSError):
            await self._pubsub.unsubscribe(*gone)

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        if self._down_until and time.monotonic() < self._down_until:
            self._mark_lost(channels)
            return
        try:
            try:
                await self._publish(data, channels)
            except (RedisError, OSError):  # a pooled connection from before a restart
                await self._publish(data, channels)
        except (RedisError, OSError) as error:
            if not self._down_until:
                log.warning("Redis is unreachable, live events wait for it (%s)", error)
            self._down_until = time.monotonic() + 0.5
            self._mark_lost(channels)
            return
        if self._down_until:
            log.warning("Redis answers again: live events are published")
            self._down_until = 0.0

    async def _publish(self, data: bytes, channels: Iterable[str]) -> None:
        if self._lost:
            lost, self._lost = self._lost, set()
            for channel in lost:
                await self.client.publish(channel, RESYNC)
        for channel in channels:
            await self.client.publish(channel, data)

    def _mark_lost(self, channels: Iterable[str]) -> None:
        if len(self._lost) < self.LOST_CHANNELS:
            self._lost.update(channels)

    async def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        backoff = 0.0
        while True:
            await self._subscribed.wait()
            try:
                if self._broken:
                    await self._resubscribe()
                    if backoff:
                        log.warning("Redis answers again: live events are delivered")
                    backoff = 0.0
                    for channel in list(self._channels):
                        yield channel, RESYNC
                message = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=1.0
                )
            except (RedisError, OSError, RuntimeError) as error:  # RuntimeError: no connection
                if not backoff:
                    log.warning("lost the Redis subscription, reconnecting (%s)", error)
                self._broken = True
                backoff = min(max(backoff * 2, 0.1), 2.0)
                await asyncio.sleep(backoff)
                continue
            if message is None or message["type"] != "message":
                continue
            channel = message["channel"].decode()
            if channel in self._channels:  # unsubscribing is not immediate
                yield channel, message["data"]

    async def _resubscribe(self) -> None:
        with contextlib.suppress(Exception):
            await _close(self._pubsub)
        self._pubsub = self.client.pubsub()
        if self._channels:
            await self._pubsub.subscribe(*self._channels)
        self._broken = False

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        raise NotImplementedError
