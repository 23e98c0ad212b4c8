"""Posting comments and replies."""

from __future__ import annotations

from tests.support import THREAD, page, post, posted


def test_first_comment_creates_the_thread_with_its_title_and_url(make_client):
    client = make_client(allowed_origins=("https://news.example",))
    posted(client, thread="story-9", thread_title="A story", thread_url="https://news.example/9")
    posted(client, thread="story-9", thread_title="Another title", thread_url="https://x.example/")
    thread = page(client, "story-9")["thread"]
    assert thread == {
        "key": "story-9",
        "title": "A story",
        "url": "https://news.example/9",
        "comment_count": 2,
        "closed": False,
        "message": None,
    }


def test_a_guest_cannot_name_a_thread_after_a_page_off_the_publishers_site(make_client):
    """Issue 13: the first guest's thread_url was shown to moderators, whatever it was."""
    client = make_client(allowed_origins=("https://news.example",))
    posted(
        client,
        thread="story-10",
        thread_title="Claim your prize",
        thread_url="https://phishing.example/login",
    )
    thread = page(client, "story-10")["thread"]
    assert (thread["title"], thread["url"]) == (None, None)


def test_guest_comment_is_shown_with_guest_author_and_rendered_markdown(client):
    created = posted(client, "Hello *world*", author_name="  Mr Person ", spoiler=True)
    comment = created["comment"]
    assert comment["author"] == {"name": "Mr Person", "guest": True, "badge": None}
    assert comment["html"] == "<p>Hello <em>world</em></p>"
    assert comment["spoiler"] is True
    assert comment["created_at"].endswith("Z")
    assert comment["edited_at"] is None
    assert comment["votes"] == {"up": 0, "down": 0}
    assert comment["replies"] == [] and comment["reply_count"] == 0
    assert comment["deleted"] is False
    assert isinstance(created["edit_token"], str) and len(created["edit_token"]) >= 32
    assert page(client)["comments"] == [comment]


def test_email_is_stored_but_never_shown(client, peek):
    created = posted(client, author_email="reader@example.com")
    assert "reader@example.com" not in str(created)
    assert "reader@example.com" not in str(page(client))
    assert peek.scalar("SELECT author_email FROM comments") == "reader@example.com"


def test_client_address_is_stored_only_as_a_keyed_hash(client, peek):
    posted(client)
    stored = peek.scalar("SELECT author_ip_hash FROM comments")
    assert stored and "testclient" not in stored and "127.0.0.1" not in stored


def test_replies_nest_under_their_parent_oldest_first_at_any_depth(client):
    top = posted(client, "top")["comment"]["id"]
    first = posted(client, "first reply", parent_id=top)["comment"]["id"]
    second = posted(client, "second reply", parent_id=top)["comment"]["id"]
    deep = posted(client, "reply to a reply", parent_id=first)["comment"]["id"]
    result = page(client)
    assert result["thread"]["comment_count"] == 4
    [root] = result["comments"]
    assert root["id"] == top and root["reply_count"] == 2
    assert [r["id"] for r in root["replies"]] == [first, second]
    assert root["replies"][0]["replies"][0]["id"] == deep
    assert root["replies"][0]["reply_count"] == 1


def test_idempotency_key_makes_a_retry_return_the_first_result(client, peek):
    headers = {"Idempotency-Key": "3f1c2a9e-retry"}
    first = post(client, "only once", headers=headers)
    again = post(client, "only once", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert peek.scalar("SELECT count(*) FROM comments") == 1
    assert page(client)["thread"]["comment_count"] == 1


def test_idempotency_key_reused_for_another_request_is_refused(client, peek):
    headers = {"Idempotency-Key": "same-key"}
    assert post(client, "one", headers=headers).status_code == 201
    response = post(client, "two", headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "Idempotency-Key"
    assert peek.scalar("SELECT count(*) FROM comments") == 1


def test_posting_sets_a_signed_voter_cookie_once(client):
    first = post(client)
    assert "rj_voter=" in first.headers["set-cookie"]
    assert "HttpOnly" in first.headers["set-cookie"]
    second = post(client)
    assert "set-cookie" not in second.headers


def test_writes_from_an_allowed_origin_are_accepted(make_client):
    client = make_client(allowed_origins=("https://news.example",))
    response = post(client, headers={"Origin": "https://news.example"})
    assert response.status_code == 201


def test_writes_from_the_servers_own_origin_are_accepted(client):
    response = post(client, headers={"Origin": "http://testserver.local"})
    assert response.status_code == 201


def test_cross_origin_preflight_names_the_allowed_origin(make_client):
    client = make_client(allowed_origins=("https://news.example",))
    response = client.options(
        "/api/comments",
        headers={
            "Origin": "https://news.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,idempotency-key",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == "https://news.example"
    assert response.headers["access-control-allow-credentials"] == "true"


def test_thread_key_may_be_a_canonical_url_up_to_512_characters(client):
    key = "https://news.example/" + "a" * (512 - len("https://news.example/"))
    posted(client, thread=key)
    assert page(client, key)["thread"]["comment_count"] == 1


def test_comments_stay_in_their_own_thread(client):
    posted(client, thread="a")
    posted(client, thread="b")
    posted(client, thread="b")
    assert page(client, "a")["thread"]["comment_count"] == 1
    assert len(page(client, "b")["comments"]) == 2
    assert page(client, THREAD)["comments"] == []
