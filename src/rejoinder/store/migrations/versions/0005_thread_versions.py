"""Thread versions: a counter bumped by every change readers could see, so a cached page of
the thread is known fresh with one indexed lookup, in every process; and a count of
shadow-banned comments, so threads without any serve one shared page to every reader.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "threads", sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False)
    )
    op.add_column(
        "threads", sa.Column("shadowed", sa.Integer(), server_default=sa.text("0"), nullable=False)
    )
    op.add_column(
        "threads", sa.Column("featured", sa.Integer(), server_default=sa.text("0"), nullable=False)
    )
    op.execute(
        "UPDATE threads SET featured = (SELECT count(*) FROM comments "
        "WHERE comments.thread_id = threads.id AND comments.featured)"
    )
    op.create_index(
        "ix_comments_featured_thread_id",
        "comments",
        ["thread_id"],
        sqlite_where=sa.text("featured = 1"),
        postgresql_where=sa.text("featured"),
    )
    op.execute(
        "UPDATE threads SET shadowed = (SELECT count(*) FROM comments "
        "WHERE comments.thread_id = threads.id AND comments.status = 'shadow')"
    )


def downgrade() -> None:
    op.drop_index("ix_comments_featured_thread_id", "comments")
    with op.batch_alter_table("threads") as batch:
        batch.drop_column("featured")
        batch.drop_column("shadowed")
        batch.drop_column("version")
