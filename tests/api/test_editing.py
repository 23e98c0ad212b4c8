"""Authors may edit and delete their own comments, with their edit token, within the window."""

from __future__ import annotations

from litestar.testing import TestClient

from rejoinder.app import create_app
from tests.conftest import BASE_URL
from tests.support import (
    add_moderator,
    assert_error,
    moderate,
    page,
    posted,
    report_from,
    sign_in,
)


def edit(client, created, body, **extra):
    headers = {"X-Edit-Token": created["edit_token"]}
    return client.patch(
        f"/api/comments/{created['comment']['id']}", json={"body": body, **extra}, headers=headers
    )


def remove(client, created, token=None):
    token = created["edit_token"] if token is None else token
    return client.delete(
        f"/api/comments/{created['comment']['id']}", headers={"X-Edit-Token": token}
    )


def test_guest_can_edit_within_window(client, clock):
    created = posted(client, "first thoughts")
    clock.advance(14 * 60)
    response = edit(client, created, "second **thoughts**", spoiler=True)
    assert response.status_code == 200, response.text
    comment = response.json()["comment"]
    assert comment["html"] == "<p>second <strong>thoughts</strong></p>"
    assert comment["spoiler"] is True
    assert comment["edited_at"] is not None
    assert page(client)["comments"][0]["html"] == comment["html"]


def test_editing_keeps_the_spoiler_flag_unless_told(client):
    created = posted(client, spoiler=True)
    assert edit(client, created, "changed").json()["comment"]["spoiler"] is True


def test_guest_cannot_edit_after_the_window(client, clock, peek):
    created = posted(client, "original")
    clock.advance(15 * 60 + 1)
    assert (
        assert_error(edit(client, created, "too late"), 403, None)["code"] == "edit_window_closed"
    )
    assert assert_error(remove(client, created), 403, None)["code"] == "edit_window_closed"
    assert peek.scalar("SELECT body_markdown FROM comments") == "original"
    assert page(client)["thread"]["comment_count"] == 1


def test_edit_window_is_configurable(make_client, clock):
    client = make_client(edit_window=60)
    created = posted(client)
    clock.advance(61)
    assert edit(client, created, "late").status_code == 403


def test_edit_without_the_right_token_is_refused(client, peek):
    created = posted(client, "mine")
    other = posted(client, "someone else's")
    client.cookies.clear()  # another browser, which is not the author
    wrong = {"X-Edit-Token": other["edit_token"]}
    comment_id = created["comment"]["id"]
    response = client.patch(f"/api/comments/{comment_id}", json={"body": "x"}, headers=wrong)
    assert_error(response, 403, "X-Edit-Token")
    assert_error(
        client.patch(f"/api/comments/{comment_id}", json={"body": "x"}), 403, "X-Edit-Token"
    )
    assert_error(remove(client, created, token="forged"), 403, "X-Edit-Token")
    assert peek.scalar("SELECT count(*) FROM comments WHERE status = 'visible'") == 2


def test_a_token_from_before_a_restore_cannot_edit_the_comment_that_now_has_its_id(
    make_settings, make_client, restore_empty_backup, peek
):
    with TestClient(create_app(make_settings()), base_url=BASE_URL) as before:
        old = posted(before, "written before the backup was restored")
    restore_empty_backup()
    client = make_client()
    new = posted(client, "written by someone else after the restore")
    assert new["comment"]["id"] == old["comment"]["id"]
    client.cookies.clear()
    assert_error(edit(client, old, "hijacked"), 403, "X-Edit-Token")
    assert_error(remove(client, old), 403, "X-Edit-Token")
    stored = peek.scalar("SELECT body_markdown FROM comments")
    assert stored == "written by someone else after the restore"
    assert edit(client, new, "still mine").status_code == 200


def test_a_token_issued_before_edit_keys_still_edits_its_comment(client, peek):
    created = posted(client, "from before the upgrade")
    comment_id = created["comment"]["id"]
    client.cookies.clear()
    legacy_row(peek, comment_id)
    legacy = {**created, "edit_token": client.app.state.services.signer.edit_token(comment_id)}
    assert edit(client, created, "refused: signed over the key").status_code == 403
    assert edit(client, legacy, "edited with a token that signs the id alone").status_code == 200


def legacy_row(peek, comment_id):
    """A comment as written before edit keys: its key is NULL."""
    from sqlalchemy import text

    from rejoinder.store.database import Database
    from tests.conftest import run

    async def forget() -> None:
        database = Database(peek.url)
        try:
            async with database.write() as connection:
                await connection.execute(
                    text("UPDATE comments SET edit_key = NULL WHERE id = :id"), {"id": comment_id}
                )
        finally:
            await database.dispose()

    run(forget())


def test_edit_is_checked_like_a_new_comment(client, peek):
    created = posted(client, "original")
    assert_error(edit(client, created, "   "), 400, "body")
    assert_error(edit(client, created, "x" * 10_001), 413, "body")
    assert_error(edit(client, created, "a\x00b"), 400, "body")
    assert_error(edit(client, created, "ok", spoiler="yes"), 400, "spoiler")
    assert peek.scalar("SELECT body_markdown FROM comments") == "original"


def test_editing_or_deleting_a_missing_comment_is_404(client):
    created = posted(client)
    created["comment"]["id"] = 999_999
    assert_error(edit(client, created, "x"), 404, None)
    assert_error(remove(client, created), 404, None)
    created["comment"]["id"] = 2**70
    assert_error(remove(client, created), 404, None)


def test_a_deleted_comment_cannot_be_edited_or_deleted_again(client):
    created = posted(client)
    assert remove(client, created).status_code == 204
    assert_error(edit(client, created, "back from the dead"), 404, None)
    assert_error(remove(client, created), 404, None)
    assert page(client)["thread"]["comment_count"] == 0


def test_an_edited_editors_pick_is_no_longer_a_pick(client, database_url, peek):
    created = posted(client, "A careful, sourced comment.")
    comment_id = created["comment"]["id"]
    add_moderator(database_url)
    csrf = sign_in(client)
    assert moderate(client, csrf, comment_id, "feature").status_code == 303
    assert [c["id"] for c in page(client)["featured"]] == [comment_id]
    assert edit(client, created, "Buy cheap pills at my shop.").status_code == 200
    assert page(client)["featured"] == []
    assert peek.scalar("SELECT featured FROM threads") == 0
    assert peek.scalar("SELECT moderated_at FROM comments") is None
    assert "edited after review" in peek.scalar("SELECT moderation FROM comments")


def test_an_edited_approved_comment_can_be_hidden_by_reports_again(make_client, peek):
    client = make_client(report_threshold=2)
    created = posted(client, "Something people dislike.")
    comment_id = created["comment"]["id"]
    add_moderator(peek.url)
    csrf = sign_in(client)
    assert moderate(client, csrf, comment_id, "approve").status_code == 303
    assert edit(client, created, "Something else entirely.").status_code == 200
    for n in range(2):
        response = report_from(client, comment_id, f"198.51.100.{n + 1}")
        assert response.status_code == 201
    assert peek.scalar("SELECT status FROM comments") == "pending"
