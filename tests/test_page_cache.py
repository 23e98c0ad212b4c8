"""The page cache keeps pages within its bounds and builds a wanted page only once."""

from __future__ import annotations

import asyncio

import pytest

from rejoinder.web.cache import PageCache, etag_for, matches


def test_readers_arriving_together_share_one_build():
    cache = PageCache()
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
    cache = PageCache()

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
    cache = PageCache(max_bytes=100, max_entries=3)
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


def test_fresh_pages_are_bounded_by_count_and_bytes(tmp_path):
    import sqlite3
    from datetime import UTC, datetime

    from rejoinder.store.changes import SqliteChanges
    from rejoinder.web.fast_reads import FreshPages

    path = str(tmp_path / "watched.db")
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    changes = SqliteChanges(path)
    asyncio.run(changes.start())
    now = lambda: datetime.now(UTC)  # noqa: E731
    generation = changes.generation()
    pages = FreshPages(max_pages=3, max_bytes=400)
    for n in range(5):
        pages.keep(f"thread={n}".encode(), generation, (n, 1), None, f'"{n}"', b"x" * 50)
    assert len(pages) == 3
    assert pages.current(b"thread=0", changes, now) is None
    assert pages.current(b"thread=4", changes, now) is not None
    pages.keep(b"big", generation, (9, 1), None, '"big"', b"x" * 101)  # over a quarter: not kept
    assert pages.current(b"big", changes, now) is None
    by_bytes = FreshPages(max_pages=100, max_bytes=400)
    for n in range(5):
        by_bytes.keep(f"thread={n}".encode(), generation, (n, 1), None, f'"{n}"', b"x" * 100)
    assert len(by_bytes) == 4
    assert by_bytes.current(b"thread=0", changes, now) is None
    writer = sqlite3.connect(path)
    writer.execute("INSERT INTO t VALUES (1)")
    writer.commit()
    assert pages.current(b"thread=4", changes, now) is None  # something was committed since
    asyncio.run(changes.close())
