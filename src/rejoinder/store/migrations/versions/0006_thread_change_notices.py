"""PostgreSQL: notify ``rejoinder_threads`` ("<thread id>:<version>") when a version moves.

Every process listens (``store/changes.py``) and so knows, without a query, whether a cached
page may still be current. A trigger rather than a statement in each writer: no write path can
forget it, it costs no round trip, and PostgreSQL delivers it exactly when the transaction
commits. SQLite needs nothing: its ``PRAGMA data_version`` already tells the same.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION rejoinder_thread_changed() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM pg_notify('rejoinder_threads', OLD.id::text || ':-');
            ELSIF NEW.version IS DISTINCT FROM OLD.version THEN
                PERFORM pg_notify('rejoinder_threads', NEW.id::text || ':' || NEW.version::text);
            END IF;
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER threads_changed AFTER UPDATE OR DELETE ON threads "
        "FOR EACH ROW EXECUTE FUNCTION rejoinder_thread_changed()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER threads_changed ON threads")
    op.execute("DROP FUNCTION rejoinder_thread_changed()")
