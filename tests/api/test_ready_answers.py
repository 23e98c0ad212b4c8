"""The hot read path: an anonymous reader of a thread nobody has changed gets the shared page
from memory before routing, with the same bytes and headers as the checked path, and stops
getting it the moment anything is committed, by this process or another."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from tests.conftest import run
from tests.support import THREAD, add_moderator, posted, sign_in

SAME_HEADERS = ("content-type", "content-length", "etag", "cache-control")


def read(client, **headers):
    return client.get("/api/comments", params={"thread": THREAD}, headers=headers)


def served_fast(client) -> int:
    return client.app.state.reads.served


def anonymous(client):
    client.cookies.clear()
    return client


def from_memory(client, **headers):
    """The next read that is answered before routing.

    A read just after a write may still go to the database, rightly: on SQLite the live-event
    log's own commit, a moment after the post, moves the data version as well.
    """
    for _ in range(1000):
        before = served_fast(client)
        response = read(client, **headers)
        if served_fast(client) == before + 1:
            return response
        time.sleep(0.01)
    raise AssertionError("no read was answered from memory")


def eventually(check, seconds: float = 10.0):
    """Wait for something another process sends (a database notification), then return it."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.01)


def test_the_second_anonymous_read_is_served_from_memory_with_the_same_bytes(client):
    posted(client)
    anonymous(client)
    checked = read(client)
    assert served_fast(client) == 0
    fast = from_memory(client)
    assert fast.content == checked.content
    assert {h: fast.headers[h] for h in SAME_HEADERS} == {
        h: checked.headers[h] for h in SAME_HEADERS
    }
    assert fast.headers["cache-control"].startswith("public")


def test_the_fast_path_answers_if_none_match_with_304(client):
    posted(client)
    etag = from_memory(anonymous(client)).headers["etag"]
    again = from_memory(client, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag


def test_a_writer_always_reads_through_the_database(client):
    """The author has the voter cookie after posting: their reads are checked, never shared."""
    posted(client, "Mine.")
    read(client)
    read(client)
    assert served_fast(client) == 0
    assert read(client).headers["cache-control"].startswith("private")
    assert (
        read(client, Authorization="Bearer not-a-token")
        .headers["cache-control"]
        .startswith("private")
    )
    assert served_fast(client) == 0


def test_a_comment_from_this_process_is_in_the_next_anonymous_read(client):
    posted(client, "First.")
    anonymous(client)
    from_memory(client)
    posted(client, "Second.")
    anonymous(client)
    served = served_fast(client)
    after = read(client).json()
    assert served_fast(client) == served  # not from memory: something was committed
    assert [c["html"] for c in after["comments"]] == ["<p>Second.</p>", "<p>First.</p>"]


def test_a_comment_from_another_process_ends_the_shared_page(make_client):
    """Two apps on one database, as two workers: the reader's app learns of the other's commit
    from the database itself (SQLite's data version, PostgreSQL's notification)."""
    reader, writer = make_client(), make_client()
    posted(writer, "First.")
    anonymous(writer)
    from_memory(reader)
    posted(writer, "From the other process.")
    bodies = eventually(
        lambda: (
            [c["html"] for c in read(reader).json()["comments"]]
            == [
                "<p>From the other process.</p>",
                "<p>First.</p>",
            ]
        )
    )
    assert bodies


def test_a_thread_that_closes_by_age_is_shown_closed_without_any_write(client, database_url, clock):
    posted(client)
    add_moderator(database_url)
    csrf = sign_in(client)
    client.post("/admin/settings", data={"csrf": csrf, "mode": "post", "auto_close_days": "3"})
    anonymous(client)
    assert from_memory(client).json()["thread"]["closed"] is False
    served = served_fast(client)
    clock.advance(3 * 86400 + 1)
    assert read(client).json()["thread"]["closed"] is True
    assert served_fast(client) == served


def test_an_allowed_origin_gets_the_same_cors_headers_from_memory(make_client):
    client = make_client(allowed_origins=("https://news.example",))
    posted(client)
    anonymous(client)
    for origin in ("https://news.example", "https://elsewhere.example"):
        checked = read(client, Origin=origin)
        fast = from_memory(client, Origin=origin)
        cors = {k: v for k, v in checked.headers.items() if k.startswith("access-control")}
        assert cors == {k: v for k, v in fast.headers.items() if k.startswith("access-control")}
        assert fast.headers.get("vary") == checked.headers.get("vary")
        allowed = fast.headers.get("access-control-allow-origin")
        # Any other site reads the public page, without credentials (web/cors.py).
        assert allowed == (origin if origin == "https://news.example" else "*")


def test_another_query_string_or_path_is_not_confused_with_the_cached_one(client):
    posted(client, "Only comment.")
    anonymous(client)
    read(client)
    newest = client.get("/api/comments", params={"thread": THREAD, "sort": "newest"})
    other = client.get("/api/comments", params={"thread": "another-article"})
    assert newest.json()["comments"][0]["html"] == "<p>Only comment.</p>"
    assert other.json()["comments"] == []
    assert served_fast(client) == 0


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_lost_listener_stops_vouching_until_it_listens_again(
    make_client, database_url
):
    client = make_client()
    changes = client.app.state.services.changes
    before = changes.generation()
    assert before is not None

    async def cut() -> None:
        from rejoinder.store.database import Database

        database = Database(database_url)
        try:
            async with database.write() as connection:
                await connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
                    )
                )
        finally:
            await database.dispose()

    run(cut())
    assert eventually(lambda: changes.generation() not in (None, before))
    posted(client, "After the listener came back.")
    anonymous(client)
    assert read(client).json()["comments"][0]["html"] == "<p>After the listener came back.</p>"
