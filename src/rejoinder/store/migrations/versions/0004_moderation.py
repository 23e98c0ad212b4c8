"""Moderation and identity: users and sessions, bans, reports, the audit log, campaign bands,
and the moderation columns on sites, threads and comments.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Moment = sa.DateTime(timezone=True)
FALSE = sa.text("false")


def upgrade() -> None:
    op.add_column(
        "sites",
        sa.Column(
            "moderation_mode", sa.String(16), server_default=sa.text("'post'"), nullable=False
        ),
    )
    op.add_column("sites", sa.Column("auto_close_days", sa.Integer()))
    op.add_column("threads", sa.Column("moderation_mode", sa.String(16)))
    op.add_column("threads", sa.Column("message", sa.Text()))
    op.add_column("threads", sa.Column("published_at", Moment))
    for column in (
        sa.Column("user_id", Id),
        sa.Column("featured", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("moderation", sa.Text()),
        sa.Column("toxicity", sa.Float(53)),
        sa.Column("campaign_id", Id),
        sa.Column("report_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("moderated_at", Moment),
        sa.Column("moderated_by", sa.String(64)),
    ):
        op.add_column("comments", column)
    op.create_index("ix_comments_status_created_at", "comments", ["status", "created_at"])
    for name in ("user_id", "voter_id", "author_ip_hash", "campaign_id"):
        op.create_index(f"ix_comments_{name}", "comments", [name])

    op.create_table(
        "users",
        sa.Column("id", Id, nullable=False),
        sa.Column("username", sa.String(64)),
        sa.Column("sso_subject", sa.String(300)),
        sa.Column("display_name", sa.String(64), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("roles", sa.String(100), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("last_seen_at", Moment),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.UniqueConstraint("sso_subject", name="uq_users_sso_subject"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("expires_at", Moment, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_sessions_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "bans",
        sa.Column("id", Id, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(254), nullable=False),
        sa.Column("shadow", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("expires_at", Moment),
        sa.Column("lifted_at", Moment),
        sa.PrimaryKeyConstraint("id", name="pk_bans"),
    )
    op.create_index("ix_bans_kind_value", "bans", ["kind", "value"])
    op.create_table(
        "reports",
        sa.Column("id", Id, nullable=False),
        sa.Column("comment_id", Id, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("reporter", sa.String(80), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("resolved_at", Moment),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name="fk_reports_comment_id_comments"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
        sa.UniqueConstraint("comment_id", "reporter", name="uq_reports_comment_id_reporter"),
    )
    op.create_index("ix_reports_resolved_at_comment_id", "reports", ["resolved_at", "comment_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", Id, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(80), nullable=False),
        sa.Column("before", sa.Text()),
        sa.Column("after", sa.Text()),
        sa.Column("created_at", Moment, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_created_at", "audit_log", ["created_at"])
    op.create_table(
        "campaign_bands",
        sa.Column("band", sa.String(24), nullable=False),
        sa.Column("comment_id", Id, nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name="fk_campaign_bands_comment_id_comments"
        ),
        sa.PrimaryKeyConstraint("band", "comment_id", name="pk_campaign_bands"),
    )
    op.create_index("ix_campaign_bands_band_created_at", "campaign_bands", ["band", "created_at"])


def downgrade() -> None:
    for table in ("campaign_bands", "audit_log", "reports", "bans", "sessions", "users"):
        op.drop_table(table)
    op.drop_index("ix_comments_status_created_at", "comments")
    for name in ("user_id", "voter_id", "author_ip_hash", "campaign_id"):
        op.drop_index(f"ix_comments_{name}", "comments")
    with op.batch_alter_table("comments") as batch:
        for name in (
            "user_id",
            "featured",
            "moderation",
            "toxicity",
            "campaign_id",
            "report_count",
            "moderated_at",
            "moderated_by",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("threads") as batch:
        for name in ("moderation_mode", "message", "published_at"):
            batch.drop_column(name)
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("moderation_mode")
        batch.drop_column("auto_close_days")
