"""Small helpers for the few statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert_ignoring_conflicts(connection: AsyncConnection, table: Table):  # type: ignore[no-untyped-def]
    """``INSERT ... ON CONFLICT DO NOTHING`` in the connection's dialect."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def locks_rows(connection: AsyncConnection) -> bool:
    """Whether ``SELECT ... FOR UPDATE`` means anything (SQLite's writer already holds the lock)."""
    return connection.dialect.name == "postgresql"
