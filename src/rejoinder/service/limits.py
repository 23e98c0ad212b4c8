"""Rate limits: fixed-window counters, in memory for one process or in Redis for many.

A fixed window is coarse (a burst at a window's edge may pass twice the limit) but costs one
atomic increment per request, and the limits here are about abuse, not accounting.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from redis.exceptions import RedisError

from rejoinder.domain.errors import Problem, RejoinderError

log = logging.getLogger("rejoinder")


class Counter(Protocol):
    async def increment(self, key: str, period: int) -> tuple[int, int]:
        """Count one hit; return (hits so far in this window, seconds until it ends)."""


class MemoryCounter:
    """Counters in this process's memory; old windows are swept as new ones start."""

    def __init__(self) -> None:
        self._hits: dict[str, int] = {}
        self._sweep_at = 0.0

    async def increment(self, key: str, period: int) -> tuple[int, int]:
        now = time.time()
        window = int(now // period)
        if now >= self._sweep_at:
            self._sweep(now)
        slot = f"{key}|{period}|{window}"
        self._hits[slot] = self._hits.get(slot, 0) + 1
        return self._hits[slot], max(1, int((window + 1) * period - now + 0.999))

    def _sweep(self, now: float) -> None:
        keep = {}
        for slot, hits in self._hits.items():
            _, period, window = slot.rsplit("|", 2)
            if (int(window) + 1) * int(period) > now:
                keep[slot] = hits
        self._hits = keep
        self._sweep_at = now + 60


class RedisCounter:
    """Counters shared by every process through Redis: INCR, with the key expiring with its
    window.

    Redis is optional, so its outage must not refuse or fail posts: while it does not answer,
    each process counts on its own (``MemoryCounter``, so the limits still hold per process),
    asks Redis again every ``RETRY_SECONDS``, and logs once when it goes and once when it
    comes back. A post waits for Redis at most ``TIMEOUT_SECONDS`` (an INCR takes well under a
    millisecond), and while Redis is down only one request at a time asks it again: a paused
    Redis, which accepts connections and never answers, costs one slow post a second, not all.
    """

    RETRY_SECONDS = 1.0
    TIMEOUT_SECONDS = 0.5

    def __init__(self, url: str) -> None:
        from rejoinder.service.event_log import fail_fast_redis

        self._redis = fail_fast_redis(url, timeout=self.TIMEOUT_SECONDS)
        self._fallback = MemoryCounter()
        self._down_until = 0.0
        self._probing = False

    async def increment(self, key: str, period: int) -> tuple[int, int]:
        if self._down_until and (self._probing or time.monotonic() < self._down_until):
            return await self._fallback.increment(key, period)
        probe = bool(self._down_until)
        self._probing = self._probing or probe
        try:
            return await self._shared(key, period)
        finally:
            if probe:
                self._probing = False

    async def _shared(self, key: str, period: int) -> tuple[int, int]:
        now = time.time()
        window = int(now // period)
        slot = f"rejoinder:rate:{key}:{period}:{window}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(slot)
                pipe.expire(slot, period + 1)
                hits, _ = await pipe.execute()
        except (RedisError, OSError) as error:
            if not self._down_until:
                log.warning("Redis is unreachable, rate limits are counted per process (%s)", error)
            self._down_until = time.monotonic() + self.RETRY_SECONDS
            return await self._fallback.increment(key, period)
        if self._down_until:
            log.warning("Redis answers again: rate limits are shared")
            self._down_until = 0.0
        return int(hits), max(1, int((window + 1) * period - now + 0.999))

    async def close(self) -> None:
        await self._redis.aclose()


async def enforce(
    counter: Counter, key: str, rate: tuple[int, int], what: str, field: str | None = None
) -> None:
    """Refuse with 429 and Retry-After once ``key`` has used up ``rate`` in this window."""
    limit, period = rate
    hits, retry_after = await counter.increment(key, period)
    if hits > limit:
        raise RejoinderError(
            Problem.RATE_LIMITED,
            "rate_limited",
            f"Too many {what}. Please wait {retry_after} seconds and try again.",
            field,
            retry_after=retry_after,
        )
