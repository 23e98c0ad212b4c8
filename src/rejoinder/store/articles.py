"""Articles: stored once per slug per site; a thread with the same key holds the discussion.

The discussion opens when its article is published (``store/threads.py``), so storing an
article marks its thread changed: readers' cached pages then show whether it has closed.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import insert, select, update

from rejoinder.domain.articles import ArticleDraft
from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.store.database import AnyRow, Connection
from rejoinder.store.schema import articles as a
from rejoinder.store.search import index_article
from rejoinder.store.threads import DEFAULT_SITE_ID, touch_key


class Article(ArticleDraft, kw_only=True):
    """A stored article."""

    id: int
    updated_at: datetime


_COLUMNS = (
    a.c.id,
    a.c.slug,
    a.c.headline,
    a.c.standfirst,
    a.c.byline,
    a.c.published_at,
    a.c.tags,
    a.c.body_markdown,
    a.c.body_html,
    a.c.video_src,
    a.c.video_poster,
    a.c.captions,
    a.c.captions_format,
    a.c.author,
    a.c.updated_at,
)


def _article(row: AnyRow) -> Article:
    values = dict(row._mapping)
    values["tags"] = msgspec.json.decode(values["tags"])
    return Article(**values)


def _values(draft: ArticleDraft) -> dict[str, object]:
    values = msgspec.structs.asdict(draft)
    values["tags"] = msgspec.json.encode(draft.tags).decode()
    return values


async def find_article(
    connection: Connection, slug: str, site_id: int = DEFAULT_SITE_ID
) -> Article | None:
    row = (
        await connection.execute(select(*_COLUMNS).where(a.c.site_id == site_id, a.c.slug == slug))
    ).first()
    return _article(row) if row else None


async def add_article(
    connection: Connection, draft: ArticleDraft, now: datetime, site_id: int = DEFAULT_SITE_ID
) -> Article:
    if await find_article(connection, draft.slug, site_id) is not None:
        raise RejoinderError(
            Problem.CONFLICT, "slug_taken", f"An article {draft.slug!r} exists already.", "slug"
        )
    await connection.execute(
        insert(a).values(site_id=site_id, created_at=now, updated_at=now, **_values(draft))
    )
    stored = await find_article(connection, draft.slug, site_id)
    assert stored is not None
    await index_article(connection, stored.id, draft)
    await touch_key(connection, draft.slug, site_id)
    return stored


async def replace_article(
    connection: Connection, draft: ArticleDraft, now: datetime, site_id: int = DEFAULT_SITE_ID
) -> Article:
    """Overwrite the article with this slug; editing never changes its address."""
    result = await connection.execute(
        update(a)
        .where(a.c.site_id == site_id, a.c.slug == draft.slug)
        .values(updated_at=now, **_values(draft))
    )
    if result.rowcount == 0:
        raise RejoinderError(
            Problem.NOT_FOUND, "not_found", f"There is no article {draft.slug!r}.", "slug"
        )
    stored = await find_article(connection, draft.slug, site_id)
    assert stored is not None
    await index_article(connection, stored.id, draft)
    await touch_key(connection, draft.slug, site_id)
    return stored


async def latest_articles(
    connection: Connection, limit: int = 50, site_id: int = DEFAULT_SITE_ID
) -> list[Article]:
    rows = await connection.execute(
        select(*_COLUMNS)
        .where(a.c.site_id == site_id)
        .order_by(a.c.published_at.desc(), a.c.id.desc())
        .limit(limit)
    )
    return [_article(row) for row in rows]


async def latest_article_versions(
    connection: Connection, limit: int = 50, site_id: int = DEFAULT_SITE_ID
) -> list[tuple[int, datetime]]:
    """(id, last change) of the articles ``latest_articles`` would give, without their
    bodies: what tells a copy of the articles' feed is still current."""
    rows = await connection.execute(
        select(a.c.id, a.c.updated_at)
        .where(a.c.site_id == site_id)
        .order_by(a.c.published_at.desc(), a.c.id.desc())
        .limit(limit)
    )
    return [(article_id, updated_at) for article_id, updated_at in rows]
