"""The recent events of each channel, kept so a reader who reconnects misses nothing.

Every event gets an id when it is logged; the stream sends it as the SSE ``id:``, browsers send
the last one back as ``Last-Event-ID`` when they reconnect, and the stream replays what came
after it. With Redis the log is a capped Redis stream per channel, shared by every process and
server, so a reader may reconnect anywhere. Without Redis it is a table in the database
(``DatabaseEventLog``), which also carries the events between processes. Only a database no
other process can open (an in-memory SQLite) keeps it as a bounded list per channel in memory.
When the reader's last event is older than the log remembers, ``since`` says so (``None``)
and the stream tells the reader to reload instead of pretending nothing was missed.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from rejoinder.service.faults import log_failure
from rejoinder.store import live_events
from rejoinder.store.changes import ChangeWatch
from rejoinder.store.database import Database

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("rejoinder")

# What a reader who may have missed events gets: the event, and the broker's envelope of it
# (no id: a reload, not a place in the log).
RESYNC_EVENT = b'{"type":"resync"}'
RESYNC = b'{"id":"","event":{"type":"resync"}}'

# Enough for a reader's phone to sleep through a busy minute on a hot thread.
KEEP_PER_CHANNEL = 500
KEEP_SECONDS = 3600
MAX_CHANNELS = 10_000
_REDIS_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


class EventLog(Protocol):
    # True if the log itself hands every process's events to this process's readers.
    delivers: bool

    async def append_all(self, events: Sequence[tuple[str, bytes]]) -> list[str]: ...

    async def since(self, channel: str, last_id: str) -> list[tuple[str, bytes]] | None: ...

    async def forget_all(self) -> None:
        """Drop every kept event (after an erasure): reconnecting readers are told to reload."""

    async def close(self) -> None: ...


class MemoryEventLog:
    """Per-channel numbered events in this process, the least recently used channels dropped."""

    delivers = False

    def __init__(self) -> None:
        self._channels: OrderedDict[str, tuple[int, deque[tuple[int, bytes]]]] = OrderedDict()

    async def append_all(self, events: Sequence[tuple[str, bytes]]) -> list[str]:
        return [await self.append(channel, data) for channel, data in events]

    async def append(self, channel: str, data: bytes) -> str:
        last, events = self._channels.pop(channel, (0, deque(maxlen=KEEP_PER_CHANNEL)))
        events.append((last + 1, data))
        self._channels[channel] = (last + 1, events)
        while len(self._channels) > MAX_CHANNELS:
            self._channels.popitem(last=False)
        return str(last + 1)

    async def forget_all(self) -> None:
        # Numbering goes on, so an id from before is never mistaken for one from after.
        for channel, (last, _) in self._channels.items():
            self._channels[channel] = (last, deque(maxlen=KEEP_PER_CHANNEL))

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

    delivers = False

    def __init__(self, url: str) -> None:
        self._redis = fail_fast_redis(url)

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

    async def append_all(self, events: Sequence[tuple[str, bytes]]) -> list[str]:
        return [await self.append(channel, data) for channel, data in events]

    async def since(self, channel: str, last_id: str) -> list[tuple[str, bytes]] | None:
        if not _REDIS_ID.match(last_id):
            return None
        key = self._key(channel)
        # redis-py types stream entries loosely (bytes, str or None); with the default
        # decode_responses=False they are (bytes id, {bytes: bytes}), read as such here.
        oldest: list[tuple[bytes, dict[bytes, bytes]]] = await self._redis.xrange(
            key, "-", "+", count=1
        )  # type: ignore[assignment]
        if not oldest:
            return None
        first_id = oldest[0][0].decode()
        if _order(last_id) < _order(first_id) and _order(last_id) != _before(first_id):
            return None
        entries: list[tuple[bytes, dict[bytes, bytes]]] = await self._redis.xrange(
            key, f"({last_id}", "+", count=KEEP_PER_CHANNEL
        )  # type: ignore[assignment]
        return [(entry_id.decode(), fields[b"d"]) for entry_id, fields in entries]

    async def forget_all(self) -> None:
        keys = [key async for key in self._redis.scan_iter(match=self._key("*"), count=500)]
        for start in range(0, len(keys), 500):
            await self._redis.delete(*keys[start : start + 500])

    async def close(self) -> None:
        await self._redis.aclose()


class DatabaseEventLog:
    """The ``live_events`` table: appended by each process, delivered by each to its readers.

    Every process follows the table in id order (``deliver``), woken by the database's change
    signal: a ``NOTIFY`` on PostgreSQL, the data version on SQLite (looked at every 20 ms).
    Events older than ``KEEP_SECONDS`` are deleted now and then by whichever process appends.
    """

    delivers = True
    FORGET_EVERY = 500

    def __init__(self, database: Database, watch: ChangeWatch) -> None:
        self._database = database
        self._watch = watch
        self._appended = 0

    async def append_all(self, events: Sequence[tuple[str, bytes]]) -> list[str]:
        now = datetime.now(UTC)
        async with self._database.write() as connection:
            ids = await live_events.append(connection, events, now)
            self._appended += len(events)
            if self._appended >= self.FORGET_EVERY:
                self._appended = 0
                await live_events.forget_before(connection, now - timedelta(seconds=KEEP_SECONDS))
        return [str(event_id) for event_id in ids]

    async def forget_all(self) -> None:
        async with self._database.write() as connection:
            await live_events.forget_all(connection, keep_as=RESYNC_EVENT)

    async def since(self, channel: str, last_id: str) -> list[tuple[str, bytes]] | None:
        if not last_id.isdigit() or len(last_id) > 18:
            return None
        async with self._database.read() as connection:
            found = await live_events.in_channel_after(connection, channel, int(last_id))
        return None if found is None else [(str(n), data) for n, data in found]

    async def deliver(self, publish: Callable[[str, str, bytes], None]) -> None:
        """Hand every event appended from now on, by any process, to ``publish``, in order."""
        async with self._database.read() as connection:
            delivered = await live_events.last_id(connection)
        away = False
        while True:
            activity = self._watch.activity()
            try:
                async with self._database.read() as connection:
                    found = await live_events.after(connection, delivered)
            except Exception as error:  # the database is away: retry, readers stay connected
                if not away:  # once per outage, not every second
                    log_failure("could not read live events", error)
                away = True
                await asyncio.sleep(1)
                continue
            if away:
                log.warning("live events are read again")
                away = False
            for event_id, channel, data in found:
                publish(str(event_id), channel, data)
                delivered = event_id
            if len(found) < 1000:
                await self._watch.changed(activity)

    async def close(self) -> None:
        pass


def fail_fast_redis(url: str, timeout: float = 2) -> Redis:
    """A client that reports an outage within ``timeout`` seconds instead of retrying or
    hanging: every caller here has something better to do than wait (count locally, tell
    readers to resync)."""
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )


def _order(event_id: str) -> tuple[int, int]:
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


def _before(event_id: str) -> tuple[int, int]:
    ms, seq = _order(event_id)
    return (ms, seq - 1) if seq else (ms - 1, 2**63)


def order_of(event_id: str) -> tuple[int, int]:
    """Sort key of an id from either log, for skipping events already replayed."""
    return _order(event_id) if "-" in event_id else (int(event_id), 0)
