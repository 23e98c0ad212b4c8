"""Server-sent events from a real server: readers hear new, edited and deleted comments.

In-process test clients buffer whole responses, so an endless stream is read here from a
real `rejoinder serve` on a free port.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from tests.conftest import REDIS_URL, redis_answers


class EventReader:
    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.last_id: str | None = None

    def next_event(self) -> tuple[str, dict]:
        kind, data = None, None
        for line in self.lines:
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = json.loads(line.removeprefix("data: "))
            elif line.startswith("id: "):
                self.last_id = line.removeprefix("id: ")
            elif line == "" and kind is not None:
                return kind, data
        raise AssertionError("the stream ended")


@contextmanager
def listening(
    server_url: str, thread: str, last_event_id: str | None = None
) -> Iterator[EventReader]:
    """A subscribed stream: returns once the server has said it is listening."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
    with httpx.stream(
        "GET",
        f"{server_url}/api/threads/events",
        params={"thread": thread},
        headers=headers,
        timeout=15,
    ) as response:
        assert response.status_code == 200
        assert response.headers.get_list("content-type") == ["text/event-stream; charset=utf-8"]
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


def _every_worker_hears_every_workers_comments(server) -> None:
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


@pytest.mark.redis
def test_with_redis_every_worker_hears_every_workers_comments(start_server, env):
    if not redis_answers():
        pytest.skip(f"Redis server at {REDIS_URL} is not answering")
    env["REJOINDER_REDIS_URL"] = REDIS_URL
    _every_worker_hears_every_workers_comments(start_server("serve", "--workers", "2"))


def test_without_redis_every_worker_hears_every_workers_comments(start_server):
    """The events go through the database: NOTIFY on PostgreSQL, the data version on SQLite."""
    _every_worker_hears_every_workers_comments(start_server("serve", "--workers", "2"))


def _two_servers_share_live_events_and_pages(first, second) -> None:
    before = httpx.get(f"{second.url}/api/comments", params={"thread": "two-servers"}).json()
    assert before["comments"] == []
    with listening(second.url, "two-servers") as events:
        created = post(first.url, "two-servers", "Posted to the first server.")
        kind, data = events.next_event()
    assert kind == "comment_created"
    assert data["comment"]["id"] == created["comment"]["id"]
    after = httpx.get(f"{second.url}/api/comments", params={"thread": "two-servers"}).json()
    assert [c["id"] for c in after["comments"]] == [created["comment"]["id"]]


@pytest.mark.redis
def test_two_servers_on_one_database_and_redis_share_live_events_and_pages(start_server, env):
    """Two `rejoinder serve` processes, as on two machines: a comment posted to one reaches a
    reader streaming from the other, and the other's next page read shows it."""
    if not redis_answers():
        pytest.skip(f"Redis server at {REDIS_URL} is not answering")
    env["REJOINDER_REDIS_URL"] = REDIS_URL
    _two_servers_share_live_events_and_pages(start_server("serve"), start_server("serve"))


def test_two_servers_on_one_database_without_redis_share_live_events_and_pages(start_server):
    _two_servers_share_live_events_and_pages(start_server("serve"), start_server("serve"))


def _missed_while_away(reader_url: str, writer_url: str) -> None:
    with listening(reader_url, "resumed") as events:
        first = post(writer_url, "resumed", "Heard live.")
        assert events.next_event()[1]["comment"]["id"] == first["comment"]["id"]
        last_id = events.last_id
    assert last_id
    missed = [post(writer_url, "resumed", f"Posted while away {n}.") for n in range(3)]
    with listening(reader_url, "resumed", last_event_id=last_id) as events:
        heard = [events.next_event()[1]["comment"]["id"] for _ in missed]
        after = post(writer_url, "resumed", "Live again.")
        assert events.next_event()[1]["comment"]["id"] == after["comment"]["id"]
    assert heard == [m["comment"]["id"] for m in missed]


def test_a_reader_who_reconnects_with_last_event_id_misses_nothing(start_server):
    server = start_server("serve")
    _missed_while_away(server.url, server.url)


def _reconnect_to_the_other_server(first, second) -> None:
    with listening(first.url, "moved") as events:
        post(second.url, "moved", "Before the move.")
        events.next_event()
        last_id = events.last_id
    missed = post(second.url, "moved", "While moving.")
    with listening(second.url, "moved", last_event_id=last_id) as events:
        assert events.next_event()[1]["comment"]["id"] == missed["comment"]["id"]
        after = post(first.url, "moved", "Live again, from the first.")
        assert events.next_event()[1]["comment"]["id"] == after["comment"]["id"]


def test_without_redis_a_reader_can_reconnect_to_another_server_and_miss_nothing(start_server):
    _reconnect_to_the_other_server(start_server("serve"), start_server("serve"))


def test_a_reader_whose_last_event_is_unknown_is_told_to_resync(start_server):
    server = start_server("serve")
    with listening(server.url, "forgotten", last_event_id="12345") as events:
        assert events.next_event()[0] == "resync"
    with listening(server.url, "forgotten", last_event_id="not-ours") as events:
        assert events.next_event()[0] == "resync"


@pytest.mark.redis
def test_with_redis_a_reader_can_reconnect_to_another_server_and_miss_nothing(start_server, env):
    if not redis_answers():
        pytest.skip(f"Redis server at {REDIS_URL} is not answering")
    env["REJOINDER_REDIS_URL"] = REDIS_URL
    first, second = start_server("serve"), start_server("serve")
    _missed_while_away(first.url, first.url)  # warm: ids exist in the shared log
    _reconnect_to_the_other_server(first, second)
