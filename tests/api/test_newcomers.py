"""New-commenter pre-moderation: in ``pre_newcomers``, a writer's first comments wait for a
moderator, and once enough of theirs are published, the rest appear at once (and are
moderated after). Trust is earned only by published comments, never by posting a lot."""

from __future__ import annotations

import pytest

from tests.support import add_moderator, moderate, page, post, posted, sign_in, sso_token

SECRET = "a-publisher-secret-of-at-least-32-bytes!"


@pytest.fixture
def desk(make_client, database_url):
    """A moderator's browser, with the site in ``pre_newcomers`` and two comments to earn."""
    moderator = make_client(newcomer_comments=2, sso_secret=SECRET, sso_audience="rejoinder")
    add_moderator(database_url)
    moderator.csrf = sign_in(moderator)
    answer = moderator.post(
        "/admin/settings", data={"csrf": moderator.csrf, "mode": "pre_newcomers"}
    )
    assert answer.status_code == 200, answer.text
    return moderator


@pytest.fixture
def reader(make_client):
    """A guest reader's browser on the same site: their reader token is in its cookies."""
    return make_client(newcomer_comments=2, sso_secret=SECRET, sso_audience="rejoinder")


def approve(desk, created) -> None:
    answer = moderate(desk, desk.csrf, created["comment"]["id"], "approve")
    assert answer.status_code == 303, answer.text


def test_a_newcomers_first_comments_wait_and_later_ones_appear_at_once(desk, reader, peek):
    first = posted(reader, "My first comment here.")
    assert first["status"] == "pending"
    reasons = peek.scalar("SELECT moderation FROM comments WHERE id = :i", i=first["comment"]["id"])
    assert "a new commenter's first comments are pre-moderated" in reasons
    approve(desk, first)
    second = posted(reader, "My second comment.")
    assert second["status"] == "pending"
    approve(desk, second)
    assert posted(reader, "Now I am a regular.")["status"] == "visible"
    assert page(reader)["thread"]["comment_count"] == 3


def test_waiting_or_refused_comments_never_earn_trust(desk, reader):
    for n in range(3):
        created = posted(reader, f"Buy cheap watches, offer number {n}.")
        assert created["status"] == "pending"
        moderate(desk, desk.csrf, created["comment"]["id"], "reject")
    assert posted(reader, "And one more.")["status"] == "pending"


def test_another_reader_is_a_newcomer_whatever_the_first_one_earned(desk, reader, make_client):
    for n in range(2):
        approve(desk, posted(reader, f"Comment {n} from a regular."))
    assert posted(reader, "Straight on the page.")["status"] == "visible"
    stranger = make_client(newcomer_comments=2)
    assert posted(stranger, "I am new here.")["status"] == "pending"


def test_trust_holds_across_threads_and_the_mode_is_per_thread(make_client, database_url):
    desk = make_client(newcomer_comments=1)
    add_moderator(database_url)
    csrf = sign_in(desk)
    reader = make_client(newcomer_comments=1)
    posted(reader, "Opening the calm thread.", thread="calm")
    assert posted(reader, "Opening the heated one.", thread="heated")["status"] == "visible"
    desk.post("/admin/settings", data={"csrf": csrf, "thread": "heated", "mode": "pre_newcomers"})
    assert (
        posted(reader, "A regular, on the heated thread.", thread="heated")["status"] == "visible"
    )
    newcomer = make_client(newcomer_comments=1)
    assert posted(newcomer, "Hello heated.", thread="heated")["status"] == "pending"
    assert posted(newcomer, "Hello calm.", thread="calm")["status"] == "visible"
    # Their comment on the calm thread is published: one is what this site asks.
    assert posted(newcomer, "Hello again, heated.", thread="heated")["status"] == "visible"


def test_a_newcomers_approved_comment_edited_waits_again(desk, reader, peek):
    first = posted(reader, "An innocent first comment.")
    approve(desk, first)
    edited = reader.patch(
        f"/api/comments/{first['comment']['id']}",
        json={"body": "Now with a link to my shop."},
        headers={"X-Edit-Token": first["edit_token"]},
    )
    assert edited.status_code == 200, edited.text
    status = peek.scalar("SELECT status FROM comments WHERE id = :i", i=first["comment"]["id"])
    assert status == "pending"


def test_a_signed_in_reader_earns_trust_on_every_device(desk, reader, make_client):
    token = sso_token(SECRET, "subscriber-9", "Marta Subscriber", "marta@news.example")
    signed_in = {"Authorization": f"Bearer {token}"}
    for n in range(2):
        answer = post(reader, f"Subscriber comment {n}.", headers=signed_in, author_name=None)
        assert answer.json()["status"] == "pending"
        approve(desk, answer.json())
    phone = make_client(newcomer_comments=2, sso_secret=SECRET, sso_audience="rejoinder")
    answer = post(phone, "From my phone.", headers=signed_in, author_name=None)
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "visible"


def test_the_settings_page_offers_the_mode_in_words(desk):
    html = desk.get("/admin/settings").text
    assert '<option value="pre_newcomers" selected>' in html
    assert "A new commenter&#39;s first comments wait for a moderator" in html
