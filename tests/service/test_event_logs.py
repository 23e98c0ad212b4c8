"""The logs of recent live events: what a reconnecting reader is replayed, and forgetting it
all after an erasure (the reader is then told to reload, never replayed erased words)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from rejoinder.service.event_log import MemoryEventLog, RedisEventLog
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


def test_after_an_erasure_the_database_log_numbers_on_from_where_it_was(database_url):
    """Issue 13: erasing one guest emptied the log, SQLite numbered from 1 again, and every
    process's follower (which reads ids above the last it saw) heard nothing more."""
    from rejoinder.service.event_log import RESYNC_EVENT, DatabaseEventLog
    from rejoinder.store import live_events
    from rejoinder.store.database import Database

    async def scenario() -> tuple[int, list[int], object]:
        database = Database(database_url)
        try:
            log = DatabaseEventLog(database, watch=None)  # type: ignore[arg-type]
            before = [int(i) for i in await log.append_all([("thread:a", b'{"n":1}')] * 5)]
            await log.forget_all()
            after = [int(i) for i in await log.append_all([("thread:a", b'{"n":2}')])]
            async with database.read() as connection:
                kept = await live_events.after(connection, 0)
            return max(before), after, kept
        finally:
            await database.dispose()

    newest, after, kept = asyncio.run(scenario())
    assert after[0] > newest
    assert [data for _, _, data in kept] == [RESYNC_EVENT, b'{"n":2}']
