"""Many readers posting at once into one thread: every post acknowledged and stored once."""

from __future__ import annotations

import asyncio

from litestar.testing import AsyncTestClient

from rejoinder.app import create_app
from tests.conftest import BASE_URL
from tests.support import THREAD, page


def test_fifty_concurrent_posts_to_one_thread_are_all_stored_once(make_settings, client, peek):
    async def main():
        async with AsyncTestClient(create_app(make_settings()), base_url=BASE_URL) as readers:
            return await asyncio.gather(
                *(
                    readers.post(
                        "/api/comments",
                        json={
                            "thread": THREAD,
                            "author_name": f"Reader {n}",
                            "body": f"Comment {n}",
                        },
                    )
                    for n in range(50)
                )
            )

    responses = asyncio.run(main())
    assert [r.status_code for r in responses] == [201] * 50
    acknowledged = {r.json()["comment"]["id"] for r in responses}
    assert len(acknowledged) == 50
    stored = page(client, limit=200)
    assert {c["id"] for c in stored["comments"]} == acknowledged
    assert sorted(c["html"] for c in stored["comments"]) == sorted(
        f"<p>Comment {n}</p>" for n in range(50)
    )
    assert stored["thread"]["comment_count"] == 50
    assert peek.scalar("SELECT count(*) FROM comments") == 50
    assert peek.scalar("SELECT count(*) FROM threads") == 1


def test_concurrent_retries_with_one_idempotency_key_store_one_comment(make_settings, client, peek):
    async def main():
        async with AsyncTestClient(create_app(make_settings()), base_url=BASE_URL) as reader:
            return await asyncio.gather(
                *(
                    reader.post(
                        "/api/comments",
                        json={"thread": THREAD, "author_name": "Ann", "body": "Retried"},
                        headers={"Idempotency-Key": "retry-storm"},
                    )
                    for _ in range(10)
                )
            )

    responses = asyncio.run(main())
    assert [r.status_code for r in responses] == [201] * 10
    assert len({r.json()["comment"]["id"] for r in responses}) == 1
    assert peek.scalar("SELECT count(*) FROM comments") == 1
