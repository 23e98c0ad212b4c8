"""The newsroom's systems hear of every change through signed webhooks, delivered from the
outbox: retried when the receiver fails, switched off when it keeps failing, never sent to
the server's own network unless allowed, and an outside service can decide on a waiting
comment. Each test runs on SQLite and on PostgreSQL against a real HTTP receiver."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.cli.test_importing import rejoinder
from tests.receivers import WebhookReceiver
from tests.support import THREAD, add_moderator, assert_error, moderate, page, posted, sign_in

FAST = {"webhook_allow_private": True, "outbox_retry": 1, "outbox_timeout": 2}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def add_webhook(database_url: str, url: str, events: str = "*", **env: str) -> tuple[int, str]:
    """``rejoinder webhook add``; the endpoint's id and secret."""
    done = rejoinder(
        "webhook",
        "add",
        url,
        "--events",
        events,
        env={
            "REJOINDER_DATABASE_URL": database_url,
            "REJOINDER_WEBHOOK_ALLOW_PRIVATE": "true",
            **env,
        },
    )
    assert done.returncode == 0, done.stderr
    endpoint = int(re.search(r"added webhook (\d+)", done.stdout).group(1))
    return endpoint, re.search(r"secret: (\S+)", done.stdout).group(1)


def test_a_new_comment_reaches_the_endpoint_signed_with_its_secret(
    make_client, database_url, receiver
):
    client = make_client(**FAST)
    _, secret = add_webhook(database_url, receiver.url)
    receiver.secrets = [secret]
    comment = posted(client, "Signed and delivered.", author_email="ana@example.org")["comment"]
    (delivery,) = receiver.wait_for(lambda got: len(got) >= 1)
    assert delivery.verified
    assert delivery.event == "comment.created"
    assert delivery.payload["id"] == delivery.headers["webhook-id"]
    assert delivery.payload["version"] == 1
    data = delivery.payload["data"]["comment"]
    assert data["id"] == comment["id"] and data["status"] == "visible"
    assert data["body_markdown"] == "Signed and delivered."
    assert "ana@example.org" not in delivery.body.decode()  # never the author's e-mail


def test_a_signature_made_with_another_secret_does_not_verify(make_client, database_url, receiver):
    client = make_client(**FAST)
    add_webhook(database_url, receiver.url)
    receiver.secrets = ["whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="]
    posted(client, "Who signed this?")
    (delivery,) = receiver.wait_for(lambda got: len(got) >= 1)
    assert not delivery.verified


def test_an_endpoint_gets_only_the_events_it_asked_for(make_client, database_url, receiver):
    client = make_client(**FAST, suspect_words=("propaganda",))
    add_webhook(database_url, receiver.url, events="comment.queued comment.approved")
    posted(client, "On show at once, so no event for this endpoint.")
    held = posted(client, "Pure propaganda.", nudge_acknowledged=True)
    assert held["status"] == "pending"
    receiver.wait_for(lambda got: len(got) >= 1)
    add_moderator(database_url)
    csrf = sign_in(client)
    assert moderate(client, csrf, held["comment"]["id"], "approve").status_code == 303
    receiver.wait_for(lambda got: len(got) >= 2)
    assert receiver.events() == ["comment.queued", "comment.approved"]


def test_a_moderators_decisions_are_events(make_client, database_url, receiver):
    client = make_client(**FAST, suspect_words=("propaganda",))
    add_webhook(database_url, receiver.url)
    held = posted(client, "More propaganda.", nudge_acknowledged=True)["comment"]["id"]
    shown = posted(client, "A fine first comment.")["comment"]["id"]
    add_moderator(database_url)
    csrf = sign_in(client)
    moderate(client, csrf, held, "reject")
    moderate(client, csrf, shown, "feature")
    receiver.wait_for(lambda got: len(got) >= 6)
    assert sorted(receiver.events()) == sorted(
        [
            "comment.created",
            "comment.queued",
            "comment.created",
            "comment.rejected",
            "comment.left_queue",
            "comment.featured",
        ]
    )


