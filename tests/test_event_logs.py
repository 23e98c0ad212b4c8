"""The logs of recent live events: what a reconnecting reader is replayed, and forgetting it
all after an erasure (the reader is then told to reload, never replayed erased words)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from rejoinder.web.event_log import MemoryEventLog, RedisEventLog
from tests.conftest import REDIS_URL, redis_answers


async def _replay_then_forget(log, channel: str) -> None:
    first = await log.append(channel, b'{"n":1}')
    await log.append(channel, b'{"n":2}')
    assert [data for _, data in await log.since(channel, first)] == [b'{"n":2}']
    await log.forget_all()
    assert await log.since(channel, first) is None
    newer = await log.append(channel, b'{"n":3}')
    assert await log.since(channel, newer) == []


def test_the_memory_log_replays_and_forgets():
    asyncio.run(_replay_then_forget(MemoryEventLog(), "thread:a"))


@pytest.mark.redis
def test_the_redis_log_replays_and_forgets():
    if not redis_answers():
        pytest.skip(f"Redis server at {REDIS_URL} is not answering")

    async def scenario() -> None:
        log = RedisEventLog(REDIS_URL)
        try:
            await _replay_then_forget(log, f"thread:{uuid.uuid4().hex}")
        finally:
            await log.close()

    asyncio.run(scenario())
