"""The server's log, as a log collector reads it: one JSON object a line when stderr is not a
terminal, one line per request with its id, route, status and duration, and the same id on
the error a request causes and in the response's ``X-Request-Id``."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import typing

import httpx
import pytest
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def json_lines(output: str) -> list[dict]:
    """Every log line: all of stderr is JSON; stdout's two plain lines are the CLI's own."""
    lines = []
    for line in output.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
        else:
            assert line.startswith(("migrated database", "database is up to date", "serving on"))
    return lines


def request_lines(output: str) -> dict[str, dict]:
    """The request lines by request id; an id logged twice fails the test."""
    found: dict[str, dict] = {}
    for line in json_lines(output):
        if line["logger"] == "rejoinder.requests":
            assert line["request_id"] not in found, line
            found[line["request_id"]] = line
    return found


def test_each_request_is_one_json_line_with_the_id_sent_back(start_server):
    server = start_server("serve", access_log=True)
    sent: list[tuple[httpx.Response, float]] = []

    def timed(method: str, path: str, **kwargs: typing.Any) -> httpx.Response:
        started = time.perf_counter()
        response = httpx.request(method, server.url + path, timeout=10, **kwargs)
        sent.append((response, (time.perf_counter() - started) * 1000))
        return response

    created = timed(
        "POST",
        "/api/comments",
        json={"thread": "story", "author_name": "Olena", "body": "Logged, not the text."},
        headers={"Origin": server.url},
    ).json()
    comment_id = created["comment"]["id"]
    edit = {"Origin": server.url, "X-Edit-Token": created["edit_token"]}
    timed("PATCH", f"/api/comments/{comment_id}", json={"body": "Edited."}, headers=edit)
    timed("GET", "/api/comments", params={"thread": "story"})
    timed("GET", "/no/such/page")
    lines = request_lines(server.stop())

    expected = [
        ("POST", "/api/comments", "/api/comments", 201),
        ("PATCH", "/api/comments/{comment_id:int}", f"/api/comments/{comment_id}", 200),
        ("GET", "/api/comments", "/api/comments", 200),
        ("GET", None, "/no/such/page", 404),
    ]
    for (response, elapsed_ms), (method, route, path, status) in zip(sent, expected, strict=True):
        request_id = response.headers["x-request-id"]
        assert GENERATED_ID.fullmatch(request_id)
        line = lines[request_id]
        assert (line["method"], line["route"], line["path"]) == (method, route, path)
        assert line["status"] == response.status_code == status
        assert 0 <= line["duration_ms"] <= elapsed_ms
        assert line["level"] == "INFO" and line["time"].startswith("20")
    assert "Logged, not the text." not in server.output


def test_no_access_log_keeps_the_id_and_drops_the_lines(start_server):
    server = start_server("serve")  # --no-access-log
    response = httpx.get(server.url + "/healthz")
    assert GENERATED_ID.fullmatch(response.headers["x-request-id"])
    assert request_lines(server.stop()) == {}


def test_an_id_from_a_trusted_proxy_is_kept_and_one_from_anyone_else_is_not(start_server):
    trusting = start_server("serve", "--trusted-proxies", "127.0.0.1", access_log=True)
    doubting = start_server("serve", access_log=True)

    def sent_back(server, request_id: str) -> str:
        response = httpx.get(server.url + "/healthz", headers={"X-Request-Id": request_id})
        return response.headers["x-request-id"]

    assert sent_back(trusting, "proxy-7f3a.1") == "proxy-7f3a.1"
    assert GENERATED_ID.fullmatch(sent_back(trusting, "has spaces in it"))
    assert GENERATED_ID.fullmatch(sent_back(trusting, "x" * 129))
    assert GENERATED_ID.fullmatch(sent_back(doubting, "proxy-7f3a.1"))
    assert "proxy-7f3a.1" in request_lines(trusting.stop())
    assert "proxy-7f3a.1" not in request_lines(doubting.stop())


def test_an_event_stream_is_one_line_when_it_ends(start_server):
    server = start_server("serve", "--workers", "2", access_log=True)
    with httpx.stream(
        "GET", server.url + "/api/threads/events", params={"thread": "story"}, timeout=15
    ) as response:
        request_id = response.headers["x-request-id"]
        opened = time.perf_counter()
        lines = response.iter_lines()  # kept: a dropped iterator closes the stream
        for line in lines:
            if line.startswith(": listening"):
                break
        # Held open a while, then ended by the shutdown, as a deploy ends it.
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            httpx.get(server.url + "/healthz")
        output = server.stop()
        held_ms = (time.perf_counter() - opened) * 1000
    logged = request_lines(output)[request_id]
    assert logged["route"] == "/api/threads/events" and logged["status"] == 200
    assert 500 <= logged["duration_ms"] <= held_ms + 1000, output
    assert len({entry["pid"] for entry in json_lines(output)}) == 3  # the parent, two workers


@pytest.mark.logs_traceback
def test_an_internal_error_is_logged_with_the_request_id(start_server, database_url):
    """A real fault: the schema changed under a running server (a table renamed by hand),
    which is no infrastructure outage, so it is a 500 and a traceback, tied to its request."""
    server = start_server("serve", access_log=True)
    assert httpx.get(server.url + "/api/articles").status_code == 200
    with sqlite3.connect(make_url(database_url).database) as database:
        database.execute("ALTER TABLE articles RENAME TO articles_moved")
    response = httpx.get(server.url + "/api/articles")
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    lines = json_lines(server.stop())
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1, errors
    (error,) = errors
    assert error["request_id"] == request_id
    assert error["exception"].startswith("Traceback") and "articles" in error["exception"]
    assert request_lines(server.output)[request_id]["status"] == 500


def test_text_lines_when_asked_for(start_server):
    server = start_server("serve", "--log-format", "text", access_log=True)
    request_id = httpx.get(server.url + "/healthz").headers["x-request-id"]
    output = server.stop()
    assert not any(line.startswith("{") for line in output.splitlines())
    assert re.search(
        rf"^\S+ \S+ INFO +\[{request_id}\] rejoinder\.requests: GET /healthz 200 [\d.]+ ms$",
        output,
        re.MULTILINE,
    ), output
