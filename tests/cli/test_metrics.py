"""``/metrics`` on a real ``rejoinder serve --workers 2``: every scrape, whichever worker
answers it, adds up what both workers counted, and the queues are read from the database."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cli.conftest import Server, wait_until_healthy
from tests.cli.test_live_events import listening
from tests.support import assert_error

TOKEN = "a-long-random-metrics-token"
READS = 12
THREAD = "counted"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(server: Server, token: str = TOKEN) -> Samples:
    """One scrape, on a connection of its own (so that either worker may answer it)."""
    response = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def wait_for(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.1)


def post(server: Server, body: str) -> dict:
    response = httpx.post(
        f"{server.url}/api/comments",
        # Sent as they are: a nudge to revise (422) is not an outcome.
        json={"thread": THREAD, "author_name": "Olena", "body": body, "nudge_acknowledged": True},
        headers={"Origin": server.url},
    )
    assert response.status_code == 201, response.text
    return response.json()


def metered_env(env: dict[str, str]) -> dict[str, str]:
    env.update(
        REJOINDER_METRICS_TOKEN=TOKEN,
        REJOINDER_BANNED_WORDS="vermin",
        REJOINDER_SUSPECT_WORDS="crypto",
        REJOINDER_RATE_POSTS_PER_ADDRESS="1000/1m",
    )
    return env


def test_every_scrape_adds_up_both_workers_requests_posts_and_queues(start_server, env):
    metered_env(env)
    server = start_server("serve", "--workers", "2")
    published = [post(server, f"A thoughtful comment, number {n}.") for n in range(3)]
    assert {p["status"] for p in published} == {"visible"}
    assert [post(server, f"Buy crypto now, offer {n}.")["status"] for n in range(2)] == [
        "pending",
        "pending",
    ]
    assert post(server, "You are all vermin.")["status"] == "rejected"
    reported = httpx.post(
        f"{server.url}/api/comments/{published[0]['comment']['id']}/reports",
        json={"reason": "abuse"},
        headers={"Origin": server.url},
    )
    assert reported.status_code == 201, reported.text
    for _ in range(READS):  # each on a new connection, which either worker may take
        response = httpx.get(f"{server.url}/api/comments", params={"thread": THREAD})
        assert response.status_code == 200
    refused = [
        httpx.get(f"{server.url}/metrics", headers=headers)
        for headers in ({"Authorization": "Bearer wrong"}, {}, {"Authorization": TOKEN})
    ]
    for response in refused:
        assert_error(response, 401, "Authorization")

    reads = {"route": "/api/comments", "method": "GET"}
    expected = {
        ("rejoinder_http_requests_total", "/api/comments", "GET", "200"): READS,
        ("rejoinder_http_requests_total", "/api/comments", "POST", "201"): 6,
        ("rejoinder_http_requests_total", "/api/comments/{comment_id}/reports", "POST", "201"): 1,
        ("rejoinder_http_requests_total", "/metrics", "GET", "401"): 3,
        ("rejoinder_posts_total", "published"): 3,
        ("rejoinder_posts_total", "pending"): 2,
        ("rejoinder_posts_total", "rejected"): 1,
        ("rejoinder_posts_total", "shadow"): 0,
        ("rejoinder_moderation_queue_size", "pending"): 2,
        ("rejoinder_moderation_queue_size", "reported"): 1,
        ("rejoinder_live_streams",): 0,
    }

    def totals(samples: Samples) -> dict[tuple[str, ...], float]:
        found = {}
        for key in expected:
            name, *labels = key
            if name == "rejoinder_http_requests_total":
                route, method, status = labels
                found[key] = value(samples, name, route=route, method=method, status=status)
            elif name == "rejoinder_posts_total":
                found[key] = value(samples, name, outcome=labels[0])
            elif name == "rejoinder_moderation_queue_size":
                found[key] = value(samples, name, queue=labels[0])
            else:
                found[key] = value(samples, name)
        return found

    made = 0

    def counted_scrape() -> Samples:
        nonlocal made
        made += 1
        return scrape(server)

    # A worker adds its counts to the shared files within a second of counting them.
    wait_for(lambda: totals(counted_scrape()) == expected)
    for _ in range(6):  # and then every scrape, whichever worker answers it, says the same
        samples = counted_scrape()
        assert totals(samples) == expected
        assert value(samples, "rejoinder_http_request_duration_seconds_count", **reads) == READS
        assert (
            value(samples, "rejoinder_http_request_duration_seconds_bucket", **reads, le="+Inf")
            == READS
        )
        # Each anonymous read is answered from memory (a hit) or not (a miss), once.
        ready = [
            value(samples, f"rejoinder_read_cache_{kind}_total", tier="ready")
            for kind in ("hits", "misses")
        ]
        assert sum(ready) == READS
        assert value(samples, "rejoinder_read_cache_misses_total", tier="page") >= 1
        pools = {
            dict(labels)["pool"]: number
            for (name, labels), number in samples.items()
            if name == "rejoinder_database_connections_checked_out"
        }
        expected_pools = {"read", "write"} if env_is_sqlite(env) else {"primary"}
        assert set(pools) == expected_pools
        assert all(number >= 0 and number == int(number) for number in pools.values())
    # Each scrape is counted as its headers go, after its body was made: every one before it.
    scrape_route = {"route": "/metrics", "method": "GET", "status": "200"}
    wait_for(
        lambda: value(counted_scrape(), "rejoinder_http_requests_total", **scrape_route) == made - 1
    )


def env_is_sqlite(env: dict[str, str]) -> bool:
    return env["REJOINDER_DATABASE_URL"].startswith("sqlite")


def workers_of(server: Server) -> list[int]:
    """The pids of the server's worker processes (not multiprocessing's resource tracker)."""
    parent = server.process.pid
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [
        int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def test_live_streams_are_counted_while_open_and_forgotten_with_a_dead_worker(start_server, env):
    metered_env(env)
    server = start_server("serve", "--workers", "2")

    def streams() -> float:
        return value(scrape(server), "rejoinder_live_streams")

    with listening(server.url, THREAD), listening(server.url, "another"):
        wait_for(lambda: streams() == 2)
    wait_for(lambda: streams() == 0)

    with listening(server.url, THREAD):
        wait_for(lambda: streams() == 1)
        workers = workers_of(server)
        assert len(workers) == 2
        for pid in workers:  # the one holding the stream cannot close it: only the
            os.kill(pid, signal.SIGKILL)  # supervisor can say it is gone
        wait_for(lambda: len(set(workers_of(server)) - set(workers)) == 2)
    wait_until_healthy(server)
    wait_for(lambda: streams() == 0)


def test_metrics_are_off_without_a_token(start_server):
    server = start_server("serve", "--workers", "2")
    response = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert_error(response, 404, None)
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_each_run_gets_a_fresh_metrics_directory_removed_when_it_stops(
    start_server, env, tmp_path, workers
):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env["TMPDIR"] = str(temporary)
    server = start_server("serve", "--workers", workers)
    (directory,) = temporary.glob("rejoinder-metrics-*")
    assert any(directory.iterdir())  # the workers' files
    server.stop()
    assert list(temporary.iterdir()) == []
