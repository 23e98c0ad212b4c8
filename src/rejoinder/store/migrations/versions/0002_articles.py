"""Articles: the stories a newsroom publishes, with their video and captions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", Id, nullable=False),
        sa.Column("site_id", Id, nullable=False),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("headline", sa.String(300), nullable=False),
        sa.Column("standfirst", sa.Text(), nullable=False),
        sa.Column("byline", sa.String(200), nullable=False),
        sa.Column("published_at", Moment, nullable=False),
        sa.Column("tags", sa.Text(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("video_src", sa.String(2048)),
        sa.Column("video_poster", sa.String(2048)),
        sa.Column("captions", sa.Text()),
        sa.Column("captions_format", sa.String(8)),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("updated_at", Moment, nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name="fk_articles_site_id_sites"),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
        sa.UniqueConstraint("site_id", "slug", name="uq_articles_site_id_slug"),
    )
    op.create_index("ix_articles_site_id_published_at", "articles", ["site_id", "published_at"])


def downgrade() -> None:
    op.drop_table("articles")
