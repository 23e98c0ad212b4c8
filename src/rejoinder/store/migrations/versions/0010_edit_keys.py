"""Edit keys: an edit token signs a random value stored with its comment, not the id alone.

Restoring an older backup hands ids out again, and a token that signed only the id would
then edit someone else's comment. Comments written before this revision keep a NULL key, and
their tokens (which signed the id alone) stay valid for what is left of their edit window.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("edit_key", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("edit_key")
