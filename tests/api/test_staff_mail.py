"""Moderators who ask on /admin/me get a digest of the queue by e-mail, hourly or daily:
comments newly held or reported since their last one, sent only when there is something,
once however many server processes run, in their admin language, stopped with one click.
Each test runs on SQLite and on PostgreSQL against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from rejoinder.service import staff_mail
from rejoinder.store.database import Database
from tests.api.test_articles_api import AUTH, TOKEN, story
from tests.api.test_mail import FAST, html_of, text_of, wait_for
from tests.pages.test_languages import UKRAINIAN
from tests.support import add_moderator, posted, report_from, sign_in

ANA = "ana@news.example"
HOUR = 3600


@pytest.fixture
def site(make_client, smtp):
    return make_client(**FAST, smtp_url=smtp.url, suspect_words=("propaganda",))


def opt_in(client, database_url, every: str = "hour", headers: dict | None = None) -> str:
    add_moderator(database_url)
    csrf = sign_in(client)
    saved = client.post(
        "/admin/me",
        data={"csrf": csrf, "queue_every": every, "email": ANA},
        headers=headers or {},
    )
    assert saved.status_code == 200 and "/admin/me" in str(saved.url)
    return csrf


def held(client, body: str = "Pure propaganda, <script>alert(1)</script> **loud**.") -> int:
    comment = posted(client, body, author_name="Mallory", nudge_acknowledged=True)
    assert comment["status"] == "pending"
    return comment["comment"]["id"]


def digests(peek) -> list[str]:
    return [
        state
        for (state,) in peek.rows("SELECT state FROM outbox WHERE kind = 'staff-mail' ORDER BY id")
    ]


def due_at(peek) -> datetime:
    value = peek.scalar("SELECT queue_due_at FROM staff_mail")
    if isinstance(value, str):  # SQLite
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_an_hourly_digest_lists_what_was_held_and_comes_once_at_its_time(
    site, smtp, clock, peek, database_url
):
    opt_in(site, database_url)
    first_due = due_at(peek)
    comment_id = held(site)
    assert digests(peek) == []  # not before its hour
    clock.advance(HOUR + 1)
    (digest,) = smtp.wait_for(lambda got: len(got) == 1)
    assert digest["To"] == ANA
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert digest["List-Unsubscribe"].startswith("<https://comments.example/mail/staff/")
    text, html = text_of(digest), html_of(digest)
    assert "Mallory" in text and "waiting for a moderator" in text
    assert f"https://comments.example/admin/comments/{comment_id}" in text
    assert "propaganda" in text.lower()  # the reason it is held, and the excerpt
    assert "<script>" not in html and "<img" not in html
    wait_for(lambda: due_at(peek) > first_due)
    # Recorded as sent in the round after the SMTP server took it: wait for that.
    wait_for(lambda: digests(peek) == ["sent"])
    # Rounds later the same hour find it queued already, and nothing new since.
    assert rounds_at(site, database_url, clock(), 2) == 0
    assert digests(peek) == ["sent"]


def test_nothing_is_sent_when_nothing_is_new(site, smtp, clock, peek, database_url):
    opt_in(site, database_url)
    first_due = due_at(peek)
    posted(site, "A calm comment that needs nobody.")
    clock.advance(HOUR + 1)
    wait_for(lambda: due_at(peek) > first_due)
    assert digests(peek) == [] and smtp.messages == []


def test_a_newly_reported_comment_is_in_the_next_digest(site, smtp, clock, peek, database_url):
    opt_in(site, database_url, every="day")
    visible = posted(site, "Something a reader minds.")["comment"]["id"]
    report_from(site, visible, "203.0.113.7", reason="spam")
    clock.advance(24 * HOUR + 1)
    (digest,) = smtp.wait_for(lambda got: len(got) == 1)
    assert "reported" in text_of(digest) and "spam" in text_of(digest)
    assert f"/admin/comments/{visible}" in text_of(digest)


def test_without_public_url_the_links_lead_where_the_moderator_chose_the_digest(
    make_client, smtp, clock, database_url
):
    """Never to http://localhost: the origin of the /admin/me request is kept with the
    choice, as a reader's address keeps the origin they subscribed on."""
    settings = {**FAST, "public_url": None}
    site = make_client(**settings, smtp_url=smtp.url, suspect_words=("propaganda",))
    opt_in(site, database_url, headers={"Host": "desk.news.example"})
    comment_id = held(site)
    clock.advance(HOUR + 1)
    (digest,) = smtp.wait_for(lambda got: len(got) == 1)
    assert f"http://desk.news.example/admin/comments/{comment_id}" in text_of(digest)
    assert digest["List-Unsubscribe"].startswith("<http://desk.news.example/mail/staff/")
    assert "localhost" not in text_of(digest)


def rounds_at(client, database_url: str, now: datetime, processes: int) -> int:
    """Digests queued by ``processes`` other processes' rounds at once, each with its own
    connection pool: at most one of them, or the server's own worker, queues each digest."""
    settings = client.app.state.services.settings

    async def race() -> int:
        pools = [Database(database_url) for _ in range(processes)]
        try:
            found = await asyncio.gather(
                *(
                    staff_mail.queue_due(SimpleNamespace(db=db, settings=settings), now)
                    for db in pools
                )  # type: ignore[arg-type]
            )
        finally:
            for db in pools:
                await db.dispose()
        return sum(found)

    return asyncio.run(race())


