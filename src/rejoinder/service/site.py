"""What the reader's pages read: the front page, an article with its comment count, article
search, and the comment counts that front pages show beside their links.

Each page's reads share one snapshot, so an article and its count agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rejoinder.service.services import Services
from rejoinder.store.articles import Article, latest_articles
from rejoinder.store.search import SearchResults, search_articles
from rejoinder.store.threads import counts_for


@dataclass(frozen=True)
class FrontPage:
    articles: list[Article]
    counts: dict[str, int]  # visible comments, by article slug


async def front_page(app: Services) -> FrontPage:
    """The latest articles, newest first, with their comment counts."""
    async with app.db.read() as connection:
        articles = await latest_articles(connection)
        counts = await counts_for(connection, [article.slug for article in articles])
    return FrontPage(articles, counts)


async def search(app: Services, words: list[str], page: int, per_page: int) -> SearchResults:
    async with app.db.read() as connection:
        return await search_articles(connection, words, page=page, per_page=per_page)


async def comment_counts(app: Services, thread_keys: Sequence[str]) -> dict[str, int]:
    """Visible-comment counts of the threads; a thread nobody has commented on counts 0."""
    async with app.db.read() as connection:
        return await counts_for(connection, thread_keys)
