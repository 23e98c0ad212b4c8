"""The ``rejoinder`` command, run as a user would: real processes, real ports."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from rejoinder.config import SETTINGS
from rejoinder.demo import reference_article
from tests.cli.conftest import rejoinder

DEMO_THREAD = reference_article().slug


def test_migrate_reports_an_up_to_date_database(env):
    result = rejoinder("migrate", env=env)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


def test_migrate_creates_a_new_sqlite_database(tmp_path, env):
    env["REJOINDER_DATABASE_URL"] = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = rejoinder("migrate", env=env)
    assert result.returncode == 0, result.stderr
    assert "migrated database from empty to" in result.stdout
    assert (tmp_path / "fresh.db").exists()


def test_check_prints_configuration_and_what_answers(env):
    env["REJOINDER_EDIT_WINDOW"] = "10m"
    env["REJOINDER_SECRET"] = "do-not-print-me"
    result = rejoinder("check", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"edit_window +600  \[REJOINDER_EDIT_WINDOW\]", result.stdout)
    assert "database: answers" in result.stdout and "schema up to date" in result.stdout
    assert "redis: not configured" in result.stdout
    assert "do-not-print-me" not in result.stdout


def test_check_without_redis_says_live_events_still_reach_every_process(env):
    result = rejoinder("check", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "redis: not configured (live events reach every process's readers through the "
        "database's live_events table; rate limits are counted per process)"
    ) in result.stdout
    assert "single-process" not in result.stdout


def test_a_flag_wins_over_the_environment_and_check_says_so(env):
    env["REJOINDER_EDIT_WINDOW"] = "10m"
    result = rejoinder("check", "--edit-window", "5m", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"edit_window +300  \[flag\]", result.stdout)


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_help_lists_a_flag_for_every_setting(command, env):
    result = rejoinder(command, "--help", env=env)
    assert result.returncode == 0, result.stderr
    missing = [s.flag for s in SETTINGS if f"{s.flag} VALUE" not in result.stdout]
    assert missing == []
    for flag in ("--host", "--port", "--config", "--no-access-log"):
        assert flag in result.stdout


def test_a_served_flag_wins_over_the_environment(start_server, env):
    env["REJOINDER_MAX_LINKS"] = "5"
    server = start_server("serve", "--max-links", "0")
    created = httpx.post(
        f"{server.url}/api/comments",
        json={"thread": "flags", "author_name": "Reader", "body": "See https://a.example/1"},
    ).json()
    assert created["status"] == "pending"  # one link is more than the flag's 0, not the env's 5


def test_check_fails_when_the_database_or_redis_does_not_answer(env):
    env["REJOINDER_DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/none"
    env["REJOINDER_REDIS_URL"] = "redis://127.0.0.1:1/0"
    result = rejoinder("check", env=env)
    assert result.returncode == 1
    assert "database: NOT answering" in result.stdout
    assert "redis: NOT answering" in result.stdout


def test_bad_configuration_is_a_clear_error(env):
    env["REJOINDER_EDIT_WINDOW"] = "soon"
    result = rejoinder("check", env=env)
    assert result.returncode == 2
    assert "REJOINDER_EDIT_WINDOW" in result.stderr


def test_demo_loads_the_reference_thread_once_and_serves_it(start_server, env):
    server = start_server("demo")
    first = httpx.get(
        f"{server.url}/api/comments", params={"thread": DEMO_THREAD, "sort": "oldest"}
    ).json()
    assert first["thread"]["comment_count"] == 2
    assert first["thread"]["title"].startswith("EXPLAINED: Surge in Russian Deserters")
    assert first["thread"]["url"] == f"{server.url}/articles/{DEMO_THREAD}"
    older, newer = first["comments"]
    assert [older["author"]["name"], newer["author"]["name"]] == ["Mr Person", "John"]
    assert all(c["author"]["guest"] and c["spoiler"] for c in first["comments"])
    assert older["html"] == "<p>Transcript please.</p>"
    assert "At this point the Russians deserters" in newer["html"]
    # Loading again (a second `rejoinder demo`) changes nothing.
    server.stop()
    again = start_server("demo")
    second = httpx.get(f"{again.url}/api/comments", params={"thread": DEMO_THREAD}).json()
    assert second["thread"]["comment_count"] == 2


def test_demo_comments_are_dated_one_day_and_one_week_ago(start_server):
    from datetime import UTC, datetime

    server = start_server("demo")
    page = httpx.get(f"{server.url}/api/comments", params={"thread": DEMO_THREAD}).json()
    ages = sorted(
        (datetime.now(UTC) - datetime.fromisoformat(c["created_at"])).total_seconds() / 86400
        for c in page["comments"]
    )
    assert ages[0] == pytest.approx(1, abs=0.01)
    assert ages[1] == pytest.approx(7, abs=0.01)


def test_two_workers_take_fifty_concurrent_posts_without_losing_one(start_server, env):
    env["REJOINDER_RATE_POSTS_PER_ADDRESS"] = "1000/1m"  # one test client posts for fifty readers
    server = start_server("serve", "--workers", "2")

    async def post_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        "/api/comments",
                        json={"thread": "hot", "author_name": f"R{n}", "body": f"Post {n}"},
                    )
                    for n in range(50)
                )
            )

    responses = asyncio.run(post_all())
    assert [r.status_code for r in responses] == [201] * 50, [r.text for r in responses]
    ids = {r.json()["comment"]["id"] for r in responses}
    assert len(ids) == 50
    page = httpx.get(f"{server.url}/api/comments", params={"thread": "hot", "limit": 200}).json()
    assert page["thread"]["comment_count"] == 50
    assert {c["id"] for c in page["comments"]} == ids