def close(client, csrf: str, closed: bool) -> None:
    form = {"csrf": csrf, "thread": THREAD, "mode": "", "message": ""}
    saved = client.post("/admin/settings", data=form | ({"closed": "on"} if closed else {}))
    assert saved.status_code == 200 and "/admin/settings" in str(saved.url), saved.text


def test_a_moderator_closing_a_discussion_is_announced_once_per_closing(
    make_client, database_url, receiver
):
    client = make_client(**FAST)
    add_webhook(database_url, receiver.url, events="thread.closed")
    posted(client)
    add_moderator(database_url)
    csrf = sign_in(client)
    close(client, csrf, closed=True)
    close(client, csrf, closed=True)  # saved again, still closed: nothing new
    (closing,) = receiver.wait_for(lambda got: len(got) >= 1)
    assert closing.payload["data"]["thread"] == {"key": THREAD}
    assert closing.payload["data"]["by"] == "moderator"
    close(client, csrf, closed=False)
    close(client, csrf, closed=True)  # reopened and closed again: news again
    receiver.wait_for(lambda got: len(got) >= 2)
    time.sleep(1.5)
    assert receiver.events() == ["thread.closed", "thread.closed"]


def test_a_discussion_closing_by_itself_is_announced_once_whatever_the_processes(
    make_client, database_url, receiver, clock
):
    """Auto-close is time passing, not a request: the outbox's scheduled pass finds it,
    and of two server processes only one announces it."""
    client = make_client(**FAST)
    other = make_client(**FAST)
    add_webhook(database_url, receiver.url, events="thread.closed")
    add_moderator(database_url)
    csrf = sign_in(client)
    saved = client.post(
        "/admin/settings", data={"csrf": csrf, "mode": "post", "auto_close_days": "3"}
    )
    assert saved.status_code == 200, saved.text
    posted(client)
    opened = clock()  # the clock runs on in real time too: the first comment was just now
    clock.advance(3 * 86400 - 60)
    time.sleep(2.5)  # rounds pass on both servers: not closed yet
    assert receiver.events() == [] and page(other)["thread"]["closed"] is False
    clock.advance(120)
    (closing,) = receiver.wait_for(lambda got: len(got) >= 1)
    data = closing.payload["data"]
    assert data["thread"] == {"key": THREAD} and data["by"] == "auto_close"
    closed_at = datetime.fromisoformat(data["closed_at"])
    assert abs(closed_at - (opened + timedelta(days=3))) < timedelta(seconds=5)
    clock.advance(3600)
    time.sleep(2.5)
    assert receiver.events() == ["thread.closed"]


def test_a_discussion_past_its_auto_close_stays_announced_once_whatever_moderators_do(
    make_client, database_url, receiver, clock, peek
):
    """Closed and "reopened" by a moderator after it closed by itself, it is still closed
    (its time is up), so nothing is announced again."""
    client = make_client(**FAST)
    add_webhook(database_url, receiver.url, events="thread.closed")
    add_moderator(database_url)
    csrf = sign_in(client)
    saved = client.post(
        "/admin/settings", data={"csrf": csrf, "mode": "post", "auto_close_days": "3"}
    )
    assert saved.status_code == 200, saved.text
    posted(client)
    clock.advance(3 * 86400 + 60)
    (closing,) = receiver.wait_for(lambda got: len(got) >= 1)
    assert closing.payload["data"]["by"] == "auto_close"
    csrf = sign_in(client)  # three days on: the session from before has expired
    close(client, csrf, closed=True)
    assert peek.rows("SELECT closed FROM threads") == [(True,)]
    close(client, csrf, closed=False)
    clock.advance(120)  # the scheduled pass looks again
    time.sleep(3)
    assert receiver.events() == ["thread.closed"]
    assert page(client)["thread"]["closed"] is True


