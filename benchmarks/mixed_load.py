"""A hot thread under mixed load: 95% reads, 5% guest posts, sustained.

Starts `rejoinder serve --workers 2` on a fresh SQLite file, or on PostgreSQL with Redis
(``--postgres``: a throwaway database on the local server, Redis db 14), seeds the thread with
200 comments, then keeps 32 keep-alive connections busy for ``--seconds`` (default 60): each
request is a read of the thread's first page (the widget's request) or, one time in twenty,
a new guest comment. Latency is timed per request by this client (asyncio sockets, no HTTP
library in the way), so reads and writes are reported apart: throughput, p50, p99, errors.
On SQLite it also reports the write-ahead log's size as the load ends and two seconds later,
while the server still runs (docs/operations.md: it should fall back to near zero).

Run: .venv/bin/python benchmarks/mixed_load.py [--seconds 60] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.cli.conftest import launch  # noqa: E402

THREAD = "hot"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/14"


class Stats:
    def __init__(self) -> None:
        self.reads: list[float] = []
        self.posts: list[float] = []
        self.errors = {"read": 0, "post": 0}


async def client(port: int, stop_at: float, stats: Stats, seed: int) -> None:
    rng = random.Random(seed)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    read_request = f"GET /api/comments?thread={THREAD} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    n = 0
    while time.perf_counter() < stop_at:
        n += 1
        post = rng.random() < 0.05
        if post:
            body = json.dumps(
                {
                    "thread": THREAD,
                    "author_name": f"Reader {seed}-{n}",
                    "body": f"Comment {seed}-{n}: " + " ".join(rng.sample(WORDS, 12)),
                }
            ).encode()
            request = (
                f"POST /api/comments HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json"
                f"\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body
        else:
            request = read_request
        started = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        took = (time.perf_counter() - started) * 1000
        kind = "post" if post else "read"
        if status != (201 if post else 200):
            stats.errors[kind] += 1
        (stats.posts if post else stats.reads).append(took)
    writer.close()


WORDS = [
    "army",
    "front",
    "winter",
    "bridge",
    "village",
    "evidence",
    "interview",
    "court",
    "law",
    "families",
    "morale",
    "rotation",
    "recruits",
    "officers",
    "numbers",
    "report",
    "analysis",
    "sanctions",
    "region",
    "drone",
    "map",
    "narration",
    "transcript",
]


WAL_PAUSE_SECONDS = 2.0


def wal_sizes(database: Path) -> tuple[int, int, int]:
    """The -wal file's size as the load ends and once the writers have paused a moment, and
    the database's: what issue 12 measured (a WAL that grew and never shrank)."""

    def size(path: Path) -> int:
        return path.stat().st_size if path.exists() else 0

    wal = database.with_name(database.name + "-wal")
    at_end = size(wal)
    time.sleep(WAL_PAUSE_SECONDS)  # a benchmark's pause, not a test's wait: the figure is the point
    return at_end, size(wal), size(database)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL + Redis")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REJOINDER_")}
    env["REJOINDER_RATE_POSTS_PER_ADDRESS"] = "1000000/1m"  # one client posts for everyone
    database = None
    with tempfile.TemporaryDirectory() as folder:
        env["REJOINDER_SECRET_FILE"] = str(Path(folder) / "rejoinder.key")
        if args.postgres:
            database = f"rejoinder_mixed_{uuid.uuid4().hex[:8]}"
            subprocess.run(["psql", f"{POSTGRES}/test", "-qc", f'CREATE DATABASE "{database}"'],
                           check=True)  # fmt: skip
            env["REJOINDER_DATABASE_URL"] = f"{POSTGRES}/{database}"
            env["REJOINDER_REDIS_URL"] = REDIS
        else:
            env["REJOINDER_DATABASE_URL"] = f"sqlite:///{Path(folder) / 'mixed.db'}"
        server = None
        try:
            server = launch(["serve", "--workers", "2"], env)
            port = int(server.url.rsplit(":", 1)[1])
            with httpx.Client(base_url=server.url, timeout=30) as http:
                rng = random.Random(1)
                for n in range(200):
                    body = " ".join(rng.sample(WORDS, 15))
                    http.post(
                        "/api/comments",
                        json={"thread": THREAD, "author_name": f"Seed {n}", "body": body},
                    ).raise_for_status()
            stats = Stats()

            async def run() -> None:
                stop_at = time.perf_counter() + args.seconds
                await asyncio.gather(
                    *(client(port, stop_at, stats, seed) for seed in range(args.connections))
                )

            started = time.perf_counter()
            asyncio.run(run())
            elapsed = time.perf_counter() - started
            if not args.postgres:
                wal = wal_sizes(Path(folder) / "mixed.db")
        finally:
            if server is not None:
                server.stop()
            if database:
                subprocess.run(["psql", f"{POSTGRES}/test", "-qc",
                                f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'])  # fmt: skip
    store = "PostgreSQL + Redis" if args.postgres else "SQLite"
    print(f"{store}, serve --workers 2, {args.connections} connections, {elapsed:.0f} s")
    for name, values in (("reads", stats.reads), ("posts", stats.posts)):
        print(
            f"{name}: {len(values) / elapsed:8.1f} /s   p50 {statistics.median(values):7.2f} ms"
            f"   p99 {p99(values):7.2f} ms   errors {stats.errors[name[:-1]]}"
        )
    if not args.postgres:
        print(
            f"WAL: {wal[0] / 2**20:.1f} MiB at the end of the load, {wal[1] / 2**20:.1f} MiB "
            f"{WAL_PAUSE_SECONDS:.0f} s later (database {wal[2] / 2**20:.1f} MiB)"
        )
    return 1 if any(stats.errors.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
