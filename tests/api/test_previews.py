"""Preview: a reader sees their markdown as it would be published, by the same rules as every
comment, and nothing is stored."""

from __future__ import annotations

from rejoinder.domain.comments import MAX_BODY_LENGTH
from rejoinder.service.previewing import PREVIEWS_PER_ADDRESS
from tests.support import assert_error


def preview(client, body, **headers):
    return client.post("/api/preview", json={"body": body}, headers=headers)


def test_a_preview_is_the_comment_as_it_would_be_published_and_stores_nothing(client, peek):
    before = peek.counts()
    response = preview(client, "Thanks for the *video*, ||Ivan dies||. <script>alert(1)</script>")
    assert response.status_code == 200
    html = response.json()["html"]
    assert "<em>video</em>" in html and '<span class="spoiler">Ivan dies</span>' in html
    assert "<script" not in html
    assert peek.counts() == before


def test_a_preview_refuses_what_a_post_would_refuse(client, peek):
    before = peek.counts()
    assert_error(preview(client, "   "), 400, "body")
    assert_error(preview(client, "x" * (MAX_BODY_LENGTH + 1)), 413, "body")
    assert_error(client.post("/api/preview", json={"body": "Hi", "extra": 1}), 400, "extra")
    assert_error(client.post("/api/preview", json={}), 400, "body")
    assert peek.counts() == before


def test_a_site_that_may_not_post_may_not_preview(client):
    response = preview(client, "Hello", Origin="https://elsewhere.example")
    assert response.status_code == 403


def test_previews_are_rate_limited_per_address(client):
    limit, _ = PREVIEWS_PER_ADDRESS
    for _ in range(limit):
        assert preview(client, "Again.").status_code == 200
    assert_error(preview(client, "Again."), 429, None)
