"""Replies are paged too: a comment with hundreds of answers does not load them all."""

from __future__ import annotations

from tests.support import assert_error, page, posted


def test_a_page_carries_the_first_fifty_replies_and_a_cursor_for_the_rest(client):
    root = posted(client, "A comment everyone answers.")["comment"]["id"]
    replies = [posted(client, f"Answer {n}.", parent_id=root)["comment"]["id"] for n in range(60)]
    top = page(client)["comments"][0]
    assert [r["id"] for r in top["replies"]] == replies[:50]
    assert top["more_replies"]
    more = client.get(f"/api/comments/{root}/replies", params={"cursor": top["more_replies"]})
    assert more.status_code == 200
    assert [r["id"] for r in more.json()["replies"]] == replies[50:]
    assert more.json()["next_cursor"] is None


def test_replies_can_be_walked_in_small_steps(client):
    root = posted(client, "Root.")["comment"]["id"]
    replies = [posted(client, f"Answer {n}.", parent_id=root)["comment"]["id"] for n in range(55)]
    cursor, seen = page(client)["comments"][0]["more_replies"], []
    while cursor:
        step = client.get(
            f"/api/comments/{root}/replies", params={"cursor": cursor, "limit": 2}
        ).json()
        seen += [r["id"] for r in step["replies"]]
        cursor = step["next_cursor"]
    assert seen == replies[50:]


def test_a_comment_with_few_replies_has_no_cursor(client):
    root = posted(client, "Root.")["comment"]["id"]
    posted(client, "One answer.", parent_id=root)
    assert page(client)["comments"][0]["more_replies"] is None


def test_more_replies_of_a_reply_or_with_a_bad_cursor_are_refused(client):
    root = posted(client, "Root.")["comment"]["id"]
    reply = posted(client, "Answer.", parent_id=root)["comment"]["id"]
    assert_error(
        client.get(f"/api/comments/{root}/replies", params={"cursor": "nope"}), 400, "cursor"
    )
    good = "WyJvbGRlc3QiLCIyMDI2LTAxLTAxVDAwOjAwOjAwWiIsMSwwLjBd"
    assert_error(client.get(f"/api/comments/{reply}/replies", params={"cursor": good}), 404, None)
