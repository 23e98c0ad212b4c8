"""The newsroom's articles: published and replaced through the API (the CLI's ``rejoinder
article`` does the same on its own), and read by the site's pages and the API.

A stored article is found by its slug, which never changes: replacing an article keeps its
address and its discussion.
"""

from __future__ import annotations

from rejoinder.domain.articles import ArticleDraft
from rejoinder.service.services import Services
from rejoinder.store import articles as article_store
from rejoinder.store.articles import Article as Article  # what web/ renders


async def find(app: Services, slug: str) -> Article | None:
    async with app.db.read() as connection:
        return await article_store.find_article(connection, slug)


async def latest(app: Services, limit: int) -> list[Article]:
    """The ``limit`` latest articles, newest first."""
    async with app.db.read() as connection:
        return await article_store.latest_articles(connection, limit)


async def add(app: Services, draft: ArticleDraft) -> Article:
    """Publish a new article; refuses a slug that is taken (409)."""
    async with app.db.write() as connection:
        return await article_store.add_article(connection, draft, app.clock())


async def replace(app: Services, draft: ArticleDraft) -> Article:
    """Overwrite the article with the draft's slug; refuses a slug nobody has (404)."""
    async with app.db.write() as connection:
        return await article_store.replace_article(connection, draft, app.clock())
