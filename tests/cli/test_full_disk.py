"""SQLite on a disk that fills up under a running server, on a small tmpfs of the test's own.

While the disk is full, posts get 503 ``storage_full`` with Retry-After (never a 500, never a
comment half stored) and ``/healthz`` says 503; once space is freed, the same retried posts
are accepted, without a restart, and every acknowledged comment is stored exactly once. The
freed space must not all go to the WAL before a checkpoint can use it (``DiskRoom``): then
posting never resumed, as it did in about one run in three before.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import launch, rejoinder
from tests.cli.load import Listener, Load, Poster

DISK_BYTES = 16 * 1024 * 1024


@pytest.fixture
def small_disk() -> Iterator[Path]:
    where = Path(tempfile.mkdtemp(prefix="rejoinder-disk-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        where.rmdir()
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip() or 'not root'})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)
        where.rmdir()


def fill(disk: Path) -> Path:
    """Take every byte left on the disk."""
    filler = disk / "filler"
    with open(filler, "wb") as out:
        chunk = b"\0" * 65536
        try:
            while True:
                out.write(chunk)
                out.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
        finally:
            with contextlib.suppress(OSError):
                out.close()
    for size in (4096, 512, 1):  # the last partial chunks
        with contextlib.suppress(OSError), open(disk / f"filler-{size}", "ab") as out:
            while True:
                out.write(b"\0" * size)
                out.flush()
    return filler


def free(disk: Path) -> None:
    for filler in disk.glob("filler*"):
        filler.unlink()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_full_disk_answers_503_and_posting_resumes_when_space_is_freed(
    small_disk, env, tmp_path, capsys
):
    database = small_disk / "rejoinder.db"
    env["REJOINDER_DATABASE_URL"] = f"sqlite:///{database}"
    env["REJOINDER_RATE_POSTS_PER_ADDRESS"] = "100000/1m"
    assert rejoinder("migrate", env=env).returncode == 0
    server = launch(["serve", "--workers", "2"], env)
    load = Load(server.url, [Poster(n, "full") for n in range(8)], pause_seconds=0.01)
    health: list[tuple[int, dict]] = []
    listeners: list[Listener] = []

    def check_health() -> None:
        answer = httpx.get(server.url + "/healthz", timeout=10)
        health.append((answer.status_code, answer.json()))

    async def fill_mid_load() -> float:
        async with Listener(server.url, "full") as one, Listener(server.url, "full") as two:
            listeners.extend((one, two))
            recovered = await fill_and_free()
            await asyncio.sleep(1)  # the last events on their way
        # On a disk this small, a WAL under steady load takes half of it, so some writes are
        # refused to keep room for its checkpoint (DiskRoom) until the writers pause.
        deadline = time.monotonic() + 10
        await asyncio.to_thread(check_health)
        while health[-1][0] != 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            await asyncio.to_thread(check_health)
        return recovered

    async def fill_and_free() -> float:
        posting = asyncio.create_task(load.run())
        try:
            await load.until_acknowledged(60)
            await asyncio.to_thread(fill, small_disk)
            started = time.monotonic()
            while load.statuses()["503"] == 0:
                assert time.monotonic() - started < 20, "posts never found the disk full"
                await asyncio.sleep(0.05)
            await asyncio.sleep(1)
            await asyncio.to_thread(check_health)
            free(small_disk)
            freed = time.monotonic()
            while not load.acknowledged_since(freed + 0.01):
                assert time.monotonic() - freed < 30, "posting did not resume"
                await asyncio.sleep(0.02)
            recovered = time.monotonic() - freed
            await load.until_acknowledged(load.acknowledged + 60)
            return recovered
        finally:
            load.stop.set()
            await posting

    output = ""
    try:
        recovered = asyncio.run(fill_mid_load())
    finally:
        output = server.stop()
    report = load.report(env["REJOINDER_DATABASE_URL"])
    heard = load.heard_by(listeners)
    with capsys.disabled():
        print(
            f"\n[full disk] {report}, healthz {health[0]} then {health[-1]}, posting resumed "
            f"{recovered:.2f} s after space was freed, {heard}"
        )
    assert heard.nothing_unannounced(), heard
    (full_status, full_body), (after_status, _) = health[0], health[-1]
    assert (full_status, full_body["database"]) == (503, "storage_full")
    assert after_status == 200
    assert set(report["statuses"]) <= {"201", "503"}, report
    assert "Traceback" not in output, output  # not even when shutting down on a full disk
    assert report["lost"] == 0 and report["duplicated"] == 0, report
    assert report["stored"] == report["acknowledged"], report
    with sqlite3.connect(database) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_healthz_reports_a_full_disk_before_any_write_fails(small_disk, env):
    env["REJOINDER_DATABASE_URL"] = f"sqlite:///{small_disk / 'rejoinder.db'}"
    assert rejoinder("migrate", env=env).returncode == 0
    server = launch(["serve"], env)
    try:
        fill(small_disk)
        full = httpx.get(server.url + "/healthz", timeout=10)
        free(small_disk)
        freed = httpx.get(server.url + "/healthz", timeout=10)
    finally:
        server.stop()
    assert (full.status_code, full.json()["database"]) == (503, "storage_full")
    assert int(full.headers["Retry-After"]) > 0
    assert freed.status_code == 200
