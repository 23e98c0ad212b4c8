"""A real fault under a running server: PostgreSQL stopped and started again. Clients get
503 with a named code and Retry-After, ``/healthz`` says 503, the log has one warning per
episode and no tracebacks, and the server recovers by itself.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from rejoinder.store.database import Database
from tests.cli.conftest import Server, free_port, launch, rejoinder
from tests.cli.load import Listener, Load, Poster
from tests.cli.test_read_replica import _as_postgres, _bin_dir


class PrivatePostgres:
    """A PostgreSQL server of this test's own, which it may stop and start."""

    def __init__(self, bin_dir: str, work: str) -> None:
        self.bin_dir = bin_dir
        self.data = f"{work}/data"
        self.work = work
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/rejoinder"

    def run(self, *command: str) -> None:
        subprocess.run(_as_postgres(list(command)), check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.work} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(
            f"{self.bin_dir}/pg_ctl",
            "-D",
            self.data,
            "-o",
            options,
            "-l",
            f"{self.data}.log",
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            _as_postgres([f"{self.bin_dir}/pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"]),
            capture_output=True,
            timeout=60,
        )


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb) are not installed")
    work = tempfile.mkdtemp(prefix="rejoinder-outage-")
    if os.geteuid() == 0:
        shutil.chown(work, "postgres")
    server = PrivatePostgres(bin_dir, work)
    try:
        server.run(
            f"{bin_dir}/initdb", "-D", server.data, "-A", "trust", "-U", "postgres", "--no-sync"
        )
        server.start()
        server.run(
            f"{bin_dir}/createdb",
            "-h",
            "127.0.0.1",
            "-p",
            str(server.port),
            "-U",
            "postgres",
            "rejoinder",
        )
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(work, ignore_errors=True)


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REJOINDER_")}
    env |= {"REJOINDER_DATABASE_URL": database_url}
    # Faster than a person posts; the rate limit is not what these tests are about.
    env |= {
        "REJOINDER_RATE_POSTS_PER_ADDRESS": "10000/1m",
        "REJOINDER_RATE_POSTS_PER_USER": "10000/1m",
    }
    env["REJOINDER_SECRET_FILE"] = str(tmp_path / "rejoinder.key")
    migrated = rejoinder("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    return env


def _post(server: Server, body: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/comments",
        json={"thread": "outage", "author_name": "Olena", "body": body},
        headers={"Origin": server.url},
        timeout=30,
    )


def _until(condition, seconds: float = 30) -> float:
    """Wait until ``condition()`` holds; how long it took."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s")


def test_posts_get_503_while_postgres_restarts_and_succeed_after(postgres, tmp_path, capsys):
    server = launch(["serve"], _env(postgres.url, tmp_path))
    try:
        assert _post(server, "Before the outage.").status_code == 201
        postgres.stop()
        refused = [_post(server, f"During the outage {n}.") for n in range(20)]
        assert {r.status_code for r in refused} == {503}, [r.text for r in refused]
        assert {r.json()["error"]["code"] for r in refused} == {"database_unavailable"}
        assert all(int(r.headers["Retry-After"]) > 0 for r in refused)
        health = httpx.get(server.url + "/healthz", timeout=30)
        assert health.status_code == 503
        assert health.json()["database"] == "database_unavailable"

        postgres.start()
        restarted = time.monotonic()
        _until(lambda: _post(server, "After the outage.").status_code == 201)
        recovery = time.monotonic() - restarted
        assert httpx.get(server.url + "/healthz", timeout=30).status_code == 200
    finally:
        output = server.stop()
    with capsys.disabled():
        print(f"\n[postgres outage] recovered {recovery:.2f} s after PostgreSQL was back")
    # A fault is named once, never a traceback: not for refused requests, nor for the
    # background tasks that follow and append the live-event log.
    assert "Traceback" not in output, output
    # One line starts the episode, whichever way the driver first saw the server go.
    assert output.count("answering 503 until it recovers") == 1, output
    assert "database_unavailable: recovered after" in output, output


def test_postgres_restarted_under_concurrent_posting_loses_and_duplicates_nothing(
    postgres, tmp_path, capsys
):
    server = launch(["serve", "--workers", "2"], _env(postgres.url, tmp_path))
    load = Load(server.url, [Poster(n, "restart") for n in range(16)])

    listeners: list[Listener] = []

    async def with_readers() -> float:
        async with Listener(server.url, "restart") as one, Listener(server.url, "restart") as two:
            listeners.extend((one, two))
            recovered = await restart_mid_load()
            await asyncio.sleep(1)  # the last events on their way
        return recovered

    async def restart_mid_load() -> float:
        posting = asyncio.create_task(load.run())
        try:
            await load.until_acknowledged(80)
            await asyncio.to_thread(postgres.stop)
            await asyncio.sleep(1.5)
            await asyncio.to_thread(postgres.start)
            back = time.monotonic()
            while not load.acknowledged_since(back):
                assert time.monotonic() - back < 30, "no post succeeded after the restart"
                await asyncio.sleep(0.01)
            recovered = time.monotonic() - back
            await load.until_acknowledged(load.acknowledged + 80)
            return recovered
        finally:
            load.stop.set()
            await posting

    try:
        recovered = asyncio.run(with_readers())
        health = httpx.get(server.url + "/healthz", timeout=30)
        report = load.report(postgres.url)
        counted, visible = _counts(postgres.url, "restart")
    finally:
        output = server.stop()
    heard = load.heard_by(listeners)
    with capsys.disabled():
        print(f"\n[postgres restart under load] {report}, recovered {recovered:.2f} s, {heard}")
    assert heard.nothing_unannounced(), heard
    assert health.status_code == 200
    assert report["lost"] == 0 and report["duplicated"] == 0, report
    assert report["stored"] == report["acknowledged"], report
    assert set(report["statuses"]) <= {"201", "503"}, report
    assert "503" in report["statuses"], "the restart was never seen"
    assert counted == visible == report["stored"]
    assert "Traceback" not in output, output


def _counts(database_url: str, thread: str) -> tuple[int, int]:
    async def read() -> tuple[int, int]:
        database = Database(database_url)
        try:
            async with database.read() as connection:
                counted = await connection.scalar(
                    text("SELECT comment_count FROM threads WHERE key = :key"), {"key": thread}
                )
                visible = await connection.scalar(
                    text("SELECT count(*) FROM comments WHERE status = 'visible'")
                )
                return counted, visible
        finally:
            await database.dispose()

    return asyncio.run(read())
