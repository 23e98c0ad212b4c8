"""Full-text search of articles: SQLite FTS5 or PostgreSQL tsvector, one behaviour.

The index table, ``article_search``, is made by migration 0003 in each engine's own form and
is not in ``schema.py``: SQLAlchemy has no portable way to describe it. It is written here,
in the same transaction that stores the article, so search never lags behind the site.
Matched words come back between the control characters STX and ETX; the page escapes the
snippet and only then turns those into ``<mark>``, so article text can never become markup.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import text

from rejoinder.domain.articles import ArticleDraft
from rejoinder.domain.search import plain_text, transcript_of
from rejoinder.store.database import Connection
from rejoinder.store.schema import UTCDateTime
from rejoinder.store.threads import DEFAULT_SITE_ID

MARK_START, MARK_END = "\x02", "\x03"
_HEADLINE_OPTIONS = (
    f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxWords=35, MinWords=15, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)


class SearchHit(msgspec.Struct):
    slug: str
    headline: str
    standfirst: str
    published_at: datetime
    snippet: str


class SearchResults(msgspec.Struct):
    total: int
    page: int
    per_page: int
    hits: list[SearchHit]


def _is_sqlite(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


async def index_article(connection: Connection, article_id: int, draft: ArticleDraft) -> None:
    """Put the article's current text in the index, replacing what was there."""
    key = "rowid" if _is_sqlite(connection) else "article_id"
    await connection.execute(
        text(f"DELETE FROM article_search WHERE {key} = :id"), {"id": article_id}
    )
    await connection.execute(
        text(
            f"INSERT INTO article_search ({key}, headline, standfirst, body, transcript) "
            "VALUES (:id, :headline, :standfirst, :body, :transcript)"
        ),
        {
            "id": article_id,
            "headline": draft.headline,
            "standfirst": draft.standfirst,
            "body": plain_text(draft.body_html),
            "transcript": transcript_of(draft.captions),
        },
    )


def _fts5_match(words: list[str]) -> str:
    """Every word must appear; the last may be the start of a word, as people type."""
    quoted = ['"' + word.replace('"', '""') + '"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def _tsquery(words: list[str]) -> str:
    # Words hold only letters and digits (domain.search), so none is tsquery syntax.
    return " & ".join([*words[:-1], f"{words[-1]}:*"])


_SQLITE_HITS = """
SELECT a.slug, a.headline, a.standfirst, a.published_at,
       snippet(article_search, -1, :mark_start, :mark_end, '…', 24) AS snippet
FROM article_search JOIN articles AS a ON a.id = article_search.rowid
WHERE article_search MATCH :query AND a.site_id = :site_id
ORDER BY bm25(article_search, 10.0, 5.0, 1.0, 1.0), a.published_at DESC, a.id DESC
LIMIT :limit OFFSET :offset
"""
_SQLITE_TOTAL = """
SELECT count(*) FROM article_search JOIN articles AS a ON a.id = article_search.rowid
WHERE article_search MATCH :query AND a.site_id = :site_id
"""
_POSTGRES_HITS = """
SELECT a.slug, a.headline, a.standfirst, a.published_at,
       ts_headline('english', s.standfirst || ' ' || s.body || ' ' || s.transcript,
                   q.query, :options) AS snippet
FROM article_search AS s JOIN articles AS a ON a.id = s.article_id,
     to_tsquery('english', :query) AS q(query)
WHERE s.document @@ q.query AND a.site_id = :site_id
ORDER BY ts_rank(s.document, q.query) DESC, a.published_at DESC, a.id DESC
LIMIT :limit OFFSET :offset
"""
_POSTGRES_TOTAL = """
SELECT count(*) FROM article_search AS s JOIN articles AS a ON a.id = s.article_id
WHERE s.document @@ to_tsquery('english', :query) AND a.site_id = :site_id
"""


async def search_articles(
    connection: Connection,
    words: list[str],
    page: int = 1,
    per_page: int = 10,
    site_id: int = DEFAULT_SITE_ID,
) -> SearchResults:
    """Articles with every word, best match first; ``words`` come from ``parse_query``."""
    if not words:
        return SearchResults(0, page, per_page, [])
    params: dict[str, object] = {"site_id": site_id}
    if _is_sqlite(connection):
        hits_sql, total_sql = _SQLITE_HITS, _SQLITE_TOTAL
        params.update(query=_fts5_match(words), mark_start=MARK_START, mark_end=MARK_END)
    else:
        hits_sql, total_sql = _POSTGRES_HITS, _POSTGRES_TOTAL
        params.update(query=_tsquery(words), options=_HEADLINE_OPTIONS)
    total = await connection.scalar(text(total_sql), params)
    rows = await connection.execute(
        text(hits_sql).columns(published_at=UTCDateTime()),
        {**params, "limit": per_page, "offset": (page - 1) * per_page},
    )
    hits = [SearchHit(**row._mapping) for row in rows]
    return SearchResults(int(total or 0), page, per_page, hits)
