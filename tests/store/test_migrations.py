"""The Alembic history creates exactly the tables the code describes, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from rejoinder.store.database import Database
from rejoinder.store.migrate import head_revision, upgrade
from rejoinder.store.schema import metadata
from tests.conftest import run


def _not_search_index(name, type_, parent_names):
    """The search index is engine-specific (FTS5 or tsvector), so schema.py leaves it out."""
    return not (type_ == "table" and name.startswith("article_search"))


def test_migrations_match_the_schema_module(database_url):
    async def differences():
        database = Database(database_url)
        try:
            async with database.read() as connection:
                return await connection.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(
                            sync, opts={"compare_type": False, "include_name": _not_search_index}
                        ),
                        metadata,
                    )
                )
        finally:
            await database.dispose()

    assert run(differences()) == []


def test_migrating_twice_changes_nothing(database_url):
    async def again():
        database = Database(database_url)
        try:
            return await upgrade(database)
        finally:
            await database.dispose()

    assert run(again()) == (head_revision(), head_revision())


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    async def pragmas():
        database = Database(f"sqlite:///{tmp_path / 'x.db'}")
        try:
            async with database.read() as connection:
                mode = await connection.exec_driver_sql("PRAGMA journal_mode")
                timeout = await connection.exec_driver_sql("PRAGMA busy_timeout")
                return mode.scalar(), timeout.scalar()
        finally:
            await database.dispose()

    mode, timeout = run(pragmas())
    assert mode == "wal"
    assert timeout >= 5000
