"""Bad input: a clear 4xx JSON error naming the field, and nothing stored. Never a 500."""

from __future__ import annotations

import pytest

from tests.support import THREAD, assert_error, posted

VALID = {"thread": THREAD, "author_name": "Reader", "body": "Fine words."}


def with_(**changes):
    payload = dict(VALID)
    for key, value in changes.items():
        if value is ...:
            payload.pop(key)
        else:
            payload[key] = value
    return payload


BAD_COMMENTS = [
    ("blank body", with_(body=""), 400, "body"),
    ("whitespace-only body", with_(body=" \n\t \u3000 "), 400, "body"),
    ("body over 10,000 characters", with_(body="x" * 10_001), 413, "body"),
    ("emoji body over 10,000 characters", with_(body="😀" * 10_001), 413, "body"),
    ("missing body", with_(body=...), 400, "body"),
    ("empty author name", with_(author_name=""), 400, "author_name"),
    ("blank author name", with_(author_name="   "), 400, "author_name"),
    ("author name over 64 characters", with_(author_name="n" * 65), 400, "author_name"),
    ("control character in name", with_(author_name="Ann\x07"), 400, "author_name"),
    ("newline in name", with_(author_name="Ann\nAdmin"), 400, "author_name"),
    ("right-to-left override in name", with_(author_name="Ann\u202eeman"), 400, "author_name"),
    ("bidi isolate in name", with_(author_name="Ann\u2067x"), 400, "author_name"),
    ("zero-width space in name", with_(author_name="Ad\u200bmin"), 400, "author_name"),
    ("zero-width joiner in name", with_(author_name="Ad\u200dmin"), 400, "author_name"),
    ("byte-order mark in name", with_(author_name="\ufeffAdmin"), 400, "author_name"),
    ("NUL in body", with_(body="hello\x00world"), 400, "body"),
    ("NUL in name", with_(author_name="Ann\x00"), 400, "author_name"),
    ("NUL in thread", with_(thread="a\x00b"), 400, "thread"),
    ("NUL in thread title", with_(thread_title="T\x00"), 400, "thread_title"),
    ("NUL in email", with_(author_email="a\x00@b.c"), 400, "author_email"),
    ("empty thread", with_(thread=""), 400, "thread"),
    ("thread key over 512 characters", with_(thread="k" * 513), 400, "thread"),
    ("thread title over 300 characters", with_(thread_title="t" * 301), 400, "thread_title"),
    ("thread url not http", with_(thread_url="javascript:alert(1)"), 400, "thread_url"),
    ("bad email", with_(author_email="not-an-email"), 400, "author_email"),
    ("body of wrong type", with_(body=42), 400, "body"),
    ("name of wrong type", with_(author_name=["Ann"]), 400, "author_name"),
    ("parent_id of wrong type", with_(parent_id="7"), 400, "parent_id"),
    ("spoiler of wrong type", with_(spoiler="yes"), 400, "spoiler"),
    ("thread of wrong type", with_(thread=None), 400, "thread"),
    ("unknown field", with_(admin=True), 400, "admin"),
    ("parent that does not exist", with_(parent_id=999_999), 400, "parent_id"),
    ("parent id zero", with_(parent_id=0), 400, "parent_id"),
    ("parent id beyond 64 bits", with_(parent_id=2**70), 400, "parent_id"),
]


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [pytest.param(p, s, f, id=name) for name, p, s, f in BAD_COMMENTS],
)
def test_bad_comment_is_refused_and_nothing_is_stored(client, peek, payload, status, field):
    posted(client)  # the thread exists, so "nothing stored" is measured against real data
    before = peek.counts()
    assert_error(client.post("/api/comments", json=payload), status, field)
    assert peek.counts() == before


def test_reply_to_comment_in_other_thread_is_refused(client, peek):
    elsewhere = posted(client, thread="other-article")["comment"]["id"]
    before = peek.counts()
    error = assert_error(
        client.post("/api/comments", json=with_(parent_id=elsewhere)), 400, "parent_id"
    )
    assert error["code"] == "parent_in_other_thread"
    assert peek.counts() == before


