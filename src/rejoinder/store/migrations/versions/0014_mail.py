"""Reply notifications by e-mail: confirmed addresses and the comments they follow.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out here, not imported from the schema module, so this migration keeps its meaning.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mail_addresses",
        sa.Column("id", Id, primary_key=True),
        sa.Column("address", sa.String(254), nullable=False, unique=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("link_base", sa.String(2048), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("confirm_sent_at", Moment),
        sa.Column("confirmed_at", Moment),
        sa.Column("unsubscribed_at", Moment),
        sa.Column("digest_outbox_id", Id, sa.ForeignKey("outbox.id", ondelete="SET NULL")),
        sa.Column("next_digest_at", Moment),
    )
    op.create_table(
        "reply_subscriptions",
        sa.Column(
            "comment_id", Id, sa.ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "address_id",
            Id,
            sa.ForeignKey("mail_addresses.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", Moment, nullable=False),
    )
    op.create_index("ix_reply_subscriptions_address_id", "reply_subscriptions", ["address_id"])


def downgrade() -> None:
    op.drop_table("reply_subscriptions")
    op.drop_table("mail_addresses")
