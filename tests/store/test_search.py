"""Site search finds stories by their words, the same on SQLite FTS5 and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rejoinder.domain.articles import ArticleDraft
from rejoinder.domain.markup import render
from rejoinder.domain.search import parse_query
from rejoinder.store.articles import add_article, replace_article
from rejoinder.store.database import Database
from rejoinder.store.search import search_articles
from tests.conftest import run

NOW = datetime(2026, 11, 25, tzinfo=UTC)
CAPTIONS = "WEBVTT\n\n00:00:00.000 --> 00:00:03.000\nThe volunteers counted every absconder.\n"


def draft(slug: str, headline: str, body: str = "Plain body.", **extra) -> ArticleDraft:
    return ArticleDraft(
        slug=slug,
        headline=headline,
        standfirst=extra.pop("standfirst", "A standfirst."),
        byline="Anya Korzun",
        published_at=extra.pop("published_at", NOW),
        tags=[],
        body_markdown=body,
        body_html=render(body),
        **extra,
    )


def store(database_url: str, *drafts: ArticleDraft, replace: bool = False) -> None:
    async def go() -> None:
        database = Database(database_url)
        try:
            async with database.write() as connection:
                for item in drafts:
                    await (replace_article if replace else add_article)(connection, item, NOW)
        finally:
            await database.dispose()

    run(go())


def search(database_url: str, query: str, page: int = 1, per_page: int = 10):
    async def go():
        database = Database(database_url)
        try:
            async with database.read() as connection:
                return await search_articles(
                    connection, parse_query(query).words, page=page, per_page=per_page
                )
        finally:
            await database.dispose()

    return run(go())


def slugs(results) -> list[str]:
    return [hit.slug for hit in results.hits]


@pytest.fixture
def stories(database_url: str) -> str:
    store(
        database_url,
        draft("deserters", "Surge in Russian Deserters", "The Kremlin tries to crack down."),
        draft("body-only", "Weekly digest", "Also this week: more deserters were reported."),
        draft("video", "The explainer", "Watch it.", captions=CAPTIONS, captions_format="vtt"),
        draft("kyiv", "Новини з Києва", "Волонтери зібрали допомогу для бійців."),
    )
    return database_url


def test_finds_a_story_by_a_headline_word(stories):
    assert "deserters" in slugs(search(stories, "deserters"))


def test_finds_other_forms_of_a_word(stories):
    assert "deserters" in slugs(search(stories, "deserter"))
    assert "deserters" in slugs(search(stories, "cracking"))


def test_finds_a_word_only_said_in_the_video(stories):
    assert slugs(search(stories, "absconder")) == ["video"]


def test_finds_ukrainian_words(stories):
    assert slugs(search(stories, "волонтери")) == ["kyiv"]


def test_the_last_word_may_be_unfinished(stories):
    assert "deserters" in slugs(search(stories, "kreml"))


def test_every_word_must_match(stories):
    assert slugs(search(stories, "kremlin deserters")) == ["deserters"]
    assert slugs(search(stories, "kremlin volunteers")) == []


def test_a_headline_match_ranks_above_a_body_match(stories):
    assert slugs(search(stories, "deserters")) == ["deserters", "body-only"]


def test_snippets_mark_the_matching_words(stories):
    hit = search(stories, "absconder").hits[0]
    assert "\x02absconder\x03" in hit.snippet
    assert "<" not in hit.snippet


def test_results_come_in_pages(database_url):
    store(
        database_url,
        *(
            draft(f"story-{n}", f"Ceasefire story {n}", published_at=NOW - timedelta(days=n))
            for n in range(25)
        ),
    )
    pages = [search(database_url, "ceasefire", page=n) for n in (1, 2, 3, 4)]
    assert [len(page.hits) for page in pages] == [10, 10, 5, 0]
    assert {page.total for page in pages} == {25}
    seen = [slug for page in pages for slug in slugs(page)]
    assert len(set(seen)) == 25


@pytest.mark.parametrize(
    "hostile",
    ['"', "*", "AND OR NOT", "NEAR(", "'; DROP TABLE articles; --", ":*", "&|!", "a\"b", "(((",
     "deserters\" OR \"kyiv", "^", "-deserters", "headline:kremlin"],
)  # fmt: skip
def test_hostile_queries_are_only_words(stories, hostile):
    results = search(stories, hostile)
    assert results.total == len(results.hits)
    assert len(search(stories, "deserters").hits) == 2


def test_an_edited_story_is_found_by_its_new_words_only(stories):
    store(stories, draft("kyiv", "Ceasefire talks resume", "Nothing else."), replace=True)
    assert slugs(search(stories, "ceasefire")) == ["kyiv"]
    assert slugs(search(stories, "волонтери")) == []
