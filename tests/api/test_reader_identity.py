"""A reader's identity holds where cookies do not: the widget on a publisher's site sends its
reader token in a header, and everything that needs a person (votes, reports, bans, own
comments, "my data", idempotency) follows that token, on both databases."""

from __future__ import annotations

import pytest

from tests.support import (
    THREAD,
    add_moderator,
    assert_error,
    from_address,
    moderate,
    page,
    sign_in,
)

HEADER = "X-Rejoinder-Reader"


class Reader:
    """A browser that keeps no cookies for Rejoinder (third-party cookies blocked): only the
    token the widget stores and sends in the header."""

    def __init__(self, client, address: str = "192.0.2.10") -> None:
        self.client = client
        self.address = address
        self.token: str | None = None

    def headers(self, **extra: str) -> dict[str, str]:
        headers = {**from_address(self.address), **extra}
        if self.token:
            headers[HEADER] = self.token
        return headers

    def send(self, method: str, url: str, **kwargs):
        self.client.cookies.clear()
        response = self.client.request(
            method, url, headers=self.headers(**kwargs.pop("headers", {})), **kwargs
        )
        self.client.cookies.clear()
        if HEADER in response.headers:
            self.token = response.headers[HEADER]
        return response

    def post(self, body: str = "A reader's comment.", **fields):
        payload = {"thread": THREAD, "author_name": "Reader", "body": body, **fields}
        return self.send("POST", "/api/comments", json=payload)


@pytest.fixture
def reader(client) -> Reader:
    return Reader(client)


def test_a_first_write_hands_the_reader_a_token_and_later_writes_keep_it(reader):
    response = reader.post()
    assert response.status_code == 201
    token = reader.token
    assert token and "." in token
    assert reader.post("Another one.").status_code == 201
    assert reader.token == token


def test_a_reader_can_ask_for_a_token_and_gets_their_own_back(reader):
    made = reader.send("POST", "/api/readers", json={})
    assert made.status_code == 201
    reader.token = made.json()["token"]
    assert reader.send("POST", "/api/readers", json={}).json()["token"] == reader.token


def test_a_forged_token_is_no_identity(reader, peek):
    reader.token = "someone.forged"
    assert reader.post().status_code == 201
    assert reader.token != "someone.forged"


def test_my_data_and_erasure_follow_the_token(reader, peek):
    reader.post("Something I wrote.")
    data = reader.send("GET", "/api/me/data").json()
    assert [c["body"] for c in data["comments"]] == ["Something I wrote."]
    stranger = Reader(reader.client)
    assert stranger.send("GET", "/api/me/data").json()["comments"] == []
    assert reader.send("DELETE", "/api/me").json() == {"comments_removed": 1}
    assert peek.scalar("SELECT count(*) FROM comments WHERE status = 'visible'") == 0


def test_my_thread_lists_my_votes_and_what_i_may_still_edit(reader, client, clock):
    mine = reader.post("Mine.").json()["comment"]["id"]
    other = Reader(client, "192.0.2.20").post("Theirs.").json()["comment"]["id"]
    reader.send("POST", f"/api/comments/{other}/vote", json={"value": -1})
    found = reader.send("GET", "/api/me/thread", params={"thread": THREAD})
    assert found.headers["Cache-Control"] == "private, no-store"
    assert found.json()["votes"] == {str(other): -1}
    assert [c["id"] for c in found.json()["own"]] == [mine]
    clock.advance(16 * 60)
    assert reader.send("GET", "/api/me/thread", params={"thread": THREAD}).json()["own"] == []
    assert Reader(client).send("GET", "/api/me/thread", params={"thread": THREAD}).json() == {
        "votes": {},
        "own": [],
    }


def test_a_reader_edits_and_deletes_their_comment_by_token_without_the_edit_token(
    reader, client, peek
):
    comment_id = reader.post("First draft.").json()["comment"]["id"]
    url = f"/api/comments/{comment_id}"
    edited = reader.send("PATCH", url, json={"body": "Second draft."})
    assert edited.status_code == 200, edited.text
    stranger = Reader(client, reader.address)
    assert_error(stranger.send("PATCH", url, json={"body": "Mine now."}), 403, "X-Edit-Token")
    assert_error(stranger.send("DELETE", url), 403, "X-Edit-Token")
    assert reader.send("DELETE", url).status_code == 204
    assert peek.scalar("SELECT status FROM comments") == "deleted"


