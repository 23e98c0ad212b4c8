"""``Database.read_aside()``: the moderators' slow reads never hold up the event loop."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

from sqlalchemy import text

from rejoinder.store import bans as ban_store
from rejoinder.store import threads as thread_store
from rejoinder.store.database import Database
from tests.conftest import run


def _slow_statement(database: Database, count: int = 1_000_000) -> str:
    """A statement that takes a few tenths of a second and reads no table."""
    if database.is_sqlite:
        return (
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
            f"WHERE x < {count}) SELECT count(*) FROM n"
        )
    return "SELECT pg_sleep(0.3)"


def test_a_slow_read_aside_lets_the_loop_run_and_on_sqlite_runs_in_another_thread(
    database_url,
):
    async def scenario() -> tuple[int, int, int, int]:
        database = Database(database_url)
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.005)
                ticks += 1

        ticker = asyncio.create_task(tick())
        try:
            await asyncio.sleep(0.02)  # the ticker is running
            async with database.read() as connection:
                on_loop = await connection.run_sync(lambda _: threading.get_ident())
            async with database.read_aside() as connection:
                aside = await connection.run_sync(lambda _: threading.get_ident())
                before = ticks
                await connection.execute(text(_slow_statement(database)))
                during = ticks - before
            return threading.get_ident(), on_loop, aside, during
        finally:
            ticker.cancel()
            await database.dispose()

    loop_thread, on_loop, aside, ticks_during = run(scenario())
    assert on_loop == loop_thread  # read(): on the loop's own thread, as the hot paths want
    if database_url.startswith("sqlite"):
        assert aside != loop_thread
    assert ticks_during >= 5  # the loop went on while the statement ran


def test_a_read_aside_sees_what_read_sees_prepared_statements_included(database_url):
    now = datetime.now(UTC)

    async def scenario() -> tuple[object, object]:
        database = Database(database_url)
        try:
            async with database.write() as connection:
                await thread_store.thread_for_new_comment(connection, "aside", "Title", None, now)
                await ban_store.add_ban(
                    connection,
                    kind="email",
                    value="a@example.org",
                    shadow=False,
                    reason=None,
                    created_by="tests",
                    now=now,
                    expires_at=None,
                )
            seen = []
            for transaction in (database.read, database.read_aside):
                async with transaction() as connection:
                    found = await thread_store.find_thread(connection, "aside")  # Prepared
                    keys = (await connection.execute(text("SELECT key FROM threads"))).all()
                    bans = await ban_store.list_bans(connection, now)
                    count = await connection.scalar(text("SELECT count(*) FROM bans"))
                    raw = await connection.exec_driver_sql("SELECT count(*) FROM threads")
                    seen.append((found, keys, bans, count, raw.all()))
            return seen[0], seen[1]
        finally:
            await database.dispose()

    by_read, aside = run(scenario())
    assert aside == by_read
    assert aside[0] is not None and aside[0].title == "Title"
    assert aside[1] == [("aside",)] and len(aside[2]) == 1 and aside[3] == 1


def test_a_cancelled_read_aside_keeps_its_connection_until_the_statement_ends(
    tmp_path, sqlite_template
):
    """The statement runs on in its thread after the reader gives up; its connection goes
    back to the pool (and on to the next reader) only once the statement is done, however
    often the reader is cancelled meanwhile."""
    import shutil

    path = tmp_path / "rejoinder.db"
    shutil.copy(sqlite_template, path)

    async def scenario() -> tuple[int, int, int]:
        database = Database(f"sqlite:///{path}")
        pool = database._sqlite_reader.pool
        try:

            async def slow() -> None:
                async with database.read_aside() as connection:
                    await connection.execute(text(_slow_statement(database, 2_000_000)))

            reader = asyncio.create_task(slow())
            await asyncio.sleep(0.05)
            reader.cancel()  # it waits for the statement to end, to close the connection ...
            await asyncio.sleep(0.05)
            reader.cancel()  # ... and even told again, it leaves the closing to happen then
            await asyncio.gather(reader, return_exceptions=True)
            held = pool.checkedout()
            for _ in range(500):
                if not pool.checkedout():
                    break
                await asyncio.sleep(0.01)
            async with database.read_aside() as connection:
                answer = await connection.scalar(text("SELECT 1"))
            return held, pool.checkedout(), answer
        finally:
            await database.dispose()

    held, after, answer = run(scenario())
    assert held == 1  # the reader has gone, but its statement still runs on the connection
    assert after == 0 and answer == 1
