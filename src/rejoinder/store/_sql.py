"""Small helpers for the few statements whose spelling differs between SQLite and PostgreSQL,
and ``Prepared``, for the statements on the busiest paths."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection as SyncConnection
from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, ColumnElement, Executable, ReturnsRows

from rejoinder.store.database import Connection
from rejoinder.store.sqlite import SqliteAsideConnection, SqliteConnection


def insert_ignoring_conflicts(connection: Connection, table: Table) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` in the connection's dialect."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def prepared_insert_ignoring_conflicts(
    table: Table, values: Mapping[str, Any], returning: Sequence[Any] = ()
) -> Prepared:
    """``insert_ignoring_conflicts`` as a ``Prepared`` statement, in both spellings."""
    sqlite_form, postgresql_form = (
        dialect.insert(table).values(**values).on_conflict_do_nothing().returning(*returning)
        if returning
        else dialect.insert(table).values(**values).on_conflict_do_nothing()
        for dialect in (sqlite, postgresql)
    )
    return Prepared(sqlite_form, postgresql=postgresql_form)


def locks_rows(connection: Connection) -> bool:
    """Whether ``SELECT ... FOR UPDATE`` means anything (SQLite's writer already holds the lock)."""
    return connection.dialect.name == "postgresql"


Processor = Callable[[Any], Any] | None


class _SqliteForm:
    """A statement compiled for SQLite once: its SQL, where each parameter goes, and the type
    conversions SQLAlchemy would apply on the way in and out."""

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        # The store's statements are Core SELECT and DML constructs: they compile themselves,
        # with SQL's compiler.
        assert isinstance(statement, ClauseElement)
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        binds = compiled.binds
        if any(bind.expanding for bind in binds.values()):
            raise ValueError("Prepared statements take no IN lists: their SQL must not vary")
        self.sql = compiled.string
        if "POSTCOMPILE" in self.sql:
            raise ValueError("Prepared statements take no values rendered at run time")
        if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
            raise ValueError("Prepared statements run no Python-side column defaults")
        self.names = list(compiled.positiontup or ())
        self.fixed = {name: bind.value for name, bind in binds.items() if not bind.required}
        into = [
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.names
        ]
        self.converted = [(n, convert) for n, convert in enumerate(into) if convert is not None]
        columns: Iterable[ColumnElement[Any]] = (
            statement.exported_columns if isinstance(statement, ReturnsRows) else ()
        )
        out: list[Processor] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        self.out = out if any(out) else None

    def arguments(
        self, params: Mapping[str, Any], previous: tuple[tuple[Any, ...], list[Any]] | None = None
    ) -> tuple[tuple[Any, ...], list[Any]]:
        """The driver's arguments, and the values they were converted from.

        Given the previous row of an ``executemany`` (arguments and values), a value that is
        the very same object as there is not converted again: the rows of one call often
        share one timestamp, and converting a datetime is the dearest conversion.
        """
        fixed = self.fixed
        values = [params[name] if name in params else fixed[name] for name in self.names]
        arguments = list(values)
        for position, convert in self.converted:
            value = values[position]
            if value is None:
                continue
            if previous is not None and previous[1][position] is value:
                arguments[position] = previous[0][position]
            else:
                arguments[position] = convert(value)
        return tuple(arguments), values

    def rows(self, raw: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        out = self.out
        if out is None:
            return raw
        return [
            tuple(
                convert(value) if convert is not None else value
                for value, convert in zip(row, out, strict=True)
            )
            for row in raw
        ]


class Prepared:
    """A statement built once, and on SQLite run straight on the driver.

    Both halves of SQLAlchemy's work per statement showed up on the post path: building a
    Core statement cost 45 µs (more than running it), and executing a built one 15 µs, where
    ``sqlite3`` itself needs 3. A comment takes about ten statements, so together they were
    most of a post's CPU. Here the statement is built at import, compiled for SQLite on first
    use, and each run converts the parameters and results exactly as SQLAlchemy would (the
    same type processors), so what is stored and read back is the same. On PostgreSQL,
    SQLAlchemy runs the built statement: there the network round trip dwarfs the rest.

    Parameters are the statement's ``bindparam`` names. Rows come back as plain tuples. A
    statement spelled differently on PostgreSQL (``ON CONFLICT``, say) gives that spelling as
    ``postgresql``.
    """

    def __init__(self, statement: Executable, *, postgresql: Executable | None = None) -> None:
        self.statement = statement
        self._postgresql = statement if postgresql is None else postgresql
        self._sqlite: _SqliteForm | None = None

    def _form(self, connection: SqliteConnection | SyncConnection) -> _SqliteForm:
        if self._sqlite is None:
            self._sqlite = _SqliteForm(self.statement, connection.dialect)
        return self._sqlite

    async def rows(self, connection: Connection, **params: Any) -> list[tuple[Any, ...]]:
        """Run the statement; the rows it returns, if any."""
        if isinstance(connection, SqliteConnection):
            return self._sqlite_rows(connection, connection.driver, params)
        if isinstance(connection, SqliteAsideConnection):  # then in its worker thread
            return await connection.run_sync(self._rows_on, params)
        result = await connection.execute(self._postgresql, params)
        return [tuple(row) for row in result] if result.returns_rows else []

    def _rows_on(self, sync: SyncConnection, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        # SQLAlchemy types the DBAPI connection as Any | None; on SQLite it is sqlite3's.
        driver = cast(sqlite3.Connection, sync.connection.driver_connection)
        return self._sqlite_rows(sync, driver, params)

    def _sqlite_rows(
        self,
        connection: SqliteConnection | SyncConnection,
        driver: sqlite3.Connection,
        params: dict[str, Any],
    ) -> list[tuple[Any, ...]]:
        form = self._form(connection)
        arguments, _ = form.arguments(params)
        try:
            raw = driver.execute(form.sql, arguments).fetchall()
        except sqlite3.Error as error:  # raised as SQLAlchemy would, whoever runs it
            raise DBAPIError.instance(form.sql, arguments, error, sqlite3.Error) from error
        return form.rows(raw)

    async def first(self, connection: Connection, **params: Any) -> tuple[Any, ...] | None:
        found = await self.rows(connection, **params)
        return found[0] if found else None

    async def scalar(self, connection: Connection, **params: Any) -> Any:
        found = await self.rows(connection, **params)
        return found[0][0] if found else None

    async def run_many(self, connection: Connection, params: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once for each set of parameters (no rows come back)."""
        if not params:
            return
        if isinstance(connection, SqliteConnection):
            form = self._form(connection)
            arguments = []
            previous = None
            for row in params:
                previous = form.arguments(row, previous)
                arguments.append(previous[0])
            try:
                connection.driver.executemany(form.sql, arguments)
            except sqlite3.Error as error:
                raise DBAPIError.instance(form.sql, arguments, error, sqlite3.Error) from error
            return
        await connection.execute(self._postgresql, list(params))
