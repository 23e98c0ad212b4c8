"""The nudge: a site may choose not to tell writers why their words would be held first.

On by default, for existing sites too: a writer whose comment would wait for a moderator or
be refused because of its words is told why, once, and may revise it or send it anyway.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.add_column(
            sa.Column("nudge", sa.Boolean, nullable=False, server_default=sa.text("true"))
        )


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("nudge")
