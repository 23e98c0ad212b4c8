"""An index for each foreign key that had none leading with its column.

Removing a row makes the database look for the rows that refer to it; without an index on
the referring column that is a read of the whole table per row removed. Removing the
20,000 deleted placeholders nothing answered, after an import of 1,000,000 comments, took
hours (``comments.parent_id``); erasing a reader looked through every vote
(``votes.voter_id``); the outbox's sweep looked through every mail address.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_comments_parent_id", "comments", "parent_id"),
    ("ix_votes_voter_id", "votes", "voter_id"),
    ("ix_mail_addresses_digest_outbox_id", "mail_addresses", "digest_outbox_id"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
