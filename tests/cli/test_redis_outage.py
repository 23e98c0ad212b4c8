"""A Redis outage from a real server's side: Redis is optional, so while it is away posting
goes on, and when it comes back live updates resume by themselves.

Each test runs a Redis server of its own on a free port, so it can kill and restart it
without disturbing anyone else's. SQLite only: the outage is Redis's, not the database's.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.cli.conftest import free_port
from tests.cli.load import Listener, Load, Poster
from tests.cli.test_live_events import listening, post

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class RedisServer:
    """A throwaway ``redis-server`` that a test can kill and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, "Redis to answer")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def wait_for(condition, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.kill()


@pytest.fixture
def redis_env(env: dict[str, str], redis_server: RedisServer) -> dict[str, str]:
    env["REJOINDER_REDIS_URL"] = redis_server.url
    return env


def stops_within(server, seconds: float) -> float:
    """Send SIGTERM as a supervisor would; the seconds it took the server to exit."""
    started = time.monotonic()
    os.killpg(server.process.pid, signal.SIGTERM)
    server.process.wait(timeout=seconds)
    return time.monotonic() - started


def next_kind(events) -> str:
    return events.next_event()[0]


def test_live_updates_resume_by_themselves_when_redis_comes_back(
    start_server, redis_env, redis_server
):
    server = start_server("serve")
    with listening(server.url, "outage") as events:
        before = post(server.url, "outage", "Before the outage.")
        assert events.next_event()[1]["comment"]["id"] == before["comment"]["id"]

        redis_server.kill()
        redis_server.start()
        back = time.monotonic()
        # What was published while Redis was away never arrived: the reader reloads.
        assert next_kind(events) == "resync"
        resynced = time.monotonic() - back

        after = post(server.url, "outage", "After the outage.")
        kind, data = events.next_event()
        while kind == "resync":
            kind, data = events.next_event()
        assert (kind, data["comment"]["id"]) == ("comment_created", after["comment"]["id"])
    print(f"\nresync {resynced:.2f} s after Redis came back")


def test_posting_goes_on_while_redis_is_down_and_readers_then_resync(
    start_server, redis_env, redis_server
):
    server = start_server("serve")
    with listening(server.url, "down") as events:
        redis_server.kill()
        during = [post(server.url, "down", f"While Redis is down {n}.") for n in range(3)]
        assert all(p["comment"]["id"] for p in during)
        redis_server.start()
        back = time.monotonic()
        assert next_kind(events) == "resync"
        # Delivery resumes: a comment posted now reaches the reader live.
        after = post(server.url, "down", "Redis is back.")
        # Events of the outage may still arrive first (the reader resyncs for those anyway).
        heard: list[int] = []
        while after["comment"]["id"] not in heard:
            kind, data = events.next_event()
            if kind == "comment_created":
                heard.append(data["comment"]["id"])
        delivered = time.monotonic() - back
    listed = httpx.get(f"{server.url}/api/comments", params={"thread": "down"}).json()
    assert len(listed["comments"]) == 4
    print(f"\nlive delivery resumed {delivered:.2f} s after Redis came back")


def test_a_server_stops_promptly_while_readers_are_connected(start_server, redis_env):
    server = start_server("serve")
    with listening(server.url, "leaving") as events:
        took = stops_within(server, 10)
        with pytest.raises(AssertionError, match="the stream ended"):
            events.next_event()
    print(f"\nstopped in {took:.2f} s with a reader connected")


def test_a_server_stops_promptly_after_redis_went_away(start_server, redis_env, redis_server):
    server = start_server("serve")
    redis_server.kill()
    post(server.url, "gone", "Posted while Redis is down.")
    redis_server.start()
    post(server.url, "gone", "Posted after Redis came back.")
    took = stops_within(server, 10)
    print(f"\nstopped in {took:.2f} s after the outage")


def test_without_redis_a_server_stops_promptly_while_readers_are_connected(start_server):
    server = start_server("serve")
    with listening(server.url, "leaving") as events:
        stops_within(server, 10)
        with pytest.raises(AssertionError, match="the stream ended"):
            events.next_event()


def _interrupt(redis_server: RedisServer, how: str) -> None:
    assert redis_server.process is not None
    if how == "killed":
        redis_server.kill()
    else:  # paused: the port still accepts connections, and nothing answers
        redis_server.process.send_signal(signal.SIGSTOP)


def _restore(redis_server: RedisServer, how: str) -> None:
    assert redis_server.process is not None
    if how == "killed":
        redis_server.start()
    else:
        redis_server.process.send_signal(signal.SIGCONT)


@pytest.mark.parametrize("how", ["killed", "paused"])
def test_redis_killed_or_paused_under_load_refuses_no_post_and_readers_catch_up(
    start_server, redis_env, redis_server, peek, how, capsys
):
    redis_env["REJOINDER_RATE_POSTS_PER_ADDRESS"] = "100000/1m"
    server = start_server("serve", "--workers", "2")
    # About 150 comments a second: a busy discussion, which readers can follow live.
    load = Load(server.url, [Poster(n, "busy") for n in range(8)], pause_seconds=0.05)

    async def outage_mid_load() -> tuple[float, list[Listener]]:
        async with Listener(server.url, "busy") as one, Listener(server.url, "busy") as two:
            posting = asyncio.create_task(load.run())
            try:
                await load.until_acknowledged(40)
                _interrupt(redis_server, how)
                await asyncio.sleep(3)
                _restore(redis_server, how)
                back = time.monotonic()
                while True:  # until both readers hear a comment posted after Redis is back
                    fresh = set(load.acknowledged_since(back))
                    if all(any(listener.heard(i) for i in fresh) for listener in (one, two)):
                        break
                    assert time.monotonic() - back < 30, "live delivery did not resume"
                    await asyncio.sleep(0.02)
                resumed = time.monotonic() - back
            finally:
                load.stop.set()
                await posting
            await asyncio.sleep(1)  # the last events on their way
            return resumed, [one, two]

    resumed, listeners = asyncio.run(outage_mid_load())
    report = load.report(peek.url)
    heard = load.heard_by(listeners)
    took = stops_within(server, 15)
    with capsys.disabled():
        print(
            f"\n[redis {how} under load] {report}, {heard}, live delivery resumed "
            f"{resumed:.2f} s after Redis was back, stopped in {took:.2f} s"
        )
    assert report["statuses"] == {"201": report["acknowledged"]}, report  # nothing refused
    assert report["lost"] == 0 and report["duplicated"] == 0, report
    assert heard.nothing_unannounced(), heard
