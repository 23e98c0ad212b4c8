"""Readers who ask are mailed replies to their comments, through the outbox, after they
confirm their address: one confirmation and nothing else until then, replies gathered into
one mail a window, one click to stop, retried when the SMTP server fails for a while. Each
test runs on SQLite and on PostgreSQL against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import re
import time
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest

from rejoinder.config import Settings
from rejoinder.service import mail
from rejoinder.service.mail import DIGEST_SHOWN
from rejoinder.service.outbox import DeliveryFailed
from tests.support import add_moderator, assert_error, moderate, page, post, posted, sign_in

READER = "reader@example.org"
FAST = {"outbox_retry": 1, "outbox_timeout": 2, "public_url": "https://comments.example"}


@pytest.fixture
def mailing(make_client, smtp):
    return make_client(**FAST, smtp_url=smtp.url)


def wait_for(done, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return part.get_content()


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(("html",))
    assert part is not None
    return part.get_content()


def link(mail: EmailMessage, path: str) -> str:
    """The path and query of the link to ``path`` in the mail's text part."""
    found = re.search(rf"https://comments\.example({re.escape(path)}\?token=\S+)", text_of(mail))
    assert found, text_of(mail)
    return found.group(1)


def unsubscribe_url(mail: EmailMessage) -> str:
    header = str(mail["List-Unsubscribe"])
    assert header.startswith("<https://comments.example/mail/unsubscribe?token=")
    parts = urlsplit(header.strip("<>"))
    return f"{parts.path}?{parts.query}"


def follow(client, body: str = "Tell me when someone answers.", **fields) -> dict:
    return posted(client, body, author_email=READER, notify_replies=True, language="uk", **fields)


def confirmed_follower(client, smtp) -> int:
    """A reader who asked and followed the confirmation link; their comment's id."""
    first = follow(client)
    assert first["mail"] == "confirmation_sent"
    (confirmation,) = smtp.wait_for(lambda got: len(got) == 1)
    assert client.get(link(confirmation, "/mail/confirm")).status_code == 200
    return first["comment"]["id"]


def queued_mail(peek) -> list[str]:
    """The state of each mail in the outbox, oldest first: a mail that was never queued can
    never be sent, so this is what a test of "nothing more is mailed" checks."""
    return [
        state for (state,) in peek.rows("SELECT state FROM outbox WHERE kind = 'mail' ORDER BY id")
    ]


def test_a_confirmed_reader_is_mailed_a_reply_with_both_parts_and_unsubscribe_headers(
    mailing, smtp
):
    first = follow(mailing)
    assert first["mail"] == "confirmation_sent"
    (confirmation,) = smtp.wait_for(lambda got: len(got) == 1)
    assert confirmation["To"] == READER
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert confirmation["Content-Language"] == "uk"
    confirmed = mailing.get(link(confirmation, "/mail/confirm"))
    assert confirmed.status_code == 200
    parent = first["comment"]["id"]
    posted(mailing, "An answer, with <script>alert(1)</script> **bold**.", parent_id=parent)
    _, notice = smtp.wait_for(lambda got: len(got) == 2)
    assert (
        notice["Message-ID"].startswith("<msg_")
        and notice["Message-ID"] != confirmation["Message-ID"]
    )
    assert notice["List-Unsubscribe"].startswith("<https://comments.example/mail/unsubscribe?")
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = html_of(notice)
    assert "<strong>bold</strong>" in html and "<script>" not in html
    assert "<img" not in html
    assert "An answer" in text_of(notice)
    assert "/mail/unsubscribe?token=" in text_of(notice)


def test_replies_within_the_window_come_in_one_digest(mailing, smtp, clock, peek):
    parent = confirmed_follower(mailing, smtp)
    posted(mailing, "First answer.", parent_id=parent)
    smtp.wait_for(lambda got: len(got) == 2)
    posted(mailing, "Second answer.", parent_id=parent)
    posted(mailing, "Third answer.", parent_id=parent)
    # One digest for both, waiting for the window since the last mail to close.
    wait_for(lambda: queued_mail(peek) == ["sent", "sent", "pending"])
    assert len(smtp.messages) == 2
    clock.advance(15 * 60 + 1)
    got = smtp.wait_for(lambda got: len(got) == 3)
    digest = text_of(got[2])
    assert "Second answer." in digest and "Third answer." in digest


