"""A thread of 100,000 comments: how long its first page takes.

Builds the thread in a fresh database (SQLite by default, or ``--database-url``) straight
through SQL, in bulk, as an import would (70% top-level, 30% replies), then starts
`rejoinder serve` and measures ``GET /api/comments?thread=big`` (Best, 20 top-level comments
with their replies):
- cold: each request follows a vote, so the page is rebuilt from the database every time;
- cached: the same page again and again, as readers of a quiet thread get it.

Run: .venv/bin/python benchmarks/big_thread.py [--comments 100000] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, select, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.cli.conftest import launch  # noqa: E402

from rejoinder.domain.ranking import wilson_lower_bound  # noqa: E402
from rejoinder.store.database import Database  # noqa: E402
from rejoinder.store.migrate import upgrade  # noqa: E402
from rejoinder.store.schema import comments, threads  # noqa: E402

THREAD = "big"
ANALYZE_SQLITE = False


async def build(url: str, total: int) -> None:
    database = Database(url)
    rng = random.Random(3)
    start = datetime.now(UTC) - timedelta(days=3)
    try:
        await upgrade(database)
        async with database.write() as connection:
            thread_id = await connection.scalar(
                insert(threads)
                .values(site_id=1, key=THREAD, title="A very long discussion", created_at=start)
                .returning(threads.c.id)
            )
        rows, roots, visible_replies = [], [], {}
        for n in range(1, total + 1):
            up, down = rng.randint(0, 40), rng.randint(0, 10)
            parent = rng.choice(roots) if roots and rng.random() < 0.3 else None
            row = {
                "id": n,
                "thread_id": thread_id,
                "parent_id": parent,
                "root_id": parent,
                "author_name": f"Reader {n % 5000}",
                "author_guest": True,
                "body_markdown": f"Comment number {n}.",
                "body_html": f"<p>Comment number {n}.</p>",
                "status": "visible",
                "created_at": start + timedelta(seconds=2 * n),
                "votes_up": up,
                "votes_down": down,
                "score": wilson_lower_bound(up, down),
            }
            if parent is None:
                roots.append(n)
            else:
                visible_replies[parent] = visible_replies.get(parent, 0) + 1
            rows.append(row)
        for chunk in range(0, len(rows), 5000):
            async with database.write() as connection:
                await connection.execute(insert(comments), rows[chunk : chunk + 5000])
        async with database.write() as connection:
            for parent, count in visible_replies.items():
                await connection.execute(
                    update(comments).where(comments.c.id == parent).values(reply_count=count)
                )
            await connection.execute(
                update(threads).where(threads.c.id == thread_id).values(comment_count=total)
            )
            shown = await connection.scalar(select(threads.c.comment_count))
            if connection.dialect.name == "postgresql" or ANALYZE_SQLITE:
                # Fresh statistics, as autovacuum gathers soon after a real import (SQLite
                # gathers none unless asked, and Rejoinder does not ask).
                await connection.exec_driver_sql("ANALYZE")
        print(f"built a thread of {shown:,} comments ({len(roots):,} top-level)")
    finally:
        await database.dispose()


def timed(client: httpx.Client, requests: int, before=None) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(requests):
        if before:
            before()
        started = time.perf_counter()
        response = client.get("/api/comments", params={"thread": THREAD})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and len(response.json()["comments"]) == 20
    return times


def summary(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    print(
        f"{name:7} p50 {statistics.median(times):7.2f} ms   p99 {p99:7.2f} ms"
        f"   ({len(times)} requests)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'big.db'}"
        started = time.perf_counter()
        asyncio.run(build(url, args.comments))
        print(f"(built in {time.perf_counter() - started:.1f} s)")
        env = {k: v for k, v in os.environ.items() if not k.startswith("REJOINDER_")}
        env["REJOINDER_DATABASE_URL"] = url
        env["REJOINDER_SECRET_FILE"] = str(Path(folder) / "rejoinder.key")
        server = launch(["serve"], env)
        try:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                voter = httpx.Client(base_url=server.url)
                flip = iter(range(10**9))

                def vote() -> None:  # a vote changes the thread, so the next page is rebuilt
                    voter.post("/api/comments/1/vote", json={"value": 1 if next(flip) % 2 else 0})

                summary("cold", timed(client, args.requests, vote))
                summary("cached", timed(client, args.requests))
                voter.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
