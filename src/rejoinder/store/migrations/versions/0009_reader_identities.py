"""Reader identities: votes and reports remember the address they came from; idempotency
keys remember the client that used them.

A vote or report now counts once per reader, and an address can add only a bounded number
of them to one comment, so both tables keep the keyed address hash of the request. Reports
are no longer unique per reporter: a repeated report is kept for the moderator but not
counted, so the unique key becomes a plain index. An idempotency key is refused when another
client presents it, so the key row names its client.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("votes") as batch:
        batch.add_column(sa.Column("address_hash", sa.String(64)))
        batch.create_index("ix_votes_comment_id_address_hash", ["comment_id", "address_hash"])
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("address_hash", sa.String(64)))
        batch.drop_constraint("uq_reports_comment_id_reporter", type_="unique")
        batch.create_index("ix_reports_comment_id_reporter", ["comment_id", "reporter"])
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("client", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("client")
    # Repeated reports would break the old unique key: keep each reader's first.
    op.execute(
        "DELETE FROM reports WHERE id NOT IN"
        " (SELECT MIN(id) FROM reports GROUP BY comment_id, reporter)"
    )
    with op.batch_alter_table("reports") as batch:
        batch.drop_index("ix_reports_comment_id_reporter")
        batch.create_unique_constraint("uq_reports_comment_id_reporter", ["comment_id", "reporter"])
        batch.drop_column("address_hash")
    with op.batch_alter_table("votes") as batch:
        batch.drop_index("ix_votes_comment_id_address_hash")
        batch.drop_column("address_hash")
