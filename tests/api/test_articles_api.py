"""The articles API: anyone reads, only the newsroom's token writes, bad input changes nothing."""

from __future__ import annotations

import pytest

from tests.support import assert_error

TOKEN = "newsroom-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello from the video.\n"


def story(**changes) -> dict:
    fields = {
        "slug": "ceasefire-talks",
        "headline": "Ceasefire talks resume",
        "standfirst": "Delegations meet again.",
        "byline": "Anya Korzun",
        "published_at": "2024-01-10T08:00:00Z",
        "tags": ["Diplomacy"],
        "body": "Talks *resumed* today.",
        "video": "https://video.example/talks.mp4",
        "captions": VTT,
        "captions_format": "vtt",
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


@pytest.fixture
def newsroom(make_client):
    return make_client(admin_token=TOKEN)


def test_a_newsroom_publishes_an_article_and_readers_can_fetch_it(newsroom):
    created = newsroom.post("/api/articles", json=story(), headers=AUTH)
    assert created.status_code == 201, created.text
    article = newsroom.get("/api/articles/ceasefire-talks").json()
    assert article["body_html"] == "<p>Talks <em>resumed</em> today.</p>"
    assert article["video"] == "https://video.example/talks.mp4"
    assert article["captions_format"] == "vtt"
    assert newsroom.get("/articles/ceasefire-talks").status_code == 200


def test_articles_are_listed_newest_first(newsroom):
    newsroom.post("/api/articles", json=story(slug="old", published_at="2020-01-01T00:00:00Z"),
                  headers=AUTH)  # fmt: skip
    newsroom.post("/api/articles", json=story(slug="new"), headers=AUTH)
    listed = newsroom.get("/api/articles").json()["articles"]
    assert [a["slug"] for a in listed] == ["new", "old"]
    assert listed[0]["url"] == "/articles/new" and listed[0]["has_video"] is True


def test_editing_replaces_the_article_and_rerenders_its_body(newsroom):
    newsroom.post("/api/articles", json=story(), headers=AUTH)
    edited = newsroom.put(
        "/api/articles/ceasefire-talks",
        json=story(slug=None, headline="Talks collapse", body="**Over**."),
        headers=AUTH,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["headline"] == "Talks collapse"
    assert edited.json()["body_html"] == "<p><strong>Over</strong>.</p>"
    assert "Talks collapse" in newsroom.get("/search", params={"q": "collapse"}).text


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}]
)
def test_writes_without_the_token_are_refused_and_change_nothing(newsroom, peek, headers):
    before = peek.counts()
    assert_error(newsroom.post("/api/articles", json=story(), headers=headers), 401,
                 "Authorization")  # fmt: skip
    assert peek.counts() == before


def test_with_no_token_configured_the_api_is_read_only(client, peek):
    before = peek.counts()
    error = assert_error(client.post("/api/articles", json=story(), headers=AUTH), 403, None)
    assert error["code"] == "api_disabled"
    assert peek.counts() == before


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"slug": "Not A Slug"}, 400, "slug"),
        ({"headline": ""}, 400, "headline"),
        ({"headline": "x" * 301}, 400, "headline"),
        ({"published_at": "2024-01-10T08:00:00"}, 400, "published_at"),
        ({"video": "javascript:alert(1)"}, 400, "video"),
        ({"captions": "not captions at all"}, 400, "captions"),
        ({"captions_format": None}, 400, "captions_format"),
        ({"tags": "Diplomacy"}, 400, "tags"),
        ({"surprise": True}, 400, "surprise"),
        ({"body": "x" * 100_001}, 413, "body"),
    ],
)
def test_bad_articles_are_refused_naming_the_field(newsroom, peek, changes, status, field):
    before = peek.counts()
    assert_error(newsroom.post("/api/articles", json=story(**changes), headers=AUTH), status,
                 field)  # fmt: skip
    assert peek.counts() == before


def test_a_slug_is_published_once(newsroom):
    newsroom.post("/api/articles", json=story(), headers=AUTH)
    again = newsroom.post("/api/articles", json=story(), headers=AUTH)
    assert assert_error(again, 409, "slug")["code"] == "slug_taken"


def test_unknown_articles_are_404(newsroom):
    assert_error(newsroom.get("/api/articles/nothing-here"), 404, None)
    assert_error(newsroom.put("/api/articles/nothing-here", json=story(slug=None), headers=AUTH),
                 404, "slug")  # fmt: skip


def test_the_openapi_document_describes_the_articles_api(client):
    paths = client.get("/api/docs/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/articles"])
    assert {"get", "put"} <= set(paths["/api/articles/{slug}"])
