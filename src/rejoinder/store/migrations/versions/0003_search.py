"""Search: a full-text index of articles (headline, standfirst, body, transcript).

SQLite gets an FTS5 table with the Porter stemmer; PostgreSQL a table with a weighted
``tsvector`` column, generated from the same four texts, under a GIN index. Both are written
by ``store/search.py`` whenever an article is stored, so the two engines index the same text.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE article_search USING fts5("
            "headline, standfirst, body, transcript, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
    else:
        op.execute(
            """
            CREATE TABLE article_search (
                article_id BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
                headline TEXT NOT NULL,
                standfirst TEXT NOT NULL,
                body TEXT NOT NULL,
                transcript TEXT NOT NULL,
                document tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('english', headline), 'A')
                    || setweight(to_tsvector('english', standfirst), 'B')
                    || setweight(to_tsvector('english', body), 'C')
                    || setweight(to_tsvector('english', transcript), 'C')
                ) STORED
            )
            """
        )
        op.execute("CREATE INDEX ix_article_search_document ON article_search USING GIN (document)")
    _index_existing_articles()


def _index_existing_articles() -> None:
    """Articles stored before this revision, such as the demo's, become searchable at once."""
    from rejoinder.domain.search import plain_text, transcript_of

    bind = op.get_bind()
    column = "rowid" if bind.dialect.name == "sqlite" else "article_id"
    rows = bind.execute(
        sa.text("SELECT id, headline, standfirst, body_html, captions FROM articles")
    ).all()
    for row in rows:
        bind.execute(
            sa.text(
                f"INSERT INTO article_search ({column}, headline, standfirst, body, transcript) "
                "VALUES (:id, :headline, :standfirst, :body, :transcript)"
            ),
            {
                "id": row.id,
                "headline": row.headline,
                "standfirst": row.standfirst,
                "body": plain_text(row.body_html),
                "transcript": transcript_of(row.captions),
            },
        )


def downgrade() -> None:
    op.execute("DROP TABLE article_search")