def test_a_digest_shows_its_first_replies_and_counts_the_rest(mailing, smtp, clock, peek):
    parent = confirmed_follower(mailing, smtp)
    posted(mailing, "First answer.", parent_id=parent)
    smtp.wait_for(lambda got: len(got) == 2)
    for n in range(DIGEST_SHOWN + 3):
        posted(mailing, f"Answer number {n}.", parent_id=parent)
    wait_for(lambda: queued_mail(peek) == ["sent", "sent", "pending"])
    clock.advance(15 * 60 + 1)
    digest = smtp.wait_for(lambda got: len(got) == 3)[2]
    text = text_of(digest)
    assert f"Answer number {DIGEST_SHOWN - 1}." in text
    assert f"Answer number {DIGEST_SHOWN}." not in text
    assert "Ще 3 відповіді — в обговоренні." in text  # in the reader's language
    assert "Ще 3 відповіді" in html_of(digest)
    assert str(DIGEST_SHOWN + 3) in digest["Subject"]


def test_one_click_unsubscribe_stops_the_mail(mailing, smtp, clock, peek):
    parent = confirmed_follower(mailing, smtp)
    posted(mailing, "First answer.", parent_id=parent)
    _, notice = smtp.wait_for(lambda got: len(got) == 2)
    url = unsubscribe_url(notice)
    assert "Stop" in mailing.get(url).text or mailing.get(url).status_code == 200
    assert len(smtp.messages) == 2  # the page alone (a link scanner) changed nothing
    answer = mailing.post(
        url,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    clock.advance(16 * 60)
    posted(mailing, "Nobody will hear of this one.", parent_id=parent)
    assert len(queued_mail(peek)) == 2


def test_an_unconfirmed_address_gets_only_the_one_confirmation(mailing, smtp, peek):
    first = follow(mailing)
    again = follow(mailing, "Asking twice.")
    assert again["mail"] == "confirmation_waiting"
    posted(mailing, "A reply they will not hear of.", parent_id=first["comment"]["id"])
    smtp.wait_for(lambda got: len(got) == 1)
    assert len(queued_mail(peek)) == 1


def test_own_replies_and_held_replies_are_not_mailed(make_client, smtp, peek):
    client = make_client(**FAST, smtp_url=smtp.url, suspect_words=("propaganda",))
    parent = confirmed_follower(client, smtp)
    posted(client, "Replying to myself.", parent_id=parent, author_email=READER)
    held = posted(client, "Pure propaganda.", parent_id=parent, nudge_acknowledged=True)
    assert held["status"] == "pending"
    assert len(queued_mail(peek)) == 1


def test_a_held_reply_is_mailed_once_a_moderator_approves_it(make_client, smtp, database_url):
    client = make_client(**FAST, smtp_url=smtp.url, suspect_words=("propaganda",))
    parent = confirmed_follower(client, smtp)
    held = posted(client, "Propaganda, approved.", parent_id=parent, nudge_acknowledged=True)
    add_moderator(database_url)
    csrf = sign_in(client)
    assert moderate(client, csrf, held["comment"]["id"], "approve").status_code == 303
    _, notice = smtp.wait_for(lambda got: len(got) == 2)
    assert "Propaganda, approved." in text_of(notice)


@pytest.mark.parametrize("failure", ["451 4.3.0 try later", "drop"])
def test_a_server_that_fails_for_a_while_gets_the_mail_later(mailing, smtp, peek, failure):
    smtp.answers = [failure]
    follow(mailing)
    (confirmation,) = smtp.wait_for(lambda got: len(got) == 1)
    assert smtp.attempts == 2
    sql = "SELECT state, attempts, message_id FROM outbox WHERE kind = 'mail'"
    wait_for(lambda: [row[:2] for row in peek.rows(sql)] == [("sent", 2)])
    ((_, _, message_id),) = peek.rows(sql)
    assert confirmation["Message-ID"] == f"<{message_id}@comments.example>"  # nothing lost


def test_a_process_without_smtp_leaves_the_mail_for_one_that_has_it(
    mailing, make_client, smtp, peek
):
    """One outbox serves every process: one started without ``smtp_url`` may claim a mail,
    and that attempt fails in words (no traceback) to be tried again, not lost."""
    without = make_client(**FAST)
    assert without.get("/healthz").status_code == 200
    follow(mailing)
    smtp.wait_for(lambda got: len(got) == 1, timeout=30)
    sql = "SELECT state, last_error FROM outbox WHERE kind = 'mail'"
    wait_for(lambda: [row[0] for row in peek.rows(sql)] == ["sent"])


def test_sending_without_smtp_is_a_failed_attempt_not_a_crash():
    with pytest.raises(DeliveryFailed, match="no smtp_url") as failed:
        asyncio.run(mail.send(Settings(), EmailMessage()))
    assert not failed.value.final


def test_a_refused_recipient_is_kept_as_failed_for_the_admin(mailing, smtp, peek, database_url):
    smtp.answers = ["550 5.1.1 no such mailbox"]
    follow(mailing)
    wait_for(lambda: queued_mail(peek) == ["failed"])
    assert peek.rows("SELECT state, attempts FROM outbox WHERE kind = 'mail'") == [("failed", 1)]
    add_moderator(database_url, role="admin")
    sign_in(mailing)
    admin = mailing.get("/admin/webhooks")
    assert admin.status_code == 200
    assert "550 5.1.1 no such mailbox" in admin.text


def test_without_smtp_notifications_are_refused_and_not_offered(client, peek):
    refused = post(client, "Mail me.", author_email=READER, notify_replies=True)
    assert assert_error(refused, 400, "notify_replies")["code"] == "mail_off"
    assert page(client)["mail"] is False
    assert peek.scalar("SELECT count(*) FROM outbox") == 0


def test_the_thread_page_says_mail_is_on(mailing):
    assert page(mailing)["mail"] is True


def test_notifications_need_an_address(mailing):
    refused = post(mailing, "Mail me.", notify_replies=True)
    assert assert_error(refused, 400, "author_email")["code"] == "email_required"


def test_a_forged_or_expired_link_is_refused(mailing, smtp, clock):
    follow(mailing)
    (confirmation,) = smtp.wait_for(lambda got: len(got) == 1)
    url = link(confirmation, "/mail/confirm")
    assert mailing.get(url[:-2] + "xx").status_code == 403
    clock.advance(8 * 86400)
    assert mailing.get(url).status_code == 403


def test_a_reader_downloading_their_data_gets_the_address_and_what_it_follows(
    mailing, smtp, make_client
):
    comment_id = confirmed_follower(mailing, smtp)
    (address,) = mailing.get("/api/me/data").json()["mail"]
    assert address["address"] == READER and address["language"] == "uk"
    assert address["confirmed_at"] and address["unsubscribed_at"] is None
    assert address["follows_replies_to"] == [comment_id]
    stranger = make_client(**FAST, smtp_url=smtp.url)  # another browser: nothing of theirs
    assert stranger.get("/api/me/data").json()["mail"] == []


def test_a_reader_who_erases_their_data_leaves_no_address_behind(mailing, smtp, peek):
    confirmed_follower(mailing, smtp)
    assert mailing.delete("/api/me").status_code == 200
    assert peek.scalar("SELECT count(*) FROM mail_addresses") == 0
    assert peek.scalar("SELECT count(*) FROM reply_subscriptions") == 0


def test_an_address_still_unconfirmed_a_day_later_may_be_asked_once_more(mailing, smtp, clock):
    follow(mailing)
    smtp.wait_for(lambda got: len(got) == 1)
    clock.advance(86400 + 1)
    assert follow(mailing, "Did my mail get lost?")["mail"] == "confirmation_sent"
    first, second = smtp.wait_for(lambda got: len(got) == 2)
    assert first["Message-ID"] != second["Message-ID"]
    assert mailing.get(link(second, "/mail/confirm")).status_code == 200
    assert follow(mailing, "And now?")["mail"] == "following"
