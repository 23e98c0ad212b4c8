"""Live fan-out: thousands of readers on one thread's event stream, one new comment.

Starts `rejoinder serve` (one process) on a fresh SQLite file, opens N event-stream readers
on one thread from this process (plain asyncio sockets, so the load generator stays light),
waits until every reader has been told "listening", measures the server's memory, posts one
comment and measures how long until the last reader has the event. Repeats the post a few
times and reports each delivery time.

Run: .venv/bin/python benchmarks/sse_fanout.py [--readers 5000] [--posts 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.cli.conftest import launch  # noqa: E402

THREAD = "hot-story"


def rss_kib(pid: int) -> int:
    """Resident memory of the server process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Reader:
    def __init__(self) -> None:
        self.listening = asyncio.Event()
        self.heard: dict[int, float] = {}

    async def run(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET /api/threads/events?thread={THREAD} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        buffer = b""
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return
            buffer += chunk
            if not self.listening.is_set() and b": listening" in buffer:
                self.listening.set()
            while True:
                start = buffer.find(b"body-")
                end = buffer.find(b"-", start + 5) if start >= 0 else -1
                if end < 0:
                    buffer = buffer[-64:]  # keep a marker that may be split across reads
                    break
                self.heard.setdefault(int(buffer[start + 5 : end]), time.perf_counter())
                buffer = buffer[end + 1 :]


async def main_async(readers: int, posts: int, port: int, pid: int) -> None:
    base_rss = rss_kib(pid)
    crowd = [Reader() for _ in range(readers)]
    tasks = []
    started = time.perf_counter()
    for n, reader in enumerate(crowd):
        tasks.append(asyncio.create_task(reader.run(port)))
        if n % 200 == 199:
            await asyncio.sleep(0.05)  # let the server accept in steady batches
    await asyncio.wait_for(asyncio.gather(*(r.listening.wait() for r in crowd)), 300)
    connected = time.perf_counter() - started
    await asyncio.sleep(2)
    loaded_rss = rss_kib(pid)
    print(f"{readers} readers listening after {connected:.1f} s")
    print(
        f"server RSS: {base_rss / 1024:.1f} MiB idle -> {loaded_rss / 1024:.1f} MiB with readers "
        f"= {(loaded_rss - base_rss) / readers:.1f} KiB per reader"
    )
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for number in range(posts):
            sent = time.perf_counter()
            response = await client.post(
                "/api/comments",
                json={
                    "thread": THREAD,
                    "author_name": f"Poster {number}",
                    "body": f"body-{number}-",
                },
            )
            assert response.status_code == 201, response.text
            deadline = sent + 30
            while time.perf_counter() < deadline:
                if all(number in r.heard for r in crowd):
                    break
                await asyncio.sleep(0.01)
            times = sorted(r.heard[number] - sent for r in crowd if number in r.heard)
            print(
                f"comment {number + 1}: reached {len(times)}/{readers} readers; "
                f"first {times[0] * 1000:.0f} ms, median {times[len(times) // 2] * 1000:.0f} ms, "
                f"last {times[-1] * 1000:.0f} ms"
            )
            await asyncio.sleep(1)
    for task in tasks:
        task.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=5000)
    parser.add_argument("--posts", type=int, default=3)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, args.readers * 2 + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))  # the server inherits it
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REJOINDER_")}
        env["REJOINDER_DATABASE_URL"] = f"sqlite:///{Path(folder) / 'fanout.db'}"
        server = launch(["serve"], env)
        try:
            port = int(server.url.rsplit(":", 1)[1])
            asyncio.run(main_async(args.readers, args.posts, port, server.process.pid))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
