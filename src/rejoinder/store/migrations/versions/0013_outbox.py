"""The outbox (messages sent after the change that causes them) and webhook endpoints.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out here, not imported from the schema module, so this migration keeps its meaning.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", Id, primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("description", sa.String(200)),
        sa.Column("events", sa.Text, nullable=False),
        sa.Column("secret", sa.String(80), nullable=False),
        sa.Column("previous_secret", sa.String(80)),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("failures_in_row", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("disabled_reason", sa.Text),
        sa.Column("created_at", Moment, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", Id, primary_key=True),
        sa.Column("message_id", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("endpoint_id", Id, sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE")),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("due_at", Moment, nullable=False),
        sa.Column("claimed_until", Moment),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("sent_at", Moment),
    )
    op.create_index("ix_outbox_state_due_at", "outbox", ["state", "due_at"])
    op.create_index("ix_outbox_endpoint_id_id", "outbox", ["endpoint_id", "id"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("webhook_endpoints")
