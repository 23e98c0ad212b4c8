"""Fixtures: a real app on a real database, SQLite and PostgreSQL alike.

Every API test runs twice, once per database (``db`` is parametrised). SQLite tests get a
fresh file copied from a migrated template; PostgreSQL tests share a throwaway database made
for this run and emptied between tests. When the PostgreSQL server does not answer, its half
is skipped with a message naming it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from rejoinder.app import create_app
from rejoinder.config import Settings
from rejoinder.store.database import Database
from rejoinder.store.migrate import upgrade
from tests.smtp import SmtpSink

POSTGRES_URL = os.environ.get(
    "REJOINDER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
# A Redis database of its own for each parallel worker (pytest-xdist's gw0, gw1, …), since
# some tests empty theirs: gw0 gets 15, gw1 14, and so on.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_URL = os.environ.get("REJOINDER_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{15 - _WORKER}")


def redis_answers() -> bool:
    """Whether the test Redis server takes connections (tests that need it skip if not)."""
    host, port = REDIS_URL.split("//")[1].split("/")[0].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    return True


BASE_URL = "http://testserver.local"
DATA_TABLES = (
    "votes",
    "comments",
    "voters",
    "threads",
    "idempotency_keys",
    "articles",
    "users",
    "sessions",
    "bans",
    "reports",
    "audit_log",
    "campaign_bands",
    "outbox",
    "webhook_endpoints",
    "mail_addresses",
    "reply_subscriptions",
    "staff_mail",
)


class _Tracebacks(logging.Handler):
    """Keeps every log record that carries a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


@pytest.fixture(autouse=True)
def no_traceback_is_logged(request: pytest.FixtureRequest) -> Iterator[None]:
    """No test's requests make the app log a traceback: a client's mistake is a 4xx and an
    infrastructure fault one line. A test that breaks the app on purpose says so with
    ``@pytest.mark.logs_traceback``."""
    caught = _Tracebacks()
    logging.getLogger().addHandler(caught)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(caught)
    if caught.records and request.node.get_closest_marker("logs_traceback") is None:
        first = caught.records[0]
        pytest.fail(f"a traceback was logged: {first.name}: {first.getMessage()}", pytrace=False)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await upgrade(database)
    finally:
        await database.dispose()


async def _admin_sql(url: str, *statements: str) -> None:
    import asyncpg

    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        database=parsed.database,
        timeout=5,
    )
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    run(_migrate(f"sqlite:///{path}"))
    return path


def new_postgres(prefix: str = "rejoinder_test") -> Iterator[str]:
    """A new, migrated PostgreSQL database of its own, dropped when the generator ends; the
    test is skipped, naming the server, when PostgreSQL does not answer."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        run(_admin_sql(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any failure to reach the server
        pytest.skip(f"PostgreSQL server at {POSTGRES_URL} is not answering ({exc!r})")
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    run(_migrate(url))
    yield url
    run(_admin_sql(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own for this test run, dropped at the end."""
    yield from new_postgres()


def _empty_postgres(url: str) -> None:
    async def empty() -> None:
        database = Database(url)
        try:
            async with database.write() as connection:
                await connection.execute(
                    text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")
                )
                await connection.execute(
                    text(
                        "UPDATE sites SET moderation_mode = 'post', auto_close_days = NULL, "
                        "nudge = true"
                    )
                )
        finally:
            await database.dispose()

    run(empty())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "rejoinder.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def restore_empty_backup(
    request: pytest.FixtureRequest, database_url: str, sqlite_template: Path
) -> Callable[[], None]:
    """Puts the database back as restoring a backup taken before any data would: ids start
    again from 1. Call it only while no app has the database open."""

    def restore() -> None:
        if database_url.startswith("sqlite"):
            path = Path(make_url(database_url).database or "")
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
            shutil.copy(sqlite_template, path)
        else:
            _empty_postgres(database_url)

    return restore


@pytest.fixture
def make_settings(database_url: str) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "secret": "test-secret",
            # Most tests post far faster than a person; the rate-limit tests set their own.
            "rate_posts_per_address": (10_000, 60),
            "rate_posts_per_user": (10_000, 60),
            "rate_votes_per_address": (10_000, 60),
            # The test client stands for a proxy, so a test can send from any address with
            # X-Forwarded-For (tests.support.from_address).
            "trusted_proxies": ("testclient",),
        }
        values.update(overrides)
        return Settings(**values)

    return make


class Clock:
    """A clock tests can move forward, so time-based rules are tested without sleeping."""

    def __init__(self) -> None:
        self.offset_seconds = 0.0

    def advance(self, seconds: float) -> None:
        self.offset_seconds += seconds

    def __call__(self) -> datetime:
        from datetime import timedelta

        return datetime.now(UTC) + timedelta(seconds=self.offset_seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_client(
    make_settings: Callable[..., Settings], clock: Clock
) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        client = TestClient(create_app(make_settings(**overrides)), base_url=BASE_URL)
        client.__enter__()
        client.app.state.services.clock = clock
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


class Peek:
    """Reads the database directly, behind the API's back, to check what was really stored."""

    def __init__(self, url: str) -> None:
        self.url = url

    def scalar(self, sql: str, **params: Any) -> Any:
        async def query() -> Any:
            database = Database(self.url)
            try:
                async with database.read() as connection:
                    return await connection.scalar(text(sql), params)
            finally:
                await database.dispose()

        return run(query())

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        async def query() -> list[tuple[Any, ...]]:
            database = Database(self.url)
            try:
                async with database.read() as connection:
                    return [tuple(row) for row in await connection.execute(text(sql), params)]
            finally:
                await database.dispose()

        return run(query())

    def counts(self) -> dict[str, int]:
        return {table: self.scalar(f"SELECT count(*) FROM {table}") for table in DATA_TABLES}


@pytest.fixture
def peek(database_url: str) -> Peek:
    return Peek(database_url)


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on a free port, keeping what it is sent."""
    with SmtpSink() as running:
        yield running