def test_a_failing_receiver_is_tried_again_until_it_answers(
    make_client, database_url, receiver, peek
):
    client = make_client(**FAST)
    add_webhook(database_url, receiver.url)
    receiver.answers = [500, 503]
    posted(client, "Third time lucky.")
    (delivery,) = receiver.wait_for(lambda got: len(got) >= 1)
    assert receiver.requests == 3
    sent = [("sent", 3, delivery.headers["webhook-id"])]
    wait_for_rows(peek, "SELECT state, attempts, message_id FROM outbox", sent)


def test_an_endpoint_that_keeps_failing_is_switched_off_and_says_why(
    make_client, database_url, receiver, peek
):
    client = make_client(**FAST, webhook_disable_after=2, outbox_attempts=2)
    endpoint, _ = add_webhook(database_url, receiver.url)
    receiver.answers = [500] * 10
    posted(client, "Nobody is listening.")
    wait_for_rows(peek, "SELECT state FROM outbox", [("failed",)])
    env = {"REJOINDER_DATABASE_URL": database_url}
    assert "\ton\tfailures in a row: 1" in rejoinder("webhook", "list", env=env).stdout
    posted(client, "Still nobody.")
    wait_for_rows(peek, "SELECT state FROM outbox", [("failed",), ("failed",)])
    assert receiver.requests == 4  # two messages, each tried twice
    listed = rejoinder("webhook", "list", env=env)
    assert "off: 2 messages in a row could not be delivered; the last: HTTP 500" in listed.stdout
    posted(client, "And nobody.")  # nothing more is queued for a switched-off endpoint
    assert peek.scalar("SELECT count(*) FROM outbox") == 2
    assert (
        rejoinder(
            "webhook", "enable", str(endpoint), env={"REJOINDER_DATABASE_URL": database_url}
        ).stdout.split("\t")[3]
        == "on"
    )


def test_an_endpoint_on_a_private_address_is_refused_unless_allowed(database_url, receiver):
    env = {"REJOINDER_DATABASE_URL": database_url}
    for url in (receiver.url, "http://10.0.0.7/hooks", "http://169.254.169.254/latest"):
        refused = rejoinder("webhook", "add", url, env=env)
        assert refused.returncode == 1
        assert "private, loopback or link-local" in refused.stderr
    listed = rejoinder("webhook", "list", env=env)
    assert listed.stdout == ""


def test_delivery_checks_the_address_again(make_client, database_url, receiver, peek):
    """Registered while allowed; the server that delivers does not allow it, so nothing is
    sent, whatever the name resolved to when it was registered."""
    client = make_client(**{**FAST, "webhook_allow_private": False}, outbox_attempts=1)
    add_webhook(database_url, receiver.url)
    posted(client, "Not for the private network.")
    wait_for_rows(peek, "SELECT state FROM outbox", [("failed",)])
    assert "private, loopback or link-local" in peek.scalar("SELECT last_error FROM outbox")
    assert receiver.requests == 0


def test_unknown_event_names_are_refused_with_the_names_known(database_url, receiver):
    refused = rejoinder(
        "webhook",
        "add",
        receiver.url,
        "--events",
        "comment.created comment.exploded",
        env={"REJOINDER_DATABASE_URL": database_url, "REJOINDER_WEBHOOK_ALLOW_PRIVATE": "1"},
    )
    assert refused.returncode == 1
    assert "Unknown event: comment.exploded" in refused.stderr
    assert "comment.left_queue" in refused.stderr


def test_while_a_secret_is_rotated_both_secrets_sign(make_client, database_url, receiver):
    client = make_client(**FAST)
    endpoint, old = add_webhook(database_url, receiver.url)
    env = {"REJOINDER_DATABASE_URL": database_url}
    rotated = rejoinder("webhook", "rotate", str(endpoint), env=env)
    new = re.search(r"new secret for webhook \d+: (\S+)", rotated.stdout).group(1)
    for n, secret in enumerate((old, new)):
        receiver.secrets = [secret]
        posted(client, f"Signed for {secret[:12]}.")
        receiver.wait_for(lambda got, seen=n: len(got) > seen)
        assert receiver.deliveries[-1].verified
    rejoinder("webhook", "end-rotation", str(endpoint), env=env)
    receiver.secrets = [old]
    posted(client, "Only the new secret now.")
    receiver.wait_for(lambda got: len(got) >= 3)
    assert not receiver.deliveries[-1].verified
    assert len(receiver.deliveries[-1].headers["webhook-signature"].split()) == 1


