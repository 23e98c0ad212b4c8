"""Bring a database's schema up to date with Alembic, on the application's own connection.

Alembic's configuration is built here rather than read from an alembic.ini, so an installed
package can migrate without any file beside it.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from rejoinder.store.database import Database

MIGRATIONS = Path(__file__).with_name("migrations")
# Any fixed number: every Rejoinder process that migrates one PostgreSQL database takes it.
_PG_MIGRATION_LOCK = 7_461_002


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(database: Database) -> str | None:
    async with database.read() as connection:
        return await connection.run_sync(_current)


async def upgrade(database: Database, revision: str = "head") -> tuple[str | None, str | None]:
    """Apply pending migrations in one transaction; returns (before, after) revisions.

    On SQLite the writer's BEGIN IMMEDIATE, and on PostgreSQL an advisory lock, make servers
    that start together take turns, so a migration never runs twice.
    """

    def run(connection: Connection) -> tuple[str | None, str | None]:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        before = _current(connection)
        command.upgrade(_config(connection), revision)
        return before, _current(connection)

    async with database.write() as connection:
        return await connection.run_sync(run)
