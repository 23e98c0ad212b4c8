"""Initial schema: sites, threads, comments, voters, votes, idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types are spelled out here, not imported from the schema module, so that this migration
# keeps meaning what it meant when it was written.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Moment = sa.DateTime(timezone=True)
FALSE = sa.text("false")
ZERO = sa.text("0")


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_meta"),
    )
    sites = op.create_table(
        "sites",
        sa.Column("id", Id, nullable=False),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sites"),
        sa.UniqueConstraint("slug", name="uq_sites_slug"),
    )
    op.create_table(
        "threads",
        sa.Column("id", Id, nullable=False),
        sa.Column("site_id", Id, nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("title", sa.String(300)),
        sa.Column("url", sa.String(2048)),
        sa.Column("closed", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("comment_count", sa.Integer(), server_default=ZERO, nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("last_comment_at", Moment),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name="fk_threads_site_id_sites"),
        sa.PrimaryKeyConstraint("id", name="pk_threads"),
        sa.UniqueConstraint("site_id", "key", name="uq_threads_site_id_key"),
    )
    op.create_table(
        "voters",
        sa.Column("id", Id, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_voters"),
        sa.UniqueConstraint("kind", "key", name="uq_voters_kind_key"),
    )
    op.create_table(
        "comments",
        sa.Column("id", Id, nullable=False),
        sa.Column("thread_id", Id, nullable=False),
        sa.Column("parent_id", Id),
        sa.Column("root_id", Id),
        sa.Column("author_name", sa.String(64), nullable=False),
        sa.Column("author_email", sa.String(254)),
        sa.Column("author_guest", sa.Boolean(), nullable=False),
        sa.Column("author_badge", sa.String(32)),
        sa.Column("author_ip_hash", sa.String(64)),
        sa.Column("voter_id", Id),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("spoiler", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("edited_at", Moment),
        sa.Column("deleted_at", Moment),
        sa.Column("votes_up", sa.Integer(), server_default=ZERO, nullable=False),
        sa.Column("votes_down", sa.Integer(), server_default=ZERO, nullable=False),
        sa.Column("score", sa.Float(53), server_default=ZERO, nullable=False),
        sa.Column("reply_count", sa.Integer(), server_default=ZERO, nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name="fk_comments_thread_id_threads"
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["comments.id"], name="fk_comments_parent_id_comments"
        ),
        sa.ForeignKeyConstraint(["root_id"], ["comments.id"], name="fk_comments_root_id_comments"),
        sa.ForeignKeyConstraint(["voter_id"], ["voters.id"], name="fk_comments_voter_id_voters"),
        sa.PrimaryKeyConstraint("id", name="pk_comments"),
    )
    op.create_index(
        "ix_comments_thread_id_parent_id_created_at_id",
        "comments",
        ["thread_id", "parent_id", "created_at", "id"],
    )
    op.create_index(
        "ix_comments_thread_id_parent_id_score_created_at_id",
        "comments",
        ["thread_id", "parent_id", "score", "created_at", "id"],
    )
    op.create_index(
        "ix_comments_root_id_created_at_id", "comments", ["root_id", "created_at", "id"]
    )
    op.create_table(
        "votes",
        sa.Column("comment_id", Id, nullable=False),
        sa.Column("voter_id", Id, nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("updated_at", Moment, nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name="fk_votes_comment_id_comments"
        ),
        sa.ForeignKeyConstraint(["voter_id"], ["voters.id"], name="fk_votes_voter_id_voters"),
        sa.PrimaryKeyConstraint("comment_id", "voter_id", name="pk_votes"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.SmallInteger()),
        sa.Column("response", sa.Text()),
        sa.Column("created_at", Moment, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    op.bulk_insert(
        sites,
        [{"id": 1, "slug": "default", "name": "Default site", "created_at": datetime.now(UTC)}],
    )


def downgrade() -> None:
    for table in ("idempotency_keys", "votes", "comments", "voters", "threads", "sites", "meta"):
        op.drop_table(table)
