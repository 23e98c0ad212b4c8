"""Bans and shadow-bans, set by moderators, enforced on every post."""

from __future__ import annotations

import pytest

from rejoinder.domain.errors import RejoinderError
from rejoinder.service.moderating import MAX_BAN_DAYS, BanRequest, ban_request
from tests.support import add_moderator, assert_error, moderate, page, post, posted, sign_in


@pytest.fixture
def moderator(client, database_url):
    add_moderator(database_url)
    return sign_in(client)


def as_other_reader(client):
    """The same test client, as a different browser (no voter cookie)."""
    client.cookies.clear()


def test_banned_guest_cannot_post_again_and_is_told_why(client, moderator, peek):
    comment_id = posted(client, "Nasty words.")["comment"]["id"]
    response = moderate(client, moderator, comment_id, "ban", reason="abuse", days="0")
    assert response.status_code == 303
    assert peek.scalar("SELECT status FROM comments WHERE id = :i", i=comment_id) == "rejected"
    before = peek.counts()
    error = assert_error(post(client, "Let me back in."), 403, None)
    assert error["code"] == "banned" and "abuse" in error["message"]
    assert peek.counts() == before


def test_a_ban_by_address_holds_a_guest_who_clears_their_cookies(client, moderator):
    comment_id = posted(client, "Spam spam.")["comment"]["id"]
    moderate(client, moderator, comment_id, "ban", ban_by="address", days="1")
    csrf_cookie = dict(client.cookies)
    client.cookies.clear()
    assert post(client).status_code == 403
    client.cookies.update(csrf_cookie)


def test_a_ban_ends_when_it_expires(client, moderator, clock):
    comment_id = posted(client)["comment"]["id"]
    moderate(client, moderator, comment_id, "ban", days="1")
    assert post(client).status_code == 403
    clock.advance(86400 + 1)
    assert post(client).status_code == 201


def test_lifting_a_ban_lets_the_author_post_again(client, moderator, peek):
    comment_id = posted(client)["comment"]["id"]
    moderate(client, moderator, comment_id, "ban")
    ban_id = peek.scalar("SELECT id FROM bans")
    client.post(f"/admin/bans/{ban_id}/lift", data={"csrf": moderator})
    assert post(client).status_code == 201


def test_shadow_banned_author_sees_their_comments_and_nobody_else_does(client, moderator):
    first = posted(client, "First, before the shadow-ban.")["comment"]["id"]
    moderate(client, moderator, first, "shadowban")
    voter = client.cookies.get("rj_voter")
    created = posted(client, "Still talking.")
    assert created["status"] == "visible"  # the author is not told
    own_view = page(client)
    assert {c["id"] for c in own_view["comments"]} == {first, created["comment"]["id"]}
    as_other_reader(client)
    others = page(client)
    assert others["comments"] == [] and others["thread"]["comment_count"] == 0
    client.cookies.set("rj_voter", voter, path="/api")


def test_shadow_banned_authors_data_export_shows_their_comments_as_published(
    client, moderator, peek
):
    first = posted(client, "My first words.")["comment"]["id"]
    moderate(client, moderator, first, "shadowban")
    later = posted(client, "Still talking.")["comment"]["id"]
    assert peek.scalar("SELECT count(*) FROM comments WHERE status = 'shadow'") == 2
    exported = client.get("/api/me/data")
    assert exported.status_code == 200
    data = exported.json()
    assert {c["id"]: c["status"] for c in data["comments"]} == {
        first: "visible",
        later: "visible",
    }
    assert "shadow" not in exported.text


def test_moderator_actions_need_a_session_and_the_forms_csrf_token(client, moderator, peek):
    comment_id = posted(client)["comment"]["id"]
    refused = moderate(client, "not-the-token", comment_id, "reject")
    assert refused.status_code == 403
    assert peek.scalar("SELECT status FROM comments") == "visible"
    client.cookies.clear()
    signed_out = moderate(client, moderator, comment_id, "reject")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/admin/login")
    assert peek.scalar("SELECT status FROM comments") == "visible"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"days": "3651"}, "days"),
        ({"days": "-1"}, "days"),
        ({"reason": "x" * 501}, "reason"),
        ({"ban_by": "shoe size"}, "ban_by"),
    ],
)
def test_a_ban_outside_the_limits_is_refused_and_changes_nothing(
    client, moderator, peek, fields, field
):
    comment_id = posted(client)["comment"]["id"]
    before = peek.counts()
    response = client.post(
        f"/admin/comments/{comment_id}",
        data={"csrf": moderator, "action": "ban", **fields},
        headers={"Accept": "application/json"},  # as the queue's script asks
    )
    assert_error(response, 400, field)
    assert peek.counts() == before


def test_the_ban_limits_hold_for_every_caller_not_only_the_admin_form():
    with pytest.raises(RejoinderError) as refused:
        ban_request("author", MAX_BAN_DAYS + 1, None)
    assert refused.value.field == "days"
    assert ban_request("email", MAX_BAN_DAYS, "  spam  ") == BanRequest(
        "email", MAX_BAN_DAYS, "spam"
    )