def test_reply_to_deleted_comment_is_refused(client, peek):
    gone = posted(client)
    client.delete(
        f"/api/comments/{gone['comment']['id']}", headers={"X-Edit-Token": gone["edit_token"]}
    )
    before = peek.counts()
    response = client.post("/api/comments", json=with_(parent_id=gone["comment"]["id"]))
    assert assert_error(response, 400, "parent_id")["code"] == "parent_deleted"
    assert peek.counts() == before


@pytest.mark.parametrize(
    "raw",
    [b'{"thread": "a", "author_name": "A", "body": "x"', b"not json", b"", b"\x00", b"[]", b"null"],
    ids=["truncated", "not json", "empty", "nul byte", "array", "null"],
)
def test_broken_json_is_refused(client, peek, raw):
    before = peek.counts()
    response = client.post(
        "/api/comments", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert set(response.json()["error"]) == {"code", "message", "field"}
    assert peek.counts() == before


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""]
)
def test_write_that_is_not_json_is_refused_with_415(client, peek, content_type):
    before = peek.counts()
    response = client.post(
        "/api/comments",
        content=b'{"thread": "a", "author_name": "A", "body": "x"}',
        headers={"Content-Type": content_type},
    )
    assert_error(response, 415, "Content-Type")
    assert peek.counts() == before


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://testserver.local:8081"])
def test_write_from_an_origin_not_allowed_is_refused_with_403(make_client, peek, origin):
    client = make_client(allowed_origins=("https://news.example",))
    before = peek.counts()
    response = client.post("/api/comments", json=VALID, headers={"Origin": origin})
    assert_error(response, 403, "Origin")
    assert peek.counts() == before


def test_votes_and_edits_from_a_foreign_origin_are_refused(client, peek):
    created = posted(client)
    comment_id = created["comment"]["id"]
    before = peek.counts()
    foreign = {"Origin": "https://evil.example", "X-Edit-Token": created["edit_token"]}
    for response in (
        client.post(f"/api/comments/{comment_id}/vote", json={"value": 1}, headers=foreign),
        client.patch(f"/api/comments/{comment_id}", json={"body": "x"}, headers=foreign),
        client.delete(f"/api/comments/{comment_id}", headers=foreign),
    ):
        assert_error(response, 403, "Origin")
    assert peek.counts() == before
    assert peek.scalar("SELECT body_markdown FROM comments") == "A thoughtful comment."


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"thread": "a", "sort": "top"}, "sort"),
        ({"thread": "a", "sort": ""}, "sort"),
        ({"thread": "a", "limit": "0"}, "limit"),
        ({"thread": "a", "limit": "201"}, "limit"),
        ({"thread": "a", "limit": "-5"}, "limit"),
        ({"thread": "a", "limit": "ten"}, "limit"),
        ({"thread": "a", "cursor": "garbage!"}, "cursor"),
        ({"thread": "a", "cursor": "W10"}, "cursor"),
        ({"thread": "a\x00b"}, "thread"),
        ({"thread": ""}, "thread"),
        ({"thread": "k" * 513}, "thread"),
        ({}, "thread"),
    ],
)
def test_bad_thread_query_is_refused(client, params, field):
    assert_error(client.get("/api/comments", params=params), 400, field)


def test_counts_with_bad_thread_keys_are_refused(client):
    assert_error(client.get("/api/counts", params={"thread": "a\x00"}), 400, "thread")
    assert_error(client.get("/api/counts"), 400, "thread")
    too_many = [("thread", str(n)) for n in range(201)]
    assert_error(client.get("/api/counts", params=too_many), 400, "thread")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"value": 2}, "value"),
        ({"value": "1"}, "value"),
        ({}, "value"),
        ({"value": 1, "x": 1}, "x"),
    ],
)
def test_bad_vote_is_refused(client, peek, payload, field):
    comment_id = posted(client)["comment"]["id"]
    before = peek.counts()
    assert_error(client.post(f"/api/comments/{comment_id}/vote", json=payload), 400, field)
    assert peek.counts() == before


def test_request_larger_than_the_limit_is_refused_before_it_is_read(client, peek):
    before = peek.counts()
    response = client.post("/api/comments", json=with_(body="x" * 2_000_000))
    assert response.status_code == 413
    assert set(response.json()["error"]) == {"code", "message", "field"}
    assert peek.counts() == before
