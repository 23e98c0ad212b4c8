"""Staff mail: moderators' queue digests (who asked, how often, when each is next due), and
the comments on a story mailed to its author, named by the article's new ``author``.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out here, not imported from the schema module, so this migration keeps its meaning.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff_mail",
        sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("queue_every", sa.String(8)),
        sa.Column("queue_since", Moment),
        sa.Column("queue_due_at", Moment),
        sa.Column("stories", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("story_outbox_id", Id, sa.ForeignKey("outbox.id", ondelete="SET NULL")),
        sa.Column("story_next_at", Moment),
    )
    op.create_index("ix_staff_mail_queue_due_at", "staff_mail", ["queue_due_at"])
    op.create_index("ix_staff_mail_story_outbox_id", "staff_mail", ["story_outbox_id"])
    op.add_column("articles", sa.Column("author", sa.String(64)))


def downgrade() -> None:
    op.drop_column("articles", "author")
    op.drop_table("staff_mail")