def test_a_ban_holds_the_reader_by_their_token_with_cookies_blocked(reader, make_client, peek):
    comment_id = reader.post("Abuse.").json()["comment"]["id"]
    staff = make_client()
    add_moderator(peek.url)
    csrf = sign_in(staff)
    assert moderate(staff, csrf, comment_id, "ban", reason="abuse", days="0").status_code == 303
    before = peek.counts()
    assert assert_error(reader.post("Back again."), 403, None)["code"] == "banned"
    reader.address = "203.0.113.50"  # another network: the token still names them
    assert assert_error(reader.post("Back again."), 403, None)["code"] == "banned"
    assert peek.counts() == before
    assert Reader(reader.client, "203.0.113.51").post("A different reader.").status_code == 201


def test_a_shadow_ban_holds_on_the_token_and_they_still_see_their_comment(
    reader, make_client, peek
):
    comment_id = reader.post("Trolling.").json()["comment"]["id"]
    staff = make_client()
    add_moderator(peek.url)
    csrf = sign_in(staff)
    moderate(staff, csrf, comment_id, "shadowban", days="0")
    reader.address = "203.0.113.60"
    assert reader.post("More trolling.").status_code == 201
    assert peek.scalar("SELECT status FROM comments ORDER BY id DESC LIMIT 1") == "shadow"
    own = reader.send("GET", "/api/comments", params={"thread": THREAD}).json()
    assert "More trolling." in str(own)
    assert "More trolling." not in str(page(Reader(reader.client).client))


def test_an_idempotency_key_from_another_client_is_refused(reader, client, peek):
    key = {"Idempotency-Key": "a-key-someone-saw"}
    payload = {"thread": THREAD, "author_name": "Reader", "body": "Only once."}
    first = reader.send("POST", "/api/comments", json=payload, headers=key)
    assert reader.send("POST", "/api/comments", json=payload, headers=key).json() == first.json()
    thief = Reader(client, "203.0.113.70")
    thief.token = client.post("/api/readers", json={}).json()["token"]
    stolen = thief.send("POST", "/api/comments", json=payload, headers=key)
    assert assert_error(stolen, 422, "Idempotency-Key")["code"] == "idempotency_key_reused"
    assert "edit_token" not in stolen.text
    other_body = reader.send("POST", "/api/comments", json={**payload, "body": "X"}, headers=key)
    assert assert_error(other_body, 422, "Idempotency-Key")["code"] == "idempotency_key_reused"
    assert peek.scalar("SELECT count(*) FROM comments") == 1


def test_a_first_post_retried_after_the_token_arrived_returns_the_first_result(client, peek):
    reader = Reader(client)
    key = {"Idempotency-Key": "retry-after-lost-response"}
    payload = {"thread": THREAD, "author_name": "Reader", "body": "Sent twice."}
    first = reader.send("POST", "/api/comments", json=payload, headers=key)
    assert reader.token is not None
    assert reader.send("POST", "/api/comments", json=payload, headers=key).json() == first.json()
    assert peek.scalar("SELECT count(*) FROM comments") == 1


def test_a_reader_with_a_token_reads_their_own_page_never_a_shared_copy(reader, client):
    anonymous = client.get("/api/comments", params={"thread": THREAD})
    assert anonymous.headers["Cache-Control"].startswith("public")
    assert "X-Rejoinder-Reader" in anonymous.headers["Vary"]
    reader.post("Just posted.")
    own = reader.send("GET", "/api/comments", params={"thread": THREAD})
    assert own.headers["Cache-Control"] == "private, no-cache"
    assert "Just posted." in own.text


def test_the_embedded_widgets_shared_read_still_varies_on_the_reader_token(make_client):
    """Litestar's CORS layer replaces the response's Vary for an allowed origin: a cache that
    lost it would hand the anonymous copy to a reader who sent their token."""
    client = make_client(allowed_origins=("https://news.example",))
    origin = {"Origin": "https://news.example"}
    for _ in range(2):  # the second read is answered from memory, before routing
        shared = client.get("/api/comments", params={"thread": THREAD}, headers=origin)
        vary = [word.strip() for word in shared.headers["Vary"].split(",")]
        assert {"Origin", "Authorization", "X-Rejoinder-Reader"} <= set(vary)
    assert "X-Rejoinder-Reader" in shared.headers["Access-Control-Expose-Headers"]


def test_erasure_leaves_no_address_on_the_readers_votes_and_reports(reader, client, peek):
    other = Reader(client, "192.0.2.30").post("Someone's comment.").json()["comment"]["id"]
    reader.send("POST", f"/api/comments/{other}/vote", json={"value": 1})
    reader.send("POST", f"/api/comments/{other}/reports", json={"reason": "spam"})
    assert reader.send("DELETE", "/api/me").status_code == 200
    assert peek.scalar("SELECT count(*) FROM votes WHERE address_hash IS NOT NULL") == 0
    assert peek.scalar("SELECT count(*) FROM reports WHERE address_hash IS NOT NULL") == 0
    assert page(client)["comments"][0]["votes"] == {"up": 1, "down": 0}
