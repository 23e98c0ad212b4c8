"""Live events in the database, for several processes without Redis.

Each process appends the events of its writes here and delivers every process's events to its
own readers, woken by ``NOTIFY rejoinder_live`` on PostgreSQL and by SQLite's data version.
The last hour is kept, so a reader who reconnects with ``Last-Event-ID`` to any process is
replayed what they missed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "live_events",
        sa.Column("id", Id, nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_live_events"),
    )
    op.create_index("ix_live_events_channel_id", "live_events", ["channel", "id"])
    op.create_index("ix_live_events_created_at", "live_events", ["created_at"])


def downgrade() -> None:
    op.drop_table("live_events")
