"""A server killed with SIGKILL in the middle of concurrent posting loses nothing it
acknowledged and stores nothing twice, on both databases; after the restart, a reader who
retries with the same Idempotency-Key (and their own reader token) never makes a copy."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import httpx

from tests.cli.conftest import Server, launch
from tests.cli.load import payload, stored_bodies

POSTERS = 48
POSTS_EACH = 40
KILL_AFTER = 150


class Poster:
    """One reader: their own cookie jar, so their own reader token, before and after."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.cookies = httpx.Cookies()
        self.acknowledged: dict[int, int] = {}  # post number -> comment id
        self.unanswered: int | None = None

    async def post(self, url: str, number: int) -> httpx.Response:
        async with httpx.AsyncClient(base_url=url, cookies=self.cookies, timeout=10) as client:
            response = await client.post(
                "/api/comments",
                json=payload(self.n, number),
                headers={"Idempotency-Key": f"crash-{self.n}-{number}"},
            )
            self.cookies = client.cookies
        return response


async def post_and_kill(server: Server, posters: list[Poster]) -> None:
    """Every reader posts one comment after another; once ``KILL_AFTER`` were acknowledged,
    the server's whole process group gets SIGKILL."""
    killed = asyncio.Event()

    async def run(poster: Poster) -> None:
        for number in range(POSTS_EACH):
            if killed.is_set():
                return
            try:
                response = await poster.post(server.url, number)
            except httpx.TransportError:
                poster.unanswered = number
                return
            assert response.status_code == 201, response.text
            poster.acknowledged[number] = response.json()["comment"]["id"]
            if sum(len(p.acknowledged) for p in posters) >= KILL_AFTER and not killed.is_set():
                killed.set()
                os.killpg(server.process.pid, signal.SIGKILL)

    await asyncio.gather(*(run(poster) for poster in posters))


def test_sigkill_under_concurrent_posting_loses_no_acknowledged_comment(env, peek):
    env["REJOINDER_RATE_POSTS_PER_ADDRESS"] = "100000/1m"
    server = launch(["serve", "--workers", "2"], env)
    posters = [Poster(n) for n in range(POSTERS)]
    try:
        asyncio.run(post_and_kill(server, posters))
    finally:
        server.stop()
    acknowledged = sum(len(p.acknowledged) for p in posters)
    assert acknowledged >= KILL_AFTER

    started = time.monotonic()
    restarted = launch(["serve"], env)
    recovered_in = time.monotonic() - started
    try:
        stored = stored_bodies(peek.url)
        for poster in posters:
            for number, comment_id in poster.acknowledged.items():
                assert stored.get(comment_id) == payload(poster.n, number)["body"]
        assert len(stored) == len(set(stored.values())), "a comment was stored twice"

        async def retry_unanswered() -> list[int]:
            codes = []
            for poster in posters:
                if poster.unanswered is not None:
                    response = await poster.post(restarted.url, poster.unanswered)
                    codes.append(response.status_code)
            return codes

        codes = asyncio.run(retry_unanswered())
        assert set(codes) <= {201}, codes
        after = stored_bodies(peek.url)
        assert len(after) == len(set(after.values())), "a retry stored a second copy"
        counted = peek.scalar("SELECT comment_count FROM threads WHERE key = 'crash'")
        visible = peek.scalar("SELECT count(*) FROM comments WHERE status = 'visible'")
        assert counted == visible
        if peek.url.startswith("sqlite"):
            assert peek.scalar("PRAGMA integrity_check") == "ok"
    finally:
        restarted.stop()
    print(
        f"\nacknowledged {acknowledged}, unanswered {len(codes)}, stored before retries "
        f"{len(stored)}, after {len(after)}, lost 0, duplicated 0, healthy again after "
        f"{recovered_in:.2f} s"
    )
