"""When a thread's closing was announced to webhooks, and where a staff user's mail links
point.

A thread closes by itself ``auto_close_days`` after it opened, with no request to hang the
``thread.closed`` event on; ``threads.close_announced_at`` lets the outbox's scheduled pass
queue it once, whichever process gets there first. ``staff_mail.link_base`` is the origin
the staff user chose their mail on, as readers' addresses keep theirs, so the links work
when no ``public_url`` is set.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("threads", sa.Column("close_announced_at", Moment))
    op.add_column("staff_mail", sa.Column("link_base", sa.String(2048)))


def downgrade() -> None:
    with op.batch_alter_table("staff_mail") as batch:
        batch.drop_column("link_base")
    with op.batch_alter_table("threads") as batch:
        batch.drop_column("close_announced_at")
