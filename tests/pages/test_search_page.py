"""The search page: ranked, highlighted results, and a kind word for queries it cannot run."""

from __future__ import annotations

import pytest

from tests.pages.test_site import store_article


@pytest.fixture
def story(database_url, tmp_path) -> str:
    store_article(database_url, tmp_path, headline="Surge in Russian deserters")
    return "deserters"


def test_results_link_to_the_story_with_the_words_highlighted(client, story):
    response = client.get("/search", params={"q": "deserters"})
    assert response.status_code == 200
    assert '<a href="/articles/deserters">Surge in Russian deserters</a>' in response.text
    assert "<mark>" in response.text
    assert "1 story matches" in response.text


def test_words_in_the_transcript_are_found(client, story):
    assert "/articles/deserters" in client.get("/search", params={"q": "families"}).text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Type a word or two"),
        ("   ", "Type a word or two"),
        ("?!… ***", "has no words to look for"),
        ("deserters " * 300, "That search is too long"),
        ("zebra", "No stories match"),
    ],
)
def test_queries_that_find_nothing_get_a_friendly_page(client, story, query, message):
    response = client.get("/search", params={"q": query})
    assert response.status_code == 200
    assert message in response.text


def test_a_query_is_shown_escaped(client, story):
    response = client.get("/search", params={"q": "<script>alert(1)</script> deserters"})
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;" in response.text


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999999999999999999", "2"])
def test_odd_page_numbers_never_fail(client, story, page):
    response = client.get("/search", params={"q": "deserters", "page": page})
    assert response.status_code == 200


def test_many_results_are_paged(client, database_url, tmp_path):
    for n in range(12):
        store_article(database_url, tmp_path, f"story-{n}", f"Ceasefire story {n}")
    first = client.get("/search", params={"q": "ceasefire"}).text
    assert "12 stories match" in first and 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/search", params={"q": "ceasefire", "page": "2"}).text
    assert first.count('class="result"') == 10 and second.count('class="result"') == 2
    assert 'rel="prev"' in second and 'rel="next"' not in second
