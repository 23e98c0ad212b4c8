"""Votes: one per reader per comment, a bounded number per address, counted without losing
any under concurrency."""

from __future__ import annotations

import asyncio

from litestar.testing import AsyncTestClient

from rejoinder.app import create_app
from tests.conftest import BASE_URL
from tests.support import assert_error, from_address, page, posted


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
        return {
            "Cookie": f"rj_voter=v{n}.{signer.sign('voter', f'v{n}')}",
            **from_address(f"10.1.{n}.1"),
        }

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


def vote_as(
    client, comment_id: int, value: int, token: str | None = None, address: str = "192.0.2.1"
):
    """A vote sent the way the widget sends it: the reader token in a header, no cookie."""
    client.cookies.clear()
    headers = from_address(address)
    if token:
        headers["X-Rejoinder-Reader"] = token
    return client.post(f"/api/comments/{comment_id}/vote", json={"value": value}, headers=headers)


def test_a_reader_token_in_the_header_keeps_up_down_up_to_one_vote(client):
    comment_id = posted(client)["comment"]["id"]
    first = vote_as(client, comment_id, 1)
    token = first.headers["X-Rejoinder-Reader"]
    assert vote_as(client, comment_id, -1, token).json() == {"up": 0, "down": 1}
    assert vote_as(client, comment_id, 1, token).json() == {"up": 1, "down": 0}
    assert "X-Rejoinder-Reader" not in vote_as(client, comment_id, 1, token).headers
    assert page(client)["comments"][0]["votes"] == {"up": 1, "down": 0}


def test_twenty_votes_from_one_address_add_at_most_the_cap(make_client):
    client = make_client(votes_per_address=10)
    comment_id = posted(client)["comment"]["id"]
    tokenless = [vote_as(client, comment_id, 1).status_code for _ in range(20)]
    assert tokenless.count(200) == 10
    assert page(client)["comments"][0]["votes"] == {"up": 10, "down": 0}
    # Fresh tokens asked for one by one are no way round it.
    other = posted(client, "Another comment.")["comment"]["id"]
    for _ in range(20):
        token = client.post("/api/readers", json={}).json()["token"]
        response = vote_as(client, other, 1, token)
        assert response.status_code in (200, 403)
    refused = vote_as(client, other, 1, client.post("/api/readers", json={}).json()["token"])
    assert assert_error(refused, 403, None)["code"] == "vote_limit"
    votes = {c["id"]: c["votes"] for c in page(client)["comments"]}
    assert votes[other] == {"up": 10, "down": 0}


def test_a_capped_address_can_still_change_and_take_back_its_votes(make_client):
    client = make_client(votes_per_address=2)
    comment_id = posted(client)["comment"]["id"]
    tokens = [vote_as(client, comment_id, 1).headers["X-Rejoinder-Reader"] for _ in range(2)]
    assert vote_as(client, comment_id, 1).status_code == 403
    assert vote_as(client, comment_id, -1, tokens[0]).json() == {"up": 1, "down": 1}
    assert vote_as(client, comment_id, 0, tokens[1]).json() == {"up": 0, "down": 1}


def test_an_ipv6_64_votes_as_one_address(make_client):
    client = make_client(votes_per_address=3)
    comment_id = posted(client)["comment"]["id"]
    codes = [
        vote_as(client, comment_id, 1, address=f"2001:db8:1:2::{n}").status_code
        for n in range(1, 6)
    ]
    assert codes == [200, 200, 200, 403, 403]
    assert vote_as(client, comment_id, 1, address="2001:db8:1:3::1").status_code == 200
    assert page(client)["comments"][0]["votes"] == {"up": 4, "down": 0}


def test_readers_behind_one_address_are_limited_per_minute(make_client):
    client = make_client(rate_votes_per_address=(5, 60))
    comment_ids = [posted(client, f"Comment number {n}.")["comment"]["id"] for n in range(6)]
    codes = [vote_as(client, comment_id, 1).status_code for comment_id in comment_ids]
    assert codes == [200] * 5 + [429]
    assert vote_as(client, comment_ids[-1], 1, address="192.0.2.99").status_code == 200
