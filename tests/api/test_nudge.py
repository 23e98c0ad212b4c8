"""The nudge: a writer whose words would hold or refuse their comment is told why first, with
nothing stored, and may revise it or send it anyway, for a moderator to read."""

from __future__ import annotations

import json

import pytest

from tests.support import add_moderator, page, post, posted, sign_in

ABUSE = "You are a fucking idiot, shut up you stupid piece of shit."
SUSPECT = "The minister is a traitor to the country."
SENT_ANYWAY = "the writer was warned (suspect_words) and sent it anyway"


@pytest.fixture
def strict(make_client):
    return make_client(banned_words=("scum",), suspect_words=("traitor",))


def nudge_of(response) -> dict:
    """The one error shape, as a nudge fills it: code, message, the body field, and why."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "field", "reasons"}
    assert error["code"] == "nudge" and error["field"] == "body" and error["message"]
    return error


def reasons(peek, comment_id: int) -> list[dict]:
    return json.loads(peek.scalar("SELECT moderation FROM comments WHERE id = :i", i=comment_id))


def test_suspect_words_are_explained_to_the_writer_and_nothing_is_stored(strict, peek):
    before = peek.counts()
    error = nudge_of(post(strict, SUSPECT))
    assert error["reasons"] == ["suspect_words"]
    assert "moderator" in error["message"] and "traitor" not in error["message"]
    assert peek.counts() == before
    assert page(strict)["comments"] == [] and page(strict)["thread"]["comment_count"] == 0


def test_a_toxic_comment_is_explained_as_toxicity(client, peek):
    before = peek.counts()
    assert nudge_of(post(client, ABUSE))["reasons"] == ["toxicity"]
    assert peek.counts() == before


def test_sent_anyway_it_waits_for_a_moderator_who_sees_the_writer_was_warned(
    strict, database_url, peek
):
    nudge_of(post(strict, SUSPECT))
    created = posted(strict, SUSPECT, nudge_acknowledged=True)
    assert created["status"] == "pending" and "moderator" in created["notice"]
    comment_id = created["comment"]["id"]
    assert {"step": "nudge", "action": "note", "reason": SENT_ANYWAY} in reasons(peek, comment_id)
    assert page(strict)["comments"] == []
    add_moderator(database_url)
    sign_in(strict)
    queue = strict.get("/admin?queue=pending").text
    assert f'id="item-{comment_id}"' in queue and SENT_ANYWAY in queue
    assert SENT_ANYWAY in strict.get(f"/admin/comments/{comment_id}").text


def test_revised_text_that_passes_is_published_with_nothing_noted(strict, peek):
    nudge_of(post(strict, SUSPECT))
    created = posted(strict, "The minister has let the country down.")
    assert created["status"] == "visible"
    assert reasons(peek, created["comment"]["id"]) == []
    assert page(strict)["thread"]["comment_count"] == 1


def test_a_clean_comment_sent_with_the_acknowledgement_is_published_normally(strict, peek):
    created = posted(strict, "A calm and fair point.", nudge_acknowledged=True)
    assert created["status"] == "visible"
    assert reasons(peek, created["comment"]["id"]) == []


def test_banned_words_sent_anyway_are_still_not_published(strict, peek):
    error = nudge_of(post(strict, "You are all scum"))
    assert "banned_words" in error["reasons"] and "not be published" in error["message"]
    created = posted(strict, "You are all scum", nudge_acknowledged=True)
    assert created["status"] == "rejected"
    assert page(strict)["comments"] == []


def test_a_nudge_is_no_answer_to_replay_under_its_idempotency_key(strict, peek):
    key = {"Idempotency-Key": "first-try-7f3a"}
    nudge_of(post(strict, SUSPECT, headers=key))
    nudge_of(post(strict, SUSPECT, headers=key))
    sent = post(strict, SUSPECT, headers=key, nudge_acknowledged=True)
    assert sent.status_code == 201
    after = peek.counts()
    again = post(strict, SUSPECT, headers=key, nudge_acknowledged=True)
    assert again.status_code == 201 and again.json() == sent.json()
    assert peek.counts() == after and after["comments"] == 1


def test_an_edit_is_nudged_and_changes_nothing_until_sent_anyway(client, peek):
    created = posted(client, "A calm first version.")
    comment_id = created["comment"]["id"]
    headers = {"X-Edit-Token": created["edit_token"]}
    refused = client.patch(f"/api/comments/{comment_id}", json={"body": ABUSE}, headers=headers)
    assert nudge_of(refused)["reasons"] == ["toxicity"]
    shown = page(client)["comments"]
    assert [c["id"] for c in shown] == [comment_id] and "calm first" in shown[0]["html"]
    sent = client.patch(
        f"/api/comments/{comment_id}",
        json={"body": ABUSE, "nudge_acknowledged": True},
        headers=headers,
    )
    assert sent.status_code == 200 and sent.json()["status"] == "pending"
    assert page(client)["comments"] == []
    assert any(r["step"] == "nudge" for r in reasons(peek, comment_id))


def test_links_and_the_threads_mode_hold_a_comment_without_a_nudge(make_client, database_url):
    linky = make_client(max_links=1)
    assert posted(linky, "See https://a.example/1 and https://b.example/2")["status"] == "pending"
    add_moderator(database_url)
    csrf = sign_in(linky)
    linky.post("/admin/settings", data={"csrf": csrf, "thread": "", "mode": "pre"})
    assert posted(linky, "A plain remark.")["status"] == "pending"


def test_a_site_can_turn_nudging_off_and_holds_at_once(strict, database_url, peek):
    add_moderator(database_url)
    csrf = sign_in(strict)
    strict.post("/admin/settings", data={"csrf": csrf, "mode": "post", "nudge": "off"})
    assert 'value="off" selected' in strict.get("/admin/settings").text
    created = posted(strict, SUSPECT)
    assert created["status"] == "pending"
    assert all(r["step"] != "nudge" for r in reasons(peek, created["comment"]["id"]))
    strict.post("/admin/settings", data={"csrf": csrf, "mode": "pre_links"})
    assert post(strict, SUSPECT).status_code == 201  # left as it was when not given
    strict.post("/admin/settings", data={"csrf": csrf, "mode": "post", "nudge": "on"})
    nudge_of(post(strict, SUSPECT))
    latest = strict.get("/admin/audit.json").json()[0]
    assert latest["before"]["nudge"] is False and latest["after"]["nudge"] is True


def test_a_nudging_setting_other_than_on_or_off_is_refused(client, database_url):
    add_moderator(database_url)
    csrf = sign_in(client)
    answer = client.post("/admin/settings", data={"csrf": csrf, "mode": "post", "nudge": "maybe"})
    assert answer.status_code == 400
    assert post(client, ABUSE).status_code == 422


def test_the_api_document_names_the_nudge_and_its_acknowledgement(client):
    document = client.get("/api/docs/openapi.json").json()
    for method in ("post", "patch"):
        path = "/api/comments" if method == "post" else "/api/comments/{comment_id}"
        assert "422" in document["paths"][path][method]["responses"]
    schemas = document["components"]["schemas"]
    assert "nudge_acknowledged" in schemas["NewComment"]["properties"]
    assert "nudge_acknowledged" in schemas["CommentEdit"]["properties"]
    assert "reasons" in schemas["ErrorDetail"]["properties"]
