"""Imported comments remember where they came from: the archive's format and its id.

An import may run twice (a retry after a crash, a later and larger export): each comment is
known by ``(source, source_id)``, which is unique, so a second run adds only what is new.
``source_parent`` is the source id of the comment it answers, kept until that comment is
imported too (a reply may come before its parent in a file).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("source", sa.String(32)))
        batch.add_column(sa.Column("source_id", sa.String(255)))
        batch.add_column(sa.Column("source_parent", sa.String(255)))
    op.create_index(
        "ix_comments_source_source_id", "comments", ["source", "source_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_comments_source_source_id", table_name="comments")
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("source_parent")
        batch.drop_column("source_id")
        batch.drop_column("source")
