"""`rejoinder backup` takes a checked copy while the server writes, and `rejoinder restore`
brings it back into an empty database only; a server with ``backup_dir`` takes one a day
and keeps the last few. On SQLite and PostgreSQL (with pg_dump installed)."""

from __future__ import annotations

import asyncio
import fcntl
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from rejoinder.service.backups import LOCK_NAME, DailyBackups, backups_in
from rejoinder.store.database import Database
from tests.cli.load import payload, stored_bodies
from tests.cli.test_importing import rejoinder
from tests.conftest import Peek, run

POSTERS = 6


@pytest.fixture(autouse=True)
def pg_dump_for_postgresql(database_url):
    if not database_url.startswith("sqlite") and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed (Debian: postgresql-client)")


class Load:
    """Readers posting one comment after another on a thread of their own until stopped,
    each acknowledgement kept with the moment it arrived."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acknowledged: list[tuple[float, int, str]] = []  # (when, comment id, body)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()))

    async def _run(self) -> None:
        async def poster(n: int) -> None:
            async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
                number = 0
                while not self.stop.is_set():
                    body = payload(n, number)
                    response = await client.post("/api/comments", json=body)
                    if response.status_code == 201:
                        comment_id = response.json()["comment"]["id"]
                        self.acknowledged.append((time.monotonic(), comment_id, body["body"]))
                    number += 1

        await asyncio.gather(*(poster(n) for n in range(POSTERS)))

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while len(self.acknowledged) < count:
            assert time.monotonic() < deadline, "the load did not get going"
            time.sleep(0.05)


def test_a_backup_under_write_load_restores_every_comment_acknowledged_before_it(
    empty_database, env, start_server, tmp_path
):
    env["REJOINDER_RATE_POSTS_PER_ADDRESS"] = "100000/1m"
    server = start_server("serve", "--workers", "2")
    load = Load(server.url)
    load.thread.start()
    try:
        load.wait_for(100)
        began = time.monotonic()
        taken = rejoinder("backup", str(tmp_path / "backups"), env=env)
        ended = time.monotonic()
        load.wait_for(len(load.acknowledged) + 50)
    finally:
        load.stop.set()
        load.thread.join()
    assert taken.returncode == 0, taken.stderr
    assert "checked" in taken.stdout
    before = {comment_id: body for at, comment_id, body in load.acknowledged if at < began}
    during = [at for at, _, _ in load.acknowledged if began <= at < ended]
    assert during, "no comment was acknowledged while the backup was taken"

    (backup,) = backups_in(tmp_path / "backups")
    elsewhere = {**env, "REJOINDER_DATABASE_URL": empty_database}
    restored = rejoinder("restore", str(backup), env=elsewhere)
    assert restored.returncode == 0, restored.stderr
    found = stored_bodies(empty_database)
    assert {i: found.get(i) for i in before} == before
    restored_db = Peek(empty_database)
    if empty_database.startswith("sqlite"):
        assert restored_db.scalar("PRAGMA integrity_check") == "ok"
    counted = restored_db.scalar("SELECT comment_count FROM threads WHERE key = 'crash'")
    visible = restored_db.scalar("SELECT count(*) FROM comments WHERE status = 'visible'")
    assert counted == visible == len(found)
    print(
        f"\nacknowledged before the backup {len(before)}, during it {len(during)}, "
        f"in the restored copy {len(found)}, lost 0"
    )


def test_restore_goes_only_into_an_empty_database(env, tmp_path, peek):
    assert (
        rejoinder(
            "import", "disqus", str(Path(__file__).parents[1] / "archives" / "disqus.xml"), env=env
        ).returncode
        == 0
    )
    assert rejoinder("backup", str(tmp_path), env=env).returncode == 0
    (backup,) = backups_in(tmp_path)
    count = peek.scalar("SELECT count(*) FROM comments")
    refused = rejoinder("restore", str(backup), env=env)
    assert refused.returncode == 1
    assert "the database is not empty (it holds comments, threads" in refused.stderr.replace(
        "threads, comments", "comments, threads"
    )
    assert "nothing was restored" in refused.stderr
    assert peek.scalar("SELECT count(*) FROM comments") == count


def test_a_file_that_is_no_backup_is_refused(database_url, env, tmp_path, peek):
    junk = tmp_path / "rejoinder-20260101T000000Z.db"
    junk.write_bytes(b"this is not a database" * 100)
    done = rejoinder("restore", str(junk), env=env)
    assert done.returncode == 1 and "nothing was restored" in done.stderr
    assert peek.scalar("SELECT count(*) FROM comments") == 0
    missing = rejoinder("restore", str(tmp_path / "nope.db"), env=env)
    assert missing.returncode == 1 and "nothing was restored" in missing.stderr


def test_backup_needs_a_directory(env):
    done = rejoinder("backup", env=env)
    assert done.returncode == 2 and "name a directory, or set backup_dir" in done.stderr


def test_daily_backups_take_one_a_day_and_keep_the_last_few(database_url, tmp_path):
    async def days() -> list[list[str]]:
        database = Database(database_url)
        daily = DailyBackups(database, tmp_path, keep=2)
        start = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
        seen = []
        try:
            for hours in (0, 1, 23, 24, 48, 72):
                await daily.once(start + timedelta(hours=hours))
                seen.append([path.name for path in backups_in(tmp_path)])
        finally:
            await database.dispose()
        return seen

    seen = run(days())
    suffix = ".db" if database_url.startswith("sqlite") else ".dump"
    first, second = f"rejoinder-20261201T030000Z{suffix}", f"rejoinder-20261202T030000Z{suffix}"
    assert seen[0] == seen[1] == seen[2] == [first]  # within a day: none more
    assert seen[3] == [first, second]
    assert seen[5] == [f"rejoinder-20261203T030000Z{suffix}", f"rejoinder-20261204T030000Z{suffix}"]


def test_a_process_holding_the_lock_is_left_to_take_it(database_url, tmp_path):
    async def once() -> Path | None:
        database = Database(database_url)
        try:
            return await DailyBackups(database, tmp_path, keep=2).once(datetime.now(UTC))
        finally:
            await database.dispose()

    with (tmp_path / LOCK_NAME).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert run(once()) is None
    assert run(once()) is not None


def test_a_server_with_a_backup_directory_backs_up_at_start(env, start_server, tmp_path):
    env["REJOINDER_BACKUP_DIR"] = str(tmp_path / "daily")
    env["REJOINDER_BACKUP_KEEP"] = "3"
    start_server("serve", "--workers", "2")
    deadline = time.monotonic() + 20
    while not backups_in(tmp_path / "daily"):
        assert time.monotonic() < deadline, "no backup appeared"
        time.sleep(0.1)
    time.sleep(1)
    assert len(backups_in(tmp_path / "daily")) == 1  # two workers, one backup
