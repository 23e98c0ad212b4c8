"""The automatic pipeline: every new or edited comment is checked, and each step's reason is
kept on the comment for the moderator."""

from __future__ import annotations

import json

import pytest

from tests.support import THREAD, add_moderator, assert_error, page, post, posted, sign_in

ABUSE = "You are a fucking idiot, shut up you stupid piece of shit."


def reasons(peek, comment_id: int) -> list[dict]:
    return json.loads(peek.scalar("SELECT moderation FROM comments WHERE id = :i", i=comment_id))


def status(peek, comment_id: int) -> str:
    return peek.scalar("SELECT status FROM comments WHERE id = :i", i=comment_id)


@pytest.fixture
def strict(make_client):
    return make_client(banned_words=("scum", "kill yourself"), suspect_words=("traitor",))


def test_ordinary_comment_is_published_with_nothing_against_it(client, peek):
    created = posted(client, "Thanks for the explainer, the transcript helped.")
    assert created["status"] == "visible" and created["notice"] is None
    assert reasons(peek, created["comment"]["id"]) == []
    assert page(client)["thread"]["comment_count"] == 1


def test_banned_word_sent_anyway_rejects_the_comment_and_says_why(strict, peek):
    created = posted(strict, "You are all s.c.u.m", nudge_acknowledged=True)
    assert created["status"] == "rejected"
    assert "rules" in created["notice"]
    comment_id = created["comment"]["id"]
    assert status(peek, comment_id) == "rejected"
    assert reasons(peek, comment_id) == [
        {"step": "words", "action": "reject", "reason": "banned words: scum"},
        {
            "step": "nudge",
            "action": "note",
            "reason": "the writer was warned (banned_words) and sent it anyway",
        },
    ]
    assert page(strict, THREAD)["comments"] == []


def test_banned_words_are_found_through_leetspeak_but_not_inside_other_words(strict, peek):
    assert posted(strict, "Go k1ll y0urself", nudge_acknowledged=True)["status"] == "rejected"
    assert posted(strict, "The scumble glaze on the painting is lovely")["status"] == "visible"


def test_suspect_word_sent_anyway_sends_the_comment_to_the_queue(strict, peek):
    created = posted(strict, "The minister is a TRAITOR to the country", nudge_acknowledged=True)
    assert created["status"] == "pending"
    assert "moderator" in created["notice"]
    assert reasons(strict_peek := peek, created["comment"]["id"])[0]["reason"] == (
        "suspect words: traitor"
    )
    assert status(strict_peek, created["comment"]["id"]) == "pending"
    assert page(strict)["thread"]["comment_count"] == 0


def test_too_many_links_queue_the_comment(make_client, peek):
    client = make_client(max_links=1)
    created = posted(client, "See https://a.example/1 and https://b.example/2 and www.c.example")
    assert created["status"] == "pending"
    assert reasons(peek, created["comment"]["id"])[0] == {
        "step": "links",
        "action": "queue",
        "reason": "3 links (more than 1 allowed)",
    }
    assert posted(client, "Source: https://a.example/report")["status"] == "visible"


def test_toxic_comment_sent_anyway_is_queued_with_its_score(client, peek):
    created = posted(client, ABUSE, nudge_acknowledged=True)
    assert created["status"] == "pending"
    comment_id = created["comment"]["id"]
    assert peek.scalar("SELECT toxicity FROM comments WHERE id = :i", i=comment_id) > 0.9
    assert reasons(peek, comment_id)[0]["step"] == "toxicity"
    calm = posted(client, "I disagree with the analysis, the numbers look too low to me.")
    assert calm["status"] == "visible"
    assert peek.scalar("SELECT toxicity FROM comments WHERE id = :i", i=calm["comment"]["id"]) < 0.5


def test_editing_a_published_comment_runs_the_pipeline_again(client, peek):
    created = posted(client, "A calm first version.")
    comment_id = created["comment"]["id"]
    edited = client.patch(
        f"/api/comments/{comment_id}",
        json={"body": ABUSE, "nudge_acknowledged": True},
        headers={"X-Edit-Token": created["edit_token"]},
    )
    assert edited.status_code == 200
    assert edited.json()["status"] == "pending"
    assert status(peek, comment_id) == "pending"
    assert page(client)["thread"]["comment_count"] == 0


CAMPAIGN = (
    "Everyone should know the official deserter numbers are fake and the ministry is lying "
    "to all of us about {what}"
)


def test_near_identical_text_from_three_names_is_a_campaign_queued_and_linked(client, peek):
    first = posted(client, CAMPAIGN.format(what="the war"), thread="a", author_name="Ivan")
    second = posted(client, CAMPAIGN.format(what="this war"), thread="b", author_name="Petro")
    assert first["status"] == second["status"] == "visible"
    third = posted(client, CAMPAIGN.format(what="the war!"), thread="c", author_name="Olena")
    assert third["status"] == "pending"
    ids = [c["comment"]["id"] for c in (first, second, third)]
    assert [status(peek, i) for i in ids] == ["pending"] * 3
    campaign_ids = {peek.scalar("SELECT campaign_id FROM comments WHERE id = :i", i=i) for i in ids}
    assert campaign_ids == {ids[0]}
    assert any(r["step"] == "campaign" for r in reasons(peek, ids[0]))
    assert page(client, "a")["thread"]["comment_count"] == 0


def test_the_same_name_repeating_itself_is_not_a_campaign(client):
    for thread in ("a", "b", "c"):
        created = posted(client, CAMPAIGN.format(what="it"), thread=thread, author_name="Ivan")
        assert created["status"] == "visible"


