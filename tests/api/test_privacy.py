"""A commenter's data is theirs: they can download it and erase it; addresses are never kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from tests.support import page, posted

SECRET = "a-publisher-secret-of-at-least-32-bytes!"


def test_guest_downloads_what_they_wrote_from_this_browser(client):
    mine = posted(client, "My words.", author_email="me@example.org")["comment"]["id"]
    client.post(f"/api/comments/{mine}/vote", json={"value": 1})
    voter = client.cookies.get("rj_voter")
    client.cookies.clear()
    posted(client, "Someone else's words.")
    client.cookies.clear()
    client.cookies.set("rj_voter", voter, path="/api")
    response = client.get("/api/me/data")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    data = response.json()
    assert [c["body"] for c in data["comments"]] == ["My words."]
    assert data["comments"][0]["author_email"] == "me@example.org"
    assert data["votes"] == [{"comment_id": mine, "value": 1, "at": data["votes"][0]["at"]}]


def test_guest_erases_their_comments_and_replies_to_them_keep_their_place(client, peek):
    mine = posted(client, "Erase me.", author_email="me@example.org")["comment"]["id"]
    voter = client.cookies.get("rj_voter")
    client.cookies.clear()
    posted(client, "A reply to it.", parent_id=mine)
    client.cookies.clear()
    client.cookies.set("rj_voter", voter, path="/api")
    response = client.delete("/api/me")
    assert response.status_code == 200 and response.json() == {"comments_removed": 1}
    shown = page(client)["comments"]
    assert shown[0]["deleted"] is True and shown[0]["author"]["name"] is None
    assert peek.scalar("SELECT count(*) FROM comments WHERE body_markdown = 'Erase me.'") == 0
    assert peek.scalar("SELECT count(*) FROM comments WHERE author_email IS NOT NULL") == 0
    assert client.get("/api/me/data").json()["comments"][0]["body"] == ""


def test_signed_in_reader_downloads_and_deletes_their_account(make_client, peek):
    client = make_client(sso_secret=SECRET)
    now = datetime.now(UTC)
    token = jwt.encode(
        {"sub": "u1", "name": "Oksana", "exp": int((now + timedelta(minutes=5)).timestamp())},
        SECRET,
        algorithm="HS256",
    )
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post(
        "/api/comments", json={"thread": "t", "body": "Signed in."}, headers=headers
    )
    assert created.status_code == 201
    data = client.get("/api/me/data", headers=headers).json()
    assert data["user"]["display_name"] == "Oksana"
    assert "password_hash" not in data["user"]
    assert [c["body"] for c in data["comments"]] == ["Signed in."]
    erased = client.delete("/api/me", headers=headers)
    assert erased.json() == {"comments_removed": 1}
    assert peek.scalar("SELECT count(*) FROM users") == 0
    assert page(client, "t")["thread"]["comment_count"] == 0


def test_client_addresses_are_stored_only_as_keyed_hashes(client, peek):
    posted(client, headers=None)
    stored = peek.scalar("SELECT author_ip_hash FROM comments")
    assert stored and "testclient" not in stored and "127.0.0.1" not in stored
    assert len(stored) == 32


def test_erasing_also_empties_the_live_event_log(client, peek):
    """Readers who reconnect are replayed recent events from the log: after an erasure they
    are told to reload instead, so the erased words are not replayed."""
    import time

    posted(client, "Words I take back.")
    for _ in range(500):  # the log is written just after the post, in the background
        if peek.scalar("SELECT count(*) FROM live_events WHERE data LIKE '%take back%'"):
            break
        time.sleep(0.01)
    assert peek.scalar("SELECT count(*) FROM live_events WHERE data LIKE '%take back%'") == 1
    assert client.delete("/api/me").status_code == 200
    assert peek.scalar("SELECT count(*) FROM live_events WHERE data LIKE '%take back%'") == 0
