"""The moderation pages: sign-in, queues, actions with their audit trail, search, settings."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.support import (
    MODERATOR_PASSWORD,
    THREAD,
    add_moderator,
    assert_error,
    form_token,
    moderate,
    page,
    posted,
    report_from,
    sign_in,
    statements_for,
)

ABUSE = "You are a fucking idiot, shut up you stupid piece of shit."


@pytest.fixture
def moderator(client, database_url):
    add_moderator(database_url)
    return sign_in(client)


def test_the_queues_need_a_moderator_to_sign_in(client):
    response = client.get("/admin", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=/admin"


@pytest.mark.parametrize(
    "path", ["/admin/bans", "/admin/audit", "/admin/audit.csv", "/admin/search", "/admin/settings"]
)
def test_every_moderators_page_sends_a_signed_out_browser_to_sign_in(client, path):
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/login?next={path}"


@pytest.mark.parametrize("path", ["/admin/counts", "/admin/items/1", "/admin/events"])
def test_the_queues_scripts_hear_401_in_the_one_error_shape_when_signed_out(client, path):
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"code", "message", "field"}
    assert response.json()["error"]["code"] == "signed_out"


def test_session_cookie_is_httponly_strict_and_scoped_to_admin(client, database_url):
    add_moderator(database_url)
    login = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"username": "ana", "password": MODERATOR_PASSWORD, "csrf": form_token(login.text)},
        follow_redirects=False,
    )
    cookie = next(v for v in response.headers.get_list("set-cookie") if v.startswith("rj_admin="))
    assert "HttpOnly" in cookie and "Path=/admin" in cookie
    assert "samesite=strict" in cookie.lower()


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, database_url):
    add_moderator(database_url)
    login = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"username": "ana", "password": "wrong password!", "csrf": form_token(login.text)},
    )
    assert response.status_code == 401
    assert "do not match" in response.text
    assert "rj_admin" not in client.cookies


def test_sign_in_without_the_forms_token_is_refused(client, database_url):
    add_moderator(database_url)
    client.get("/admin/login")
    response = client.post(
        "/admin/login", data={"username": "ana", "password": MODERATOR_PASSWORD, "csrf": "forged"}
    )
    assert response.status_code == 403


def test_a_password_hashed_with_weaker_parameters_is_rehashed_at_sign_in(
    client, database_url, peek
):
    from argon2 import PasswordHasher

    from rejoinder.domain.passwords import needs_rehash
    from rejoinder.store.database import Database
    from rejoinder.store.users import set_password
    from tests.conftest import run

    add_moderator(database_url)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(MODERATOR_PASSWORD)

    async def store_weak() -> None:
        database = Database(database_url)
        try:
            async with database.write() as connection:
                await set_password(connection, 1, weak)
        finally:
            await database.dispose()

    run(store_weak())
    sign_in(client)
    stored = peek.scalar("SELECT password_hash FROM users WHERE username = 'ana'")
    assert stored != weak and not needs_rehash(stored)
    client.cookies.clear()
    sign_in(client)  # the new hash takes the same password


def test_sign_in_attempts_are_rate_limited(make_client, database_url):
    client = make_client(rate_logins=(3, 900))
    add_moderator(database_url)
    statuses = []
    for _ in range(4):
        login = client.get("/admin/login")
        statuses.append(
            client.post(
                "/admin/login",
                data={
                    "username": "ana",
                    "password": "nope nope nope",
                    "csrf": form_token(login.text),
                },
            ).status_code
        )
    assert statuses == [401, 401, 401, 429]
    login = client.get("/admin/login")
    blocked = client.post(
        "/admin/login",
        data={"username": "ana", "password": MODERATOR_PASSWORD, "csrf": form_token(login.text)},
    )
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0


def test_queues_show_counts_and_each_item_with_its_reasons(client, moderator):
    posted(client, "Fine comment.")
    queued = posted(client, ABUSE, author_name="Troll", nudge_acknowledged=True)["comment"]["id"]
    html = client.get("/admin").text
    assert 'data-count="pending">1<' in html
    assert 'data-count="recent">2<' in html
    assert f'id="item-{queued}"' in html
    assert "toxicity" in html and "Troll" in html
    assert "Author&#39;s record" in html or "Author's record" in html


def test_approving_publishes_the_comment_and_is_audited(client, moderator):
    queued = posted(client, ABUSE, nudge_acknowledged=True)["comment"]["id"]
    assert page(client)["thread"]["comment_count"] == 0
    assert moderate(client, moderator, queued, "approve").status_code == 303
    assert page(client)["thread"]["comment_count"] == 1
    entries = client.get("/admin/audit.json").json()
    assert entries[0]["actor"] == "ana" and entries[0]["action"] == "approve"
    assert entries[0]["before"]["status"] == "pending"
    assert entries[0]["after"]["status"] == "visible"


def test_rejecting_takes_a_published_comment_off_the_page(client, moderator):
    comment_id = posted(client)["comment"]["id"]
    moderate(client, moderator, comment_id, "reject")
    assert page(client)["comments"] == []
    assert f'id="item-{comment_id}"' in client.get("/admin?queue=rejected").text


def test_featured_comment_comes_first_as_an_editors_pick(client, moderator):
    first = posted(client, "First.")["comment"]["id"]
    second = posted(client, "Second, and excellent.")["comment"]["id"]
    moderate(client, moderator, second, "feature")
    shown = page(client, sort="oldest")
    assert [c["id"] for c in shown["featured"]] == [second]
    assert shown["featured"][0]["featured"] is True
    assert [c["id"] for c in shown["comments"]] == [first]


def test_marking_a_spoiler_and_editing_the_text(client, moderator):
    comment_id = posted(client, "The ending is sad.")["comment"]["id"]
    moderate(client, moderator, comment_id, "spoiler")
    moderate(client, moderator, comment_id, "edit", body="The ending is [removed].")
    comment = page(client)["comments"][0]
    assert comment["spoiler"] is True and "[removed]" in comment["html"]
    actions = [e["action"] for e in client.get("/admin/audit.json").json()]
    assert actions == ["edit", "spoiler"]


def test_bulk_approve_and_reject(client, moderator):
    ids = [
        posted(client, ABUSE, author_name=f"R{n}", nudge_acknowledged=True)["comment"]["id"]
        for n in range(3)
    ]
    client.post(
        "/admin/bulk",
        data={"csrf": moderator, "action": "approve", "ids": [str(i) for i in ids[:2]]},
    )
    client.post("/admin/bulk", data={"csrf": moderator, "action": "reject", "ids": [str(ids[2])]})
    assert page(client)["thread"]["comment_count"] == 2
    assert 'data-count="pending">0<' in client.get("/admin").text


def test_search_by_text_author_and_address(client, moderator, peek):
    posted(client, "About the bridge.", author_name="Mykola")
    posted(client, "About the weather.", author_name="Iryna")
    assert "Mykola" in client.get("/admin/search", params={"q": "BRIDGE"}).text
    by_author = client.get("/admin/search", params={"author": "iryna"}).text
    assert by_author.count('class="item ') == 1 and '<span class="author">Iryna<' in by_author
    address = peek.scalar("SELECT author_ip_hash FROM comments LIMIT 1")
    assert client.get("/admin/search", params={"address": address}).text.count('class="item ') == 2
    assert "No comments match" in client.get("/admin/search", params={"q": "%_"}).text


def test_audit_log_exports_as_csv(client, moderator):
    comment_id = posted(client)["comment"]["id"]
    moderate(client, moderator, comment_id, "reject")
    response = client.get("/admin/audit.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["id", "when", "who", "action", "target", "before", "after"]
    assert rows[1][2:5] == ["ana", "reject", f"comment:{comment_id}"]


def test_audit_exports_stream_the_whole_log_a_page_at_a_time(client, moderator, monkeypatch):
    from rejoinder.service import audit_log

    monkeypatch.setattr(audit_log, "EXPORT_PAGE", 2)
    comment_id = posted(client)["comment"]["id"]
    for action in ("spoiler", "unspoiler", "spoiler", "unspoiler", "reject"):
        moderate(client, moderator, comment_id, action)
    exported = client.get("/admin/audit.json").json()
    assert [e["action"] for e in exported] == [
        "reject", "unspoiler", "spoiler", "unspoiler", "spoiler"
    ]  # fmt: skip
    assert [e["id"] for e in exported] == sorted((e["id"] for e in exported), reverse=True)
    rows = list(csv.reader(io.StringIO(client.get("/admin/audit.csv").text)))
    assert [row[0] for row in rows[1:]] == [str(e["id"]) for e in exported]


def test_comment_page_shows_thread_context_history_and_campaign(client, moderator):
    parent = posted(client, "The parent comment.")["comment"]["id"]
    reply = posted(client, "The reply.", parent_id=parent)["comment"]["id"]
    html = client.get(f"/admin/comments/{reply}").text
    assert "In reply to Reader" in html and "The parent comment." in html
    assert "The author&#39;s other comments" in html or "The author's other comments" in html


def test_unknown_action_and_bad_ban_days_are_clear_errors(client, moderator, peek):
    comment_id = posted(client)["comment"]["id"]
    assert moderate(client, moderator, comment_id, "obliterate").status_code == 400
    assert moderate(client, moderator, comment_id, "ban", days="forever").status_code == 400
    assert peek.scalar("SELECT count(*) FROM bans") == 0
    assert peek.scalar("SELECT count(*) FROM audit_log") == 0


def test_moderation_pages_set_a_strict_content_security_policy(client, moderator):
    policy = client.get("/admin").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_the_queue_reads_parents_and_reports_for_the_whole_page_at_once(client, database_url):
    """A page of replies, each reported, costs two statements per item (the author's
    history), not four: parents and reports are read for all items together."""
    parent = posted(client, "The comment everyone answers.")["comment"]["id"]
    add_moderator(database_url)

    def reply_and_report(n: int) -> None:
        for k in range(n):
            client.cookies.clear()
            reply = posted(client, f"Reply number {k}.", parent_id=parent)["comment"]["id"]
            answer = report_from(client, reply, f"198.51.100.{k + 1}", "spam")
            assert answer.status_code == 201

    reply_and_report(5)
    sign_in(client)
    few = statements_for(client, "/admin?queue=recent")
    client.cookies.clear()
    reply_and_report(10)
    sign_in(client)
    more = statements_for(client, "/admin?queue=recent")
    assert more - few <= 2 * 10, (few, more)


@pytest.mark.parametrize("days", ["0", "-1", "3651", "soon"])
def test_impossible_auto_close_days_are_refused_on_the_form_beside_the_field(
    client, moderator, peek, days
):
    response = client.post(
        "/admin/settings", data={"csrf": moderator, "mode": "pre", "auto_close_days": days}
    )
    assert response.status_code == 400
    assert "<h1>Discussion rules</h1>" in response.text  # the form again, not an error page
    assert 'aria-invalid="true" aria-describedby="auto-close-error"' in response.text
    assert re.search(
        r'<p class="error" role="alert" id="auto-close-error">[^<]+</p>', response.text
    )
    assert f'value="{days}"' in response.text  # as typed, to correct
    assert peek.scalar("SELECT auto_close_days FROM sites") is None
    assert peek.scalar("SELECT moderation_mode FROM sites") == "post"
    assert peek.scalar("SELECT count(*) FROM audit_log") == 0


def test_scripts_hear_an_impossible_auto_close_in_the_one_error_shape(client, moderator):
    response = client.post(
        "/admin/settings",
        data={"csrf": moderator, "mode": "post", "auto_close_days": "0"},
        headers={"Accept": "application/json"},
    )
    assert_error(response, 400, "auto_close_days")


def test_a_too_long_thread_message_is_refused_on_the_thread_form(client, moderator, peek):
    posted(client)
    response = client.post(
        "/admin/settings",
        data={"csrf": moderator, "thread": THREAD, "mode": "", "message": "x" * 1001},
    )
    assert response.status_code == 400
    assert 'id="thread-message-error"' in response.text and "x" * 1001 in response.text
    assert peek.scalar("SELECT message FROM threads") is None
