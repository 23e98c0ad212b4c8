"""A PostgreSQL read replica: thread pages are built from it, and never from a replica that
has not yet caught up with the primary.

A real primary and a real streaming replica (``pg_basebackup -R``) are made for this module in
a temporary directory, on free ports, with the machine's PostgreSQL binaries.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from tests.cli.conftest import Server, free_port, launch, rejoinder


def _bin_dir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the ``postgres`` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="module")
def replicated() -> Iterator[tuple[str, str]]:
    """(primary URL, replica URL) of a fresh primary and its streaming replica."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb) are not installed")
    work = tempfile.mkdtemp(prefix="rejoinder-replica-")
    if os.geteuid() == 0:
        shutil.chown(work, "postgres")
    primary_port, replica_port = free_port(), free_port()
    primary, replica = f"{work}/primary", f"{work}/replica"

    def run(*command: str) -> None:
        subprocess.run(_as_postgres(list(command)), check=True, capture_output=True, timeout=60)

    def start(data: str, port: int) -> None:
        options = f"-p {port} -k {work} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(f"{bin_dir}/pg_ctl", "-D", data, "-o", options, "-l", f"{data}.log", "-w", "start")

    started = []
    try:
        run(f"{bin_dir}/initdb", "-D", primary, "-A", "trust", "-U", "postgres", "--no-sync")
        with open(f"{primary}/pg_hba.conf", "a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        start(primary, primary_port)
        started.append(primary)
        base = ["-h", "127.0.0.1", "-U", "postgres"]
        run(f"{bin_dir}/createdb", *base, "-p", str(primary_port), "rejoinder")
        run(
            f"{bin_dir}/pg_basebackup",
            *base,
            "-p",
            str(primary_port),
            "-D",
            replica,
            "-R",
            "--checkpoint=fast",
        )
        start(replica, replica_port)
        started.append(replica)
        yield (
            f"postgresql://postgres@127.0.0.1:{primary_port}/rejoinder",
            f"postgresql://postgres@127.0.0.1:{replica_port}/rejoinder",
        )
    finally:
        for data in reversed(started):
            subprocess.run(
                _as_postgres([f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "stop"]),
                capture_output=True,
            )
        shutil.rmtree(work, ignore_errors=True)


def _sql(url: str, statement: str) -> list:
    async def query() -> list:
        connection = await asyncpg.connect(url)
        try:
            return await connection.fetch(statement)
        finally:
            await connection.close()

    return asyncio.run(query())


def _read_transactions(replica_url: str) -> int:
    return _sql(
        replica_url, "SELECT xact_commit FROM pg_stat_database WHERE datname = 'rejoinder'"
    )[0][0]


def _post(server: Server, body: str) -> int:
    response = httpx.post(
        f"{server.url}/api/comments",
        json={"thread": "replicated", "author_name": "Olena", "body": body},
        headers={"Origin": server.url},
    )
    assert response.status_code == 201, response.text
    return response.json()["comment"]["id"]


def _page(server: Server) -> list[int]:
    response = httpx.get(f"{server.url}/api/comments", params={"thread": "replicated"})
    return [c["id"] for c in response.json()["comments"]]


def _caught_up(replica_url: str, comment_id: int) -> None:
    for _ in range(500):
        if _sql(replica_url, f"SELECT count(*) FROM comments WHERE id = {comment_id}")[0][0]:
            return
        time.sleep(0.01)
    raise AssertionError("the replica never received the comment")


def test_pages_come_from_the_replica_unless_it_is_behind_the_primary(replicated, tmp_path):
    primary_url, replica_url = replicated
    env = {k: v for k, v in os.environ.items() if not k.startswith("REJOINDER_")}
    env |= {"REJOINDER_DATABASE_URL": primary_url, "REJOINDER_READ_DATABASE_URL": replica_url}
    env["REJOINDER_SECRET_FILE"] = str(tmp_path / "rejoinder.key")
    migrated = rejoinder("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    server = launch(["serve"], env)
    try:
        first = _post(server, "Replicated.")
        _caught_up(replica_url, first)
        before = _read_transactions(replica_url)
        assert _page(server) == [first]
        assert _read_transactions(replica_url) > before  # the page was built on the replica

        _sql(replica_url, "SELECT pg_wal_replay_pause()")
        try:
            second = _post(server, "Written while the replica is paused.")
            assert _page(server) == [second, first]  # the replica was behind: the primary built it
        finally:
            _sql(replica_url, "SELECT pg_wal_replay_resume()")
    finally:
        server.stop()


def test_a_replica_that_does_not_answer_leaves_reading_to_the_primary(replicated, tmp_path):
    primary_url, _ = replicated
    env = {k: v for k, v in os.environ.items() if not k.startswith("REJOINDER_")}
    env |= {
        "REJOINDER_DATABASE_URL": primary_url,
        "REJOINDER_READ_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/none",
        "REJOINDER_SECRET_FILE": str(tmp_path / "rejoinder.key"),
    }
    assert rejoinder("migrate", env=env).returncode == 0
    server = launch(["serve"], env)
    try:
        posted = _post(server, "The replica is away.")
        assert posted in _page(server)
    finally:
        server.stop()