def wait_for_rows(peek, sql: str, expected: list[tuple], timeout: float = 20) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if peek.rows(sql) == expected:
            return
        time.sleep(0.05)
    assert peek.rows(sql) == expected


def test_an_outside_service_approves_a_waiting_comment_at_its_callback(
    make_client, database_url, receiver
):
    client = make_client(**FAST, suspect_words=("propaganda",))
    add_webhook(database_url, receiver.url, events="comment.queued comment.approved")
    held = posted(client, "Is this propaganda?", nudge_acknowledged=True)["comment"]["id"]
    (queued,) = receiver.wait_for(lambda got: len(got) >= 1)
    callback = queued.payload["data"]["callback"]
    assert queued.payload["data"]["comment"]["id"] == held
    assert callback["actions"] == ["approve", "reject"]
    decided = client.post(callback["url"], json={"action": "approve"})
    assert decided.status_code == 200, decided.text
    assert decided.json() == {"id": held, "status": "visible"}
    assert held in [c["id"] for c in page(client)["comments"]]
    receiver.wait_for(lambda got: len(got) >= 2)
    assert receiver.events() == ["comment.queued", "comment.approved"]
    # The decision is made once; a second one hears what the comment is now.
    again = client.post(callback["url"], json={"action": "reject"})
    assert_error(again, 409, None)
    assert again.json()["error"]["code"] == "already_decided"


def test_a_callback_address_works_only_as_signed(make_client, database_url, receiver):
    client = make_client(**FAST, suspect_words=("propaganda",))
    add_webhook(database_url, receiver.url, events="comment.queued")
    held = posted(client, "Propaganda again.", nudge_acknowledged=True)["comment"]["id"]
    (queued,) = receiver.wait_for(lambda got: len(got) >= 1)
    url = queued.payload["data"]["callback"]["url"]
    other = url.replace(f"comment={held}", f"comment={held + 1}")
    assert_error(client.post(other, json={"action": "approve"}), 403, None)
    assert_error(client.post(url, json={"action": "publish"}), 400, "action")
    missing = url.split("&signature")[0]
    assert_error(client.post(missing, json={"action": "approve"}), 400, "signature")
    assert held not in [c["id"] for c in page(client)["comments"]]


def test_a_callback_address_expires_after_a_week(make_client, database_url, receiver, clock):
    client = make_client(**FAST, suspect_words=("propaganda",))
    add_webhook(database_url, receiver.url, events="comment.queued")
    posted(client, "Late propaganda.", nudge_acknowledged=True)
    (queued,) = receiver.wait_for(lambda got: len(got) >= 1)
    clock.advance(8 * 86400)
    refused = client.post(queued.payload["data"]["callback"]["url"], json={"action": "approve"})
    assert_error(refused, 403, None)
    assert refused.json()["error"]["code"] == "expired"


def test_a_callback_with_a_garbled_signature_or_an_impossible_id_is_refused(make_client, peek):
    client = make_client()
    garbled = "/api/moderation/callback?comment=1&endpoint=1&expires=99&signature=%F3%82%B1i"
    assert_error(client.post(garbled, json={"action": "approve"}), 403, None)
    huge = (
        "/api/moderation/callback?comment=5889465931462876332032&endpoint=1&expires=9&signature=x"
    )
    assert_error(client.post(huge, json={"action": "approve"}), 400, "comment")
    negative = "/api/moderation/callback?comment=1&endpoint=-3&expires=9&signature=x"
    assert_error(client.post(negative, json={"action": "approve"}), 400, "endpoint")
    assert peek.counts() == {table: 0 for table in peek.counts()}
