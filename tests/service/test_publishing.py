"""The publisher when the event log fails right after a commit: the change is still
announced, live at once and by a resync marker in the log once the log is back."""

from __future__ import annotations

import asyncio
import sqlite3

from rejoinder.service.event_log import RESYNC, RESYNC_EVENT, MemoryEventLog
from rejoinder.service.publishing import Publisher
from rejoinder.web.live import SUBSCRIBER_BACKLOG, ReaderQueue


class Broker:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.changed = asyncio.Event()

    def publish(self, data: bytes, channel: str) -> None:
        self.sent.append((channel, data))
        self.changed.set()

    async def until(self, condition) -> None:  # type: ignore[no-untyped-def]
        async with asyncio.timeout(10):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


class FailingLog(MemoryEventLog):
    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def append_all(self, events):  # type: ignore[no-untyped-def]
        if self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError("database or disk is full")  # as SQLite says it
        return await super().append_all(events)


async def one_event_sent(failures: int, announcements: int) -> tuple[Broker, FailingLog]:
    """Publish one event while the log fails ``failures`` times; return once the broker has
    carried ``announcements`` messages and the publisher has stopped."""
    broker, log = Broker(), FailingLog(failures)
    publisher = Publisher(broker.publish, log)
    publisher.start()
    publisher.send("thread:a", b'{"type":"comment_created"}')
    await broker.until(lambda: len(broker.sent) >= announcements)
    await publisher.stop()
    return broker, log


def test_an_event_whose_append_fails_briefly_is_logged_on_retry():
    broker, _ = asyncio.run(one_event_sent(failures=2, announcements=1))
    assert broker.sent == [("thread:a", b'{"id":"1","event":{"type":"comment_created"}}')]


def test_an_event_that_cannot_be_logged_is_announced_and_later_marked_for_resync():
    broker, log = asyncio.run(one_event_sent(failures=4, announcements=2))
    assert broker.sent == [
        ("thread:a", b'{"id":"","event":{"type":"comment_created"}}'),
        ("thread:a", b'{"id":"1","event":' + RESYNC_EVENT + b"}"),
    ]
    assert asyncio.run(log.since("thread:a", "0")) == [("1", RESYNC_EVENT)]


def test_a_reader_who_falls_behind_gets_one_resync_instead_of_the_backlog():
    async def scenario() -> list[bytes | None]:
        queue = ReaderQueue()
        for n in range(SUBSCRIBER_BACKLOG + 50):
            queue.offer(b'{"id":"%d","event":{}}' % n)
        return [queue.get_nowait() for _ in range(queue.qsize())]

    waiting = asyncio.run(scenario())
    assert len(waiting) < SUBSCRIBER_BACKLOG
    assert waiting[0] == RESYNC  # what it missed is replaced by a reload
    assert waiting[1:] == [b'{"id":"%d","event":{}}' % n for n in range(201, 250)]


def test_a_lagging_reader_still_hears_that_the_server_is_shutting_down():
    async def scenario() -> list[bytes | None]:
        queue = ReaderQueue()
        for n in range(SUBSCRIBER_BACKLOG - 1):
            queue.offer(b"%d" % n)
        queue.put_nowait(None)
        queue.offer(b"after the end")
        return [queue.get_nowait() for _ in range(queue.qsize())]

    assert asyncio.run(scenario()) == [None]
