"""The read cache keeps pages and ready answers within one store's bounds, and builds a wanted
page only once."""

from __future__ import annotations

import asyncio

import pytest

from rejoinder.web.read_cache import ReadCache, etag_for, matches


def test_readers_arriving_together_share_one_build():
    cache = ReadCache()
    builds = 0

    async def build() -> bytes:
        nonlocal builds
        builds += 1
        await asyncio.sleep(0)  # others arrive while this one is building
        return b"page"

    async def crowd() -> list[bytes]:
        return await asyncio.gather(*(cache.build_once("k", build) for _ in range(20)))

    assert asyncio.run(crowd()) == [b"page"] * 20
    assert builds == 1
    assert cache.get("k") == b"page"


def test_a_failed_build_fails_its_waiters_and_the_next_reader_tries_again():
    cache = ReadCache()

    async def broken() -> bytes:
        await asyncio.sleep(0)
        raise RuntimeError("database went away")

    async def crowd() -> list:
        return await asyncio.gather(
            *(cache.build_once("k", broken) for _ in range(3)), return_exceptions=True
        )

    assert all(isinstance(r, RuntimeError) for r in asyncio.run(crowd()))

    async def fine() -> bytes:
        return b"ok"

    assert asyncio.run(cache.build_once("k", fine)) == b"ok"


def test_the_oldest_pages_go_first_when_the_cache_is_full():
    cache = ReadCache(max_bytes=100, max_entries=3)
    for key in "abcd":
        cache.put(key, b"x" * 10)
    assert cache.get("a") is None and cache.get("d") == b"x" * 10
    assert len(cache) == 3


@pytest.mark.parametrize(
    ("header", "fresh"), [('"x", W/"{tag}"', True), ("*", True), ('"other"', False), (None, False)]
)
def test_if_none_match_understands_lists_weak_tags_and_star(header, fresh):
    tag = etag_for("1:2:0:best:20:")
    sent = header.replace("{tag}", tag.strip('"')) if header else None
    assert matches(sent, tag) is fresh


def test_ready_answers_and_pages_share_one_store_bounded_by_count_and_bytes(tmp_path):
    import sqlite3
    from datetime import UTC, datetime

    from rejoinder.store.changes import SqliteChanges

    path = str(tmp_path / "watched.db")
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    changes = SqliteChanges(path)
    asyncio.run(changes.start())
    now = lambda: datetime.now(UTC)  # noqa: E731
    generation = changes.generation()

    def fill(cache: ReadCache, size: int) -> None:
        for n in range(5):
            cache.put(f"page-{n}", b"x" * size)
            cache.keep(f"thread={n}".encode(), generation, f"page-{n}", (n, 1), None)

    by_count = ReadCache(max_entries=6, max_bytes=4000)
    fill(by_count, 50)  # a page and its ready answer each time: the last three of each stay
    assert len(by_count) == 6
    assert by_count.ready(b"thread=1", changes, now) is None
    assert by_count.ready(b"thread=4", changes, now)[1] == b"x" * 50
    by_count.put("big", b"x" * 1001)  # over a quarter of the bytes: not kept
    by_count.keep(b"big", generation, "big", (9, 1), None)
    assert by_count.get("big") is None and by_count.ready(b"big", changes, now) is None
    by_bytes = ReadCache(max_entries=100, max_bytes=1200)
    fill(by_bytes, 200)  # a ready answer is under 100 bytes, its page 200: four of each fit
    assert by_bytes.ready(b"thread=0", changes, now) is None
    assert by_bytes.ready(b"thread=1", changes, now) is not None  # and now recently used
    by_bytes.put("page-5", b"x" * 200)  # pushes out page-2: its answer is no longer ready
    assert by_bytes.ready(b"thread=2", changes, now) is None
    assert by_bytes.ready(b"thread=1", changes, now) is not None
    assert by_bytes.ready(b"thread=4", changes, now) is not None
    writer = sqlite3.connect(path)
    writer.execute("INSERT INTO t VALUES (1)")
    writer.commit()
    assert by_bytes.ready(b"thread=4", changes, now) is None  # something was committed since
    asyncio.run(changes.close())


def test_a_page_not_in_the_store_is_never_made_a_ready_answer():
    cache = ReadCache()
    cache.keep(b"thread=a", 1, "never-stored", (1, 1), None)
    assert len(cache) == 0
