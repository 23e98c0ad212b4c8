"""Auto-close: a discussion closes the site's number of days after its article was published,
or after its first comment when it has no article."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.support import THREAD, add_moderator, assert_error, page, post, posted, sign_in

TOKEN = "newsroom-token-123"
DAY = 86400


@pytest.fixture
def newsroom(make_client, database_url):
    client = make_client(admin_token=TOKEN)
    add_moderator(database_url)
    csrf = sign_in(client)
    saved = client.post(
        "/admin/settings",
        data={"csrf": csrf, "mode": "post", "auto_close_days": "3"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    return client


def publish(client, published_at: datetime, method: str = "POST") -> None:
    story = {
        "headline": "Ceasefire talks resume",
        "standfirst": "Delegations meet again.",
        "byline": "Anya Korzun",
        "published_at": published_at.isoformat().replace("+00:00", "Z"),
        "body": "Talks resumed today.",
    }
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if method == "POST":
        response = client.post("/api/articles", json={"slug": THREAD, **story}, headers=headers)
    else:
        response = client.put(f"/api/articles/{THREAD}", json=story, headers=headers)
    assert response.status_code in (200, 201), response.text


def test_an_articles_discussion_closes_days_after_the_article_not_its_first_comment(
    newsroom, clock
):
    publish(newsroom, clock() - timedelta(days=2))
    posted(newsroom)  # the thread's first comment, two days after the article
    assert page(newsroom)["thread"]["closed"] is False
    clock.advance(DAY + 1)  # three days after the article, one after the first comment
    assert page(newsroom)["thread"]["closed"] is True
    assert assert_error(post(newsroom), 403, "thread")["code"] == "thread_closed"


def test_a_discussion_without_an_article_closes_days_after_its_first_comment(newsroom, clock):
    publish(newsroom, clock() - timedelta(days=30))  # another thread's article
    posted(newsroom, thread="no-article")
    clock.advance(3 * DAY - 1)
    assert page(newsroom, "no-article")["thread"]["closed"] is False
    clock.advance(2)
    assert page(newsroom, "no-article")["thread"]["closed"] is True


def test_publishing_or_redating_the_article_moves_its_discussions_closing(newsroom, clock):
    posted(newsroom)
    newsroom.cookies.clear()  # from here on an anonymous reader, served the shared page
    assert page(newsroom)["thread"]["closed"] is False
    publish(newsroom, clock() - timedelta(days=5))
    assert page(newsroom)["thread"]["closed"] is True
    publish(newsroom, clock(), method="PUT")
    assert page(newsroom)["thread"]["closed"] is False
    publish(newsroom, clock() - timedelta(days=4), method="PUT")
    assert page(newsroom)["thread"]["closed"] is True
    assert assert_error(post(newsroom), 403, "thread")["code"] == "thread_closed"