def test_processes_racing_at_the_due_time_queue_it_once(site, smtp, clock, peek, database_url):
    opt_in(site, database_url)
    held(site)
    clock.advance(HOUR + 1)
    assert rounds_at(site, database_url, clock(), 3) <= 1
    smtp.wait_for(lambda got: len(got) == 1)
    wait_for(lambda: digests(peek) == ["sent"])  # recorded in the round after the sending
    assert len(smtp.messages) == 1


def test_two_server_processes_send_the_digest_once(make_client, smtp, clock, peek, database_url):
    first = make_client(**FAST, smtp_url=smtp.url, suspect_words=("propaganda",))
    make_client(**FAST, smtp_url=smtp.url, suspect_words=("propaganda",))
    opt_in(first, database_url)
    first_due = due_at(peek)
    held(first)
    clock.advance(HOUR + 1)
    smtp.wait_for(lambda got: len(got) == 1)
    wait_for(lambda: due_at(peek) > first_due and digests(peek) == ["sent"])
    assert len(smtp.messages) == 1


def test_the_digest_comes_in_the_language_chosen_with_it(site, smtp, clock, database_url):
    opt_in(site, database_url, headers=UKRAINIAN)
    held(site)
    clock.advance(HOUR + 1)
    (digest,) = smtp.wait_for(lambda got: len(got) == 1)
    assert digest["Content-Language"] == "uk"
    assert "waiting for a moderator" not in text_of(digest)


def test_one_click_unsubscribe_switches_the_digest_off(site, smtp, clock, peek, database_url):
    opt_in(site, database_url)
    held(site)
    clock.advance(HOUR + 1)
    (digest,) = smtp.wait_for(lambda got: len(got) == 1)
    wait_for(lambda: digests(peek) == ["sent"])
    header = str(digest["List-Unsubscribe"]).strip("<>").removeprefix("https://comments.example")
    assert site.get(header).status_code == 200  # the page alone changes nothing
    assert peek.scalar("SELECT queue_every FROM staff_mail") == "hour"
    answer = site.post(
        header,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert peek.scalar("SELECT queue_every FROM staff_mail") is None
    held(site, "More propaganda nobody is told of.")
    clock.advance(HOUR + 1)
    assert 'value="" checked' in site.get("/admin/me").text
    assert digests(peek) == ["sent"]


def test_a_digest_needs_an_address(site, database_url, peek):
    add_moderator(database_url)
    csrf = sign_in(site)
    refused = site.post("/admin/me", data={"csrf": csrf, "queue_every": "hour"})
    assert refused.status_code == 400
    assert 'id="email-error"' in refused.text
    assert peek.scalar("SELECT count(*) FROM staff_mail") == 0


# The comments on a writer's stories.


@pytest.fixture
def newsroom(make_client, smtp, database_url):
    client = make_client(
        **FAST, smtp_url=smtp.url, suspect_words=("propaganda",), admin_token=TOKEN
    )
    created = client.post("/api/articles", json=story(author="ana"), headers=AUTH)
    assert created.status_code == 201, created.text
    assert client.get("/api/articles/ceasefire-talks").json()["author"] == "ana"
    add_moderator(database_url)
    csrf = sign_in(client)
    saved = client.post("/admin/me", data={"csrf": csrf, "stories": "1", "email": ANA})
    assert saved.status_code == 200
    return client


def story_mail(peek) -> list[str]:
    return [
        state
        for (state,) in peek.rows(
            "SELECT state FROM outbox WHERE event = 'mail.stories' ORDER BY id"
        )
    ]


def test_the_writer_gets_the_published_comments_on_their_story_only(newsroom, smtp, clock, peek):
    posted(newsroom, "On another story.", thread="some-other-story")
    first = posted(newsroom, "Good **reporting**, <script>x</script>.", thread="ceasefire-talks")
    (mailed,) = smtp.wait_for(lambda got: len(got) == 1)
    assert mailed["To"] == ANA
    assert mailed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = text_of(mailed), html_of(mailed)
    assert "Good **reporting**" in text and "On another story" not in text
    assert f"#comment-{first['comment']['id']}" in text
    assert "<strong>reporting</strong>" in html and "<script>" not in html
    held_there = posted(
        newsroom, "Pure propaganda.", thread="ceasefire-talks", nudge_acknowledged=True
    )
    assert held_there["status"] == "pending"
    posted(newsroom, "A second thought.", thread="ceasefire-talks")
    posted(newsroom, "A third thought.", thread="ceasefire-talks")
    wait_for(lambda: story_mail(peek) == ["sent", "pending"])  # waits for its window
    clock.advance(15 * 60 + 1)
    got = smtp.wait_for(lambda got: len(got) == 2)
    digest = text_of(got[1])
    assert "A second thought." in digest and "A third thought." in digest
    assert "propaganda" not in digest


def test_one_click_unsubscribe_stops_the_story_mail(newsroom, smtp, peek):
    posted(newsroom, "First.", thread="ceasefire-talks")
    (mailed,) = smtp.wait_for(lambda got: len(got) == 1)
    address = str(mailed["List-Unsubscribe"]).strip("<>")
    address = address.removeprefix("https://comments.example")
    answer = newsroom.post(
        address,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert peek.scalar("SELECT stories FROM staff_mail") in (False, 0)
    posted(newsroom, "Nobody is told of this.", thread="ceasefire-talks")
    assert story_mail(peek) == ["sent"]
