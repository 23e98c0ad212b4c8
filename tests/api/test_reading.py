"""Reading a thread: sort orders, paging with cursors, counts, deleted placeholders."""

from __future__ import annotations

import pytest

from tests.support import ids, page, post, posted


def vote(client, comment_id: int, value: int, voter: int) -> None:
    client.cookies.clear()
    client.cookies.set("rj_voter", voter_cookie(client, voter))
    response = client.post(f"/api/comments/{comment_id}/vote", json={"value": value})
    assert response.status_code == 200, response.text


def voter_cookie(client, n: int) -> str:
    signer = client.app.state.services.signer
    return f"voter{n}.{signer.sign('voter', f'voter{n}')}"


def test_unknown_thread_is_an_empty_thread_not_a_404(client):
    result = page(client, "never-commented")
    assert result == {
        "thread": {
            "key": "never-commented",
            "title": None,
            "url": None,
            "comment_count": 0,
            "closed": False,
            "message": None,
        },
        "comments": [],
        "next_cursor": None,
        "featured": [],
        "mail": False,  # no smtp_url: the widget offers no e-mail
    }


def test_oldest_and_newest_order_by_time(client, clock):
    made = []
    for n in range(4):
        made.append(posted(client, f"comment {n}")["comment"]["id"])
        clock.advance(60)
    assert ids(page(client, sort="oldest")["comments"]) == made
    assert ids(page(client, sort="newest")["comments"]) == made[::-1]


def test_best_ranks_by_wilson_lower_bound_then_newer_first(client, clock):
    few_ups = posted(client, "1 up 0 down")["comment"]["id"]
    clock.advance(1)
    many_ups = posted(client, "9 up 1 down")["comment"]["id"]
    clock.advance(1)
    no_votes_old = posted(client, "no votes, older")["comment"]["id"]
    clock.advance(1)
    no_votes_new = posted(client, "no votes, newer")["comment"]["id"]
    clock.advance(1)
    disliked = posted(client, "0 up 3 down")["comment"]["id"]
    vote(client, few_ups, 1, voter=0)
    for voter in range(9):
        vote(client, many_ups, 1, voter=voter)
    vote(client, many_ups, -1, voter=9)
    for voter in range(3):
        vote(client, disliked, -1, voter=voter)
    order = ids(page(client, sort="best")["comments"])
    assert order == [many_ups, few_ups, disliked, no_votes_new, no_votes_old]
    # Best is also the default order.
    assert ids(page(client)["comments"]) == order


@pytest.mark.parametrize("sort", ["best", "oldest", "newest"])
def test_cursor_pages_cover_every_comment_once_even_while_comments_arrive(client, clock, sort):
    for n in range(7):
        posted(client, f"before {n}")
        clock.advance(1)
    expected = set(ids(page(client, sort=sort, limit=200)["comments"]))
    seen: list[int] = []
    result = page(client, sort=sort, limit=3)
    while True:
        seen += ids(result["comments"])
        posted(client, "arrived while paging")  # must not shift what the cursor points at
        clock.advance(1)
        if result["next_cursor"] is None:
            break
        result = page(client, sort=sort, limit=3, cursor=result["next_cursor"])
    assert len(seen) == len(set(seen)), "a comment was shown twice"
    assert expected <= set(seen), "a comment was skipped"


def test_limit_counts_top_level_comments_and_replies_come_along(client):
    first = posted(client, "first")["comment"]["id"]
    posted(client, "second")
    for n in range(3):
        posted(client, f"reply {n}", parent_id=first)
    result = page(client, sort="oldest", limit=1)
    assert ids(result["comments"]) == [first]
    assert len(result["comments"][0]["replies"]) == 3
    assert result["next_cursor"] is not None
    assert result["thread"]["comment_count"] == 5


def test_cursor_from_another_sort_is_refused(client):
    for _ in range(3):
        posted(client)
    cursor = page(client, sort="oldest", limit=1)["next_cursor"]
    response = client.get("/api/comments", params={"thread": "article-1", "cursor": cursor})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "cursor"


def test_deleted_comment_with_replies_stays_as_a_placeholder(client):
    parent = posted(client, "parent")
    reply = posted(client, "reply", parent_id=parent["comment"]["id"])["comment"]
    response = client.delete(
        f"/api/comments/{parent['comment']['id']}", headers={"X-Edit-Token": parent["edit_token"]}
    )
    assert response.status_code == 204
    result = page(client)
    [placeholder] = result["comments"]
    assert placeholder["deleted"] is True
    assert placeholder["html"] is None
    assert placeholder["author"]["name"] is None
    assert ids(placeholder["replies"]) == [reply["id"]]
    assert result["thread"]["comment_count"] == 1


def test_deleted_comment_without_replies_disappears(client):
    kept = posted(client, "kept")["comment"]["id"]
    gone = posted(client, "gone")
    client.delete(
        f"/api/comments/{gone['comment']['id']}", headers={"X-Edit-Token": gone["edit_token"]}
    )
    result = page(client)
    assert ids(result["comments"]) == [kept]
    assert result["thread"]["comment_count"] == 1


def test_placeholder_disappears_when_its_last_reply_is_deleted(client):
    parent = posted(client, "parent")
    reply = posted(client, "reply", parent_id=parent["comment"]["id"])
    for created in (parent, reply):
        response = client.delete(
            f"/api/comments/{created['comment']['id']}",
            headers={"X-Edit-Token": created["edit_token"]},
        )
        assert response.status_code == 204
    result = page(client)
    assert result["comments"] == []
    assert result["thread"]["comment_count"] == 0


def test_comment_count_counts_replies_too(client):
    top = posted(client)["comment"]["id"]
    posted(client, parent_id=top)
    posted(client, parent_id=top)
    response = client.get("/api/counts", params={"thread": "article-1"})
    assert response.json() == {"counts": {"article-1": 3}}


def test_reading_sets_no_cookie_and_changes_nothing(client, peek):
    posted(client)
    client.cookies.clear()
    before = peek.counts()
    response = client.get("/api/comments", params={"thread": "article-1"})
    assert "set-cookie" not in response.headers
    assert peek.counts() == before
    assert post(client).status_code == 201
