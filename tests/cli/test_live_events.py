"""Server-sent events from a real server: readers hear new, edited and deleted comments.

In-process test clients buffer whole responses, so an endless stream is read here from a
real `rejoinder serve` on a free port.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from tests.conftest import REDIS_URL


class EventReader:
    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines

    def next_event(self) -> tuple[str, dict]:
        kind, data = None, None
        for line in self.lines:
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = json.loads(line.removeprefix("data: "))
            elif line == "" and kind is not None:
                return kind, data
        raise AssertionError("the stream ended")


@contextmanager
def listening(server_url: str, thread: str) -> Iterator[EventReader]:
    """A subscribed stream: returns once the server has said it is listening."""
    with httpx.stream(
        "GET", f"{server_url}/api/threads/events", params={"thread": thread}, timeout=15
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        for line in lines:
            if line.startswith(": listening"):
                break
        yield EventReader(lines)


def post(server_url: str, thread: str, body: str) -> dict:
    response = httpx.post(
        f"{server_url}/api/comments",
        json={"thread": thread, "author_name": "Olena", "body": body},
        headers={"Origin": server_url},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_reader_hears_new_edited_and_deleted_comments_of_their_thread_only(start_server):
    server = start_server("serve")
    with listening(server.url, "story-a") as events:
        post(server.url, "story-b", "Another story's comment.")
        created = post(server.url, "story-a", "First!")
        kind, data = events.next_event()
        assert kind == "comment_created"
        assert data["thread"] == "story-a"
        assert data["comment"]["html"] == "<p>First!</p>"
        assert data["comment_count"] == 1

        comment_id = created["comment"]["id"]
        headers = {"Origin": server.url, "X-Edit-Token": created["edit_token"]}
        edited = httpx.patch(
            f"{server.url}/api/comments/{comment_id}", json={"body": "Second."}, headers=headers
        )
        assert edited.status_code == 200
        kind, data = events.next_event()
        assert (kind, data["comment"]["html"]) == ("comment_edited", "<p>Second.</p>")

        deleted = httpx.delete(f"{server.url}/api/comments/{comment_id}", headers=headers)
        assert deleted.status_code == 204
        kind, data = events.next_event()
        assert (kind, data["id"], data["comment_count"]) == ("comment_deleted", comment_id, 0)


def _redis_answers() -> bool:
    host, port = REDIS_URL.split("//")[1].split("/")[0].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.redis
def test_with_redis_every_worker_hears_every_workers_comments(start_server, env):
    if not _redis_answers():
        pytest.skip(f"Redis server at {REDIS_URL} is not answering")
    env["REJOINDER_REDIS_URL"] = REDIS_URL
    server = start_server("serve", "--workers", "2")
    readers = 6  # spread over both workers by the kernel's accept queue

    def hear_one(_: int) -> dict:
        with listening(server.url, "shared-story") as events:
            barrier.wait()
            return events.next_event()[1]

    import threading

    barrier = threading.Barrier(readers + 1)
    with ThreadPoolExecutor(readers) as pool:
        heard = [pool.submit(hear_one, n) for n in range(readers)]
        barrier.wait(timeout=30)
        created = post(server.url, "shared-story", "Heard everywhere.")
        for future in heard:
            assert future.result(timeout=30)["comment"]["id"] == created["comment"]["id"]