def test_short_common_replies_are_never_a_campaign(client):
    for name in ("A", "B", "C", "D"):
        assert posted(client, "Thanks, great video!", author_name=name)["status"] == "visible"


def test_posting_too_fast_from_one_address_is_refused_with_retry_after(make_client, peek):
    client = make_client(rate_posts_per_address=(2, 60))
    posted(client)
    posted(client)
    before = peek.counts()
    response = post(client)
    assert_error(response, 429, None)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert peek.counts() == before


def test_guest_cannot_pose_as_staff_or_a_reserved_name(client, database_url, peek):
    add_moderator(database_url, "ana")
    before = peek.counts()
    for name in ("Ana", "A n a", "АNA", "ana\u200b", "Admin", "Mоderator", "EDITOR"):
        error = assert_error(post(client, author_name=name), 400, "author_name")
        assert error["code"] in ("name_reserved", "invisible_character")
    assert peek.counts() == before
    assert posted(client, author_name="Anastasia")["status"] == "visible"


def test_closed_thread_refuses_comments_and_readers_see_it_closed(client, database_url, peek):
    posted(client)
    add_moderator(database_url)
    csrf = sign_in(client)
    response = client.post(
        "/admin/settings",
        data={"csrf": csrf, "thread": THREAD, "mode": "", "closed": "on", "message": "Closed."},
        follow_redirects=False,
    )
    assert response.status_code == 303
    thread = page(client)["thread"]
    assert thread["closed"] is True and thread["message"] == "Closed."
    before = peek.counts()
    assert assert_error(post(client), 403, "thread")["code"] == "thread_closed"
    assert peek.counts() == before


def test_threads_close_themselves_days_after_publication(client, database_url, clock):
    posted(client)
    add_moderator(database_url)
    csrf = sign_in(client)
    client.post("/admin/settings", data={"csrf": csrf, "mode": "post", "auto_close_days": "3"})
    assert page(client)["thread"]["closed"] is False
    clock.advance(3 * 86400 + 1)
    assert page(client)["thread"]["closed"] is True
    assert assert_error(post(client), 403, "thread")["code"] == "thread_closed"


@pytest.mark.parametrize(
    ("mode", "guest_plain", "guest_link"),
    [
        ("post", "visible", "visible"),
        ("pre", "pending", "pending"),
        ("pre_guests", "pending", "pending"),
        ("pre_links", "visible", "pending"),
    ],
)
def test_moderation_modes_decide_what_waits(client, database_url, mode, guest_plain, guest_link):
    add_moderator(database_url)
    csrf = sign_in(client)
    assert client.post("/admin/settings", data={"csrf": csrf, "mode": mode}).status_code == 200
    assert posted(client, "Plain words.")["status"] == guest_plain
    assert posted(client, "See https://news.example/a")["status"] == guest_link


def test_a_thread_can_be_stricter_than_its_site(client, database_url):
    posted(client, thread="calm")
    posted(client, thread="heated")
    add_moderator(database_url)
    csrf = sign_in(client)
    client.post("/admin/settings", data={"csrf": csrf, "thread": "heated", "mode": "pre"})
    assert posted(client, thread="calm")["status"] == "visible"
    assert posted(client, thread="heated")["status"] == "pending"


def test_an_external_scoring_api_decides_and_its_failures_follow_the_chosen_policy(
    make_client, peek
):
    import threading

    from tests.test_scoring import FakePerspective, base

    server = FakePerspective()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        scored = make_client(toxicity_url=base(server) + "/analyze")
        assert posted(scored, "you idiot", nudge_acknowledged=True)["status"] == "pending"
        assert posted(scored, "A fair point.")["status"] == "visible"
        closed = make_client(toxicity_url=base(server) + "/error", toxicity_fail_open=False)
        refused = posted(closed, "A fair point.")
        assert refused["status"] == "pending"
        assert "fail closed" in reasons(peek, refused["comment"]["id"])[0]["reason"]
        opened = make_client(toxicity_url=base(server) + "/error", toxicity_fail_open=True)
        published = posted(opened, "Another fair point.")
        assert published["status"] == "visible"
        assert reasons(peek, published["comment"]["id"])[0]["action"] == "note"
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_signed_in_reader_has_a_rate_limit_of_their_own(make_client, peek):
    from datetime import UTC, datetime, timedelta

    import jwt

    secret = "a-publisher-secret-of-at-least-32-bytes!"
    client = make_client(sso_secret=secret, rate_posts_per_user=(1, 60))
    exp = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())
    token = jwt.encode({"sub": "u9", "name": "Taras", "exp": exp}, secret, algorithm="HS256")
    headers = {"Authorization": f"Bearer {token}"}
    assert post(client, headers=headers).status_code == 201
    before = peek.counts()
    limited = post(client, headers=headers)
    assert_error(limited, 429, None)
    assert "Retry-After" in limited.headers
    assert peek.counts() == before


@pytest.mark.redis
def test_rate_limits_are_shared_by_every_process_through_redis(make_client):
    import redis

    from tests.conftest import REDIS_URL

    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2) as server:
            server.flushdb()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis server at {REDIS_URL} is not answering ({exc!r})")
    one = make_client(redis_url=REDIS_URL, rate_posts_per_address=(2, 60))
    other = make_client(redis_url=REDIS_URL, rate_posts_per_address=(2, 60))
    assert post(one).status_code == 201
    assert post(other).status_code == 201
    assert post(one).status_code == 429
    assert post(other).status_code == 429
