"""Votes: one per browser per comment, counted without losing any under concurrency."""

from __future__ import annotations

import asyncio

from litestar.testing import AsyncTestClient

from rejoinder.app import create_app
from tests.conftest import BASE_URL
from tests.support import assert_error, page, posted


def test_vote_up_then_change_to_down_then_take_back(client):
    comment_id = posted(client)["comment"]["id"]
    url = f"/api/comments/{comment_id}/vote"
    assert client.post(url, json={"value": 1}).json() == {"up": 1, "down": 0}
    assert client.post(url, json={"value": 1}).json() == {"up": 1, "down": 0}
    assert client.post(url, json={"value": -1}).json() == {"up": 0, "down": 1}
    assert client.post(url, json={"value": 0}).json() == {"up": 0, "down": 0}
    assert page(client)["comments"][0]["votes"] == {"up": 0, "down": 0}


def test_each_browser_has_its_own_vote(client):
    comment_id = posted(client)["comment"]["id"]
    url = f"/api/comments/{comment_id}/vote"
    for _ in range(3):
        client.cookies.clear()
        assert client.post(url, json={"value": 1}).status_code == 200
    assert page(client)["comments"][0]["votes"] == {"up": 3, "down": 0}


def test_a_forged_voter_cookie_gets_a_fresh_identity(client):
    comment_id = posted(client)["comment"]["id"]
    client.cookies.set("rj_voter", "someone-else.forged-signature")
    response = client.post(f"/api/comments/{comment_id}/vote", json={"value": 1})
    assert response.status_code == 200
    assert "rj_voter=" in response.headers["set-cookie"]


def test_voting_on_a_missing_or_deleted_comment_is_404(client, peek):
    assert_error(client.post("/api/comments/4242/vote", json={"value": 1}), 404, None)
    created = posted(client)
    client.delete(
        f"/api/comments/{created['comment']['id']}",
        headers={"X-Edit-Token": created["edit_token"]},
    )
    before = peek.counts()
    response = client.post(f"/api/comments/{created['comment']['id']}/vote", json={"value": 1})
    assert_error(response, 404, None)
    assert peek.counts() == before


def test_concurrent_votes_from_many_browsers_are_all_counted(make_settings, client):
    comment_id = posted(client)["comment"]["id"]

    signer = client.app.state.services.signer

    def as_voter(n: int) -> dict[str, str]:
        return {"Cookie": f"rj_voter=v{n}.{signer.sign('voter', f'v{n}')}"}

    async def main() -> list[int]:
        async with AsyncTestClient(create_app(make_settings()), base_url=BASE_URL) as voters:
            responses = await asyncio.gather(
                *(
                    voters.post(
                        f"/api/comments/{comment_id}/vote",
                        json={"value": 1 if n % 4 else -1},
                        headers=as_voter(n),
                    )
                    for n in range(40)
                )
            )
        return [r.status_code for r in responses]

    assert asyncio.run(main()) == [200] * 40
    assert page(client)["comments"][0]["votes"] == {"up": 30, "down": 10}
