"""Prepared statements store and read back exactly what SQLAlchemy itself would."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, insert, select
from sqlalchemy.dialects import sqlite

from rejoinder.store._sql import Prepared, _SqliteForm
from rejoinder.store.database import Database
from rejoinder.store.schema import bans
from tests.conftest import run

_ADD = Prepared(
    insert(bans)
    .values(
        kind=bindparam("kind"),
        value=bindparam("value"),
        shadow=bindparam("shadow"),
        reason=bindparam("reason"),
        created_by="tests",
        created_at=bindparam("now"),
        expires_at=bindparam("expires_at"),
    )
    .returning(bans.c.id, bans.c.shadow, bans.c.created_at, bans.c.expires_at)
)
_READ = Prepared(
    select(bans.c.kind, bans.c.shadow, bans.c.reason, bans.c.created_at, bans.c.expires_at)
    .where(bans.c.value == bindparam("value"))
    .order_by(bans.c.id)
)
_COLUMNS = (bans.c.kind, bans.c.shadow, bans.c.reason, bans.c.created_at, bans.c.expires_at)


def test_prepared_and_sqlalchemy_agree_on_every_type(database_url):
    kyiv = timezone(timedelta(hours=2))
    now = datetime(2026, 11, 25, 12, 30, 15, 123456, tzinfo=UTC)
    rows = [
        {"kind": "email", "value": "x", "shadow": True, "reason": None, "expires_at": None},
        {
            "kind": "address",
            "value": "x",
            "shadow": False,
            "reason": "spam, «twice»",
            "expires_at": datetime(2026, 12, 1, 9, 0, tzinfo=kyiv),
        },
    ]

    async def scenario():
        database = Database(database_url)
        try:
            async with database.write() as connection:
                returned = await _ADD.first(connection, now=now, **rows[0])
                await _ADD.run_many(connection, [{**rows[1], "now": now}])
                await connection.execute(
                    insert(bans).values(created_by="tests", created_at=now, **rows[1])
                )
            async with database.read() as connection:
                prepared = await _READ.rows(connection, value="x")
                plain = [
                    tuple(row)
                    for row in await connection.execute(
                        select(*_COLUMNS).where(bans.c.value == "x").order_by(bans.c.id)
                    )
                ]
            return returned, prepared, plain
        finally:
            await database.dispose()

    returned, prepared, plain = run(scenario())
    assert returned[1:] == (True, now, None)
    assert prepared == plain
    assert prepared[1] == prepared[2]  # run_many and SQLAlchemy stored the same row
    assert prepared[1][4] == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert prepared[1][4].tzinfo == UTC


def test_prepared_statements_refuse_sql_that_would_vary(tmp_path, sqlite_template):
    """An IN list's SQL depends on its length, so it cannot be compiled once."""
    path = tmp_path / "x.db"
    shutil.copy(sqlite_template, path)
    varying = Prepared(select(bans.c.id).where(bans.c.kind.in_(["user", "email"])))

    async def scenario() -> None:
        database = Database(f"sqlite:///{path}")
        try:
            async with database.read() as connection:
                await varying.rows(connection)
        finally:
            await database.dispose()

    with pytest.raises(ValueError, match="IN lists"):
        run(scenario())


def test_prepared_statements_refuse_columns_with_python_side_defaults():
    """The driver would store NULL where SQLAlchemy fills in the default: refuse instead."""
    table = Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer, default=1)
    )
    with pytest.raises(ValueError, match="defaults"):
        _SqliteForm(insert(table).values(id=bindparam("id")), sqlite.dialect())
