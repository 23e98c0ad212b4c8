"""The recent events of each channel, kept so a reader who reconnects misses nothing.

Every event gets an id when it is logged; the stream sends it as the SSE ``id:``, browsers send
the last one back as ``Last-Event-ID`` when they reconnect, and the stream replays what came
after it. With Redis the log is a capped Redis stream per channel, shared by every process and
server, so a reader may reconnect anywhere; alone, it is a bounded list per channel in memory.
When the reader's last event is older than the log remembers, ``since`` says so (``None``)
and the stream tells the reader to reload instead of pretending nothing was missed.
"""

from __future__ import annotations

import re
from collections import OrderedDict, deque
from typing import Protocol

# Enough for a reader's phone to sleep through a busy minute on a hot thread.
KEEP_PER_CHANNEL = 500
KEEP_SECONDS = 3600
MAX_CHANNELS = 10_000
_REDIS_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


class EventLog(Protocol):
    async def append(self, channel: str, data: bytes) -> str: ...

    async def since(self, channel: str, last_id: str) -> list[tuple[str, bytes]] | None: ...

    async def close(self) -> None: ...


class MemoryEventLog:
    """Per-channel numbered events in this process, the least recently used channels dropped."""

    def __init__(self) -> None:
        self._channels: OrderedDict[str, tuple[int, deque[tuple[int, bytes]]]] = OrderedDict()

    async def append(self, channel: str, data: bytes) -> str:
        last, events = self._channels.pop(channel, (0, deque(maxlen=KEEP_PER_CHANNEL)))
        events.append((last + 1, data))
        self._channels[channel] = (last + 1, events)
        while len(self._channels) > MAX_CHANNELS:
            self._channels.popitem(last=False)
        return str(last + 1)

    async def since(self, channel: str, last_id: str) -> list[tuple[str, bytes]] | None:
        if not last_id.isdigit():
            return None
        seen = int(last_id)
        last, events = self._channels.get(channel, (0, deque()))
        if seen == last:
            return []
        if seen > last or not events or events[0][0] > seen + 1:
            return None
        return [(str(n), data) for n, data in events if n > seen]

    async def close(self) -> None:
        pass


class RedisEventLog:
    """A capped Redis stream per channel; ids are Redis stream ids ("ms-seq")."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url)

    @staticmethod
    def _key(channel: str) -> str:
        return f"rejoinder:events:{channel}"

    async def append(self, channel: str, data: bytes) -> str:
        key = self._key(channel)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(key, {"d": data}, maxlen=KEEP_PER_CHANNEL, approximate=True)
            pipe.expire(key, KEEP_SECONDS)
            event_id, _ = await pipe.execute()
        return event_id.decode() if isinstance(event_id, bytes) else str(event_id)

    async def since(self, channel: str, last_id: str) -> list[tuple[str, bytes]] | None:
        if not _REDIS_ID.match(last_id):
            return None
        key = self._key(channel)
        oldest = await self._redis.xrange(key, "-", "+", count=1)
        if not oldest:
            return None
        first_id = oldest[0][0].decode()
        if _order(last_id) < _order(first_id) and _order(last_id) != _before(first_id):
            return None
        entries = await self._redis.xrange(key, f"({last_id}", "+", count=KEEP_PER_CHANNEL)
        return [(entry_id.decode(), fields[b"d"]) for entry_id, fields in entries]

    async def close(self) -> None:
        await self._redis.aclose()


def _order(event_id: str) -> tuple[int, int]:
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


def _before(event_id: str) -> tuple[int, int]:
    ms, seq = _order(event_id)
    return (ms, seq - 1) if seq else (ms - 1, 2**63)


def order_of(event_id: str) -> tuple[int, int]:
    """Sort key of an id from either log, for skipping events already replayed."""
    return _order(event_id) if "-" in event_id else (int(event_id), 0)
