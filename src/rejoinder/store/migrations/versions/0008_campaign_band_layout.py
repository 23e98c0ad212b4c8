"""Campaign bands in one B-tree, ordered for the lookup.

Every comment stores sixteen band keys, which are random: each lands on its own page of
every B-tree that holds it, and each such page is written to the WAL at commit. The old
layout kept each band in three B-trees (the rows, the primary key on band and comment, and
the index on band and time): measured on SQLite, the commit of one comment's bands took
180 µs, most of a post's write. Now the primary key is (band, created_at, comment_id), which
is exactly the lookup's order (recent comments under a band), and on SQLite the table is
that B-tree alone (WITHOUT ROWID). The index on comment_id, for forgetting an edited
comment's bands, grows at its end, so a comment touches one of its pages, not sixteen; it
also ends the full scan that forgetting used to cost.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Moment = sa.DateTime(timezone=True)


def _set_aside_old_table(index: str) -> None:
    """Rename the old table out of the way, freeing the names the new one needs."""
    op.drop_index(index, "campaign_bands")
    op.rename_table("campaign_bands", "campaign_bands_old")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE campaign_bands_old RENAME CONSTRAINT pk_campaign_bands"
            " TO pk_campaign_bands_old"
        )


def _copy_and_drop_old_table() -> None:
    op.execute(
        "INSERT INTO campaign_bands (band, created_at, comment_id)"
        " SELECT band, created_at, comment_id FROM campaign_bands_old"
    )
    op.drop_table("campaign_bands_old")


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("band", sa.String(24), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("comment_id", Id, nullable=False),
    ]


def upgrade() -> None:
    _set_aside_old_table("ix_campaign_bands_band_created_at")
    op.create_table(
        "campaign_bands",
        *_columns(),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name="fk_campaign_bands_comment_id_comments"
        ),
        sa.PrimaryKeyConstraint("band", "created_at", "comment_id", name="pk_campaign_bands"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_campaign_bands_comment_id", "campaign_bands", ["comment_id"])
    _copy_and_drop_old_table()


def downgrade() -> None:
    _set_aside_old_table("ix_campaign_bands_comment_id")
    op.create_table(
        "campaign_bands",
        *_columns(),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name="fk_campaign_bands_comment_id_comments"
        ),
        sa.PrimaryKeyConstraint("band", "comment_id", name="pk_campaign_bands"),
    )
    op.create_index("ix_campaign_bands_band_created_at", "campaign_bands", ["band", "created_at"])
    _copy_and_drop_old_table()
