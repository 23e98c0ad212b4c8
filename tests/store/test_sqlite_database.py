"""SQLite as the server uses it: statements on the loop's thread, writes that queue together
committed together, checkpoints beside them."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from datetime import UTC, datetime

from sqlalchemy import event, insert, select, text

from rejoinder.store.database import Database
from rejoinder.store.schema import idempotency_keys
from tests.conftest import run


def test_the_server_copies_the_wal_back_in_the_background_not_in_a_commit(
    tmp_path, sqlite_template
):
    path = tmp_path / "rejoinder.db"
    shutil.copy(sqlite_template, path)

    async def scenario() -> tuple[int, int, int, int]:
        database = Database(f"sqlite:///{path}", checkpoint_aside=True)
        try:
            async with database.write() as connection:
                automatic = await connection.scalar(text("PRAGMA wal_autocheckpoint"))
            database.start()
            before = path.stat().st_size
            for n in range(40):  # about 2 MB: twice SQLite's automatic checkpoint size
                async with database.write() as connection:
                    await connection.execute(
                        insert(idempotency_keys).values(
                            key=f"k{n}",
                            request_hash="0" * 64,
                            response="x" * 50_000,
                            created_at=datetime.now(UTC),
                        )
                    )
            for _ in range(100):
                if path.stat().st_size > before + 1_000_000:
                    break
                await asyncio.sleep(0.05)
            async with database.read() as connection:
                kept = await connection.scalar(select(idempotency_keys.c.key).limit(1))
            return automatic, before, path.stat().st_size, int(kept is not None)
        finally:
            await database.dispose()

    automatic, before, after, kept = run(scenario())
    assert automatic == 0  # the writer's commits never stop to checkpoint
    assert after > before + 1_000_000  # ... and yet the pages reached the database file
    assert kept == 1


def test_other_users_of_the_database_keep_sqlites_own_checkpoints(tmp_path, sqlite_template):
    """The CLI (migrate, import) has no background task, so its commits checkpoint as usual."""
    path = tmp_path / "rejoinder.db"
    shutil.copy(sqlite_template, path)

    async def automatic() -> int:
        database = Database(f"sqlite:///{path}")
        try:
            async with database.write() as connection:
                return int(await connection.scalar(text("PRAGMA wal_autocheckpoint")))
        finally:
            await database.dispose()

    assert run(automatic()) == 1000


def _remember(key: str):  # type: ignore[no-untyped-def]
    return insert(idempotency_keys).values(
        key=key, request_hash="0" * 64, response="{}", created_at=datetime.now(UTC)
    )


def test_writes_waiting_together_commit_together_and_a_failed_one_is_undone_alone(
    tmp_path, sqlite_template
):
    """Posts that queue for SQLite's writer share one commit; each is still all or nothing,
    and none hears "done" before the commit that makes it durable."""
    path = tmp_path / "rejoinder.db"
    shutil.copy(sqlite_template, path)

    async def scenario() -> tuple[list[object], set[str], int, bool]:
        database = Database(f"sqlite:///{path}")
        commits = []
        event.listen(database._sqlite_writes.engine, "commit", lambda connection: commits.append(1))
        release = asyncio.Event()
        durable_on_return = []

        async def first() -> None:
            async with database.write() as connection:
                await connection.execute(_remember("first"))
                await release.wait()  # the others queue behind this write meanwhile
            with sqlite3.connect(path) as other:  # another connection sees it at once
                durable_on_return.append(
                    other.execute("SELECT 1 FROM idempotency_keys WHERE key = 'first'").fetchone()
                    is not None
                )

        async def then(key: str) -> None:
            async with database.write() as connection:
                await connection.execute(_remember(key))
                if key == "refused":
                    raise RuntimeError("this write fails after its insert")

        try:
            leader = asyncio.create_task(first())
            await asyncio.sleep(0)
            followers = [asyncio.create_task(then(key)) for key in ("second", "refused", "third")]
            await asyncio.sleep(0)
            release.set()
            outcomes = await asyncio.gather(leader, *followers, return_exceptions=True)
            async with database.read() as connection:
                stored = {
                    row[0] for row in await connection.execute(select(idempotency_keys.c.key))
                }
            return outcomes, stored, len(commits), durable_on_return == [True]
        finally:
            await database.dispose()

    outcomes, stored, commits, durable = run(scenario())
    assert [type(outcome).__name__ for outcome in outcomes] == [
        "NoneType",
        "NoneType",
        "RuntimeError",
        "NoneType",
    ]
    assert stored >= {"first", "second", "third"} and "refused" not in stored
    assert commits == 1
    assert durable


def test_a_write_that_gives_up_waiting_does_not_hold_the_others_back(tmp_path, sqlite_template):
    path = tmp_path / "rejoinder.db"
    shutil.copy(sqlite_template, path)

    async def scenario() -> set[str]:
        database = Database(f"sqlite:///{path}")
        release = asyncio.Event()

        async def write(key: str, wait: bool = False) -> None:
            async with database.write() as connection:
                await connection.execute(_remember(key))
                if wait:
                    await release.wait()

        try:
            leader = asyncio.create_task(write("leader", wait=True))
            await asyncio.sleep(0)
            impatient = asyncio.create_task(write("impatient"))
            await asyncio.sleep(0)
            impatient.cancel()
            await asyncio.sleep(0)
            release.set()
            await asyncio.wait_for(leader, 10)  # guards against a hang, not a speed check
            async with database.write() as connection:  # the writer is free again
                await connection.execute(_remember("after"))
            async with database.read() as connection:
                return {row[0] for row in await connection.execute(select(idempotency_keys.c.key))}
        finally:
            await database.dispose()

    assert run(scenario()) >= {"leader", "after"}


def test_every_commit_is_heard_and_only_postgresql_notes_thread_versions(database_url):
    """After-commit listeners hear every commit (the outage tracker ends an outage on one).
    Thread versions come with it on PostgreSQL only, for its change follower; SQLite's reads
    them itself, so nothing is noted there, where a note left on a pooled connection would
    only grow."""
    from rejoinder.store import threads as thread_store
    from rejoinder.store.database import TOUCHED_THREADS

    heard: list[dict[int, int]] = []

    async def scenario() -> bool:
        database = Database(database_url)
        database.after_commit.append(heard.append)
        try:
            async with database.write() as connection:
                thread = await thread_store.thread_for_new_comment(
                    connection, "noted", None, None, datetime.now(UTC)
                )
                await thread_store.touch(connection, thread.id)
                noted = TOUCHED_THREADS in connection.info
            return noted
        finally:
            await database.dispose()

    noted = run(scenario())
    postgres = database_url.startswith("postgres")
    assert noted is postgres
    assert len(heard) == 1 and bool(heard[0]) is postgres
