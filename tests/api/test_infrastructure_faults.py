"""Infrastructure faults are not bugs: 503, a named code and Retry-After, logged once.

Each driver exception a fault arrives as is classified (``fault_of``); then a fault injected
into a real app shows the whole promise: the error shape, one warning per episode, ``/healthz``
saying 503 until a write works again, and one "recovered" line.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
import redis.exceptions
from sqlalchemy.exc import DBAPIError, InternalError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from rejoinder.service.faults import fault_of
from tests.support import post


def _wrapped(orig: BaseException, kind: type[DBAPIError] = OperationalError) -> DBAPIError:
    """What SQLAlchemy raises around a driver's exception (asyncpg's sits in ``__cause__``)."""
    wrapper = kind("INSERT INTO comments ...", {"body": "private words"}, orig)
    wrapper.__cause__ = orig
    return wrapper


def _invalidated(orig: BaseException) -> DBAPIError:
    """What SQLAlchemy raises when the driver failed on a connection it finds closed: it
    invalidates the connection and says so, whatever the driver called the error."""
    wrapper = _wrapped(orig, InternalError)
    wrapper.connection_invalidated = True
    return wrapper


def _asyncpg(error: BaseException) -> DBAPIError:
    """asyncpg's exception inside the SQLAlchemy adapter's, inside SQLAlchemy's."""
    adapted = Exception(str(error))
    adapted.__cause__ = error
    return _wrapped(adapted)


FAULTS = {
    "sqlite full disk": (
        _wrapped(sqlite3.OperationalError("database or disk is full")),
        "storage_full",
    ),
    "sqlite locked": (_wrapped(sqlite3.OperationalError("database is locked")), "database_busy"),
    "sqlite bare full disk": (sqlite3.OperationalError("database or disk is full"), "storage_full"),
    "postgres connection lost": (
        _asyncpg(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")),
        "database_unavailable",
    ),
    "postgres starting up": (
        _asyncpg(asyncpg.exceptions.CannotConnectNowError("the database system is starting up")),
        "database_unavailable",
    ),
    "postgres shutting down": (
        _asyncpg(asyncpg.exceptions.AdminShutdownError("terminating connection")),
        "database_unavailable",
    ),
    # Seen when PostgreSQL was stopped under load: asyncpg, consuming the server's "terminating
    # connection", refused the next statement with an error of its own.
    "postgres gone mid-statement": (
        _invalidated(
            asyncpg.exceptions._base.InternalClientError(
                "cannot switch to state 13; another operation (2) is in progress"
            )
        ),
        "database_unavailable",
    ),
    "postgres refused": (
        _asyncpg(ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 1)")),
        "database_unavailable",
    ),
    "postgres refused, unwrapped": (
        ConnectionRefusedError(111, "Connect call failed"),
        None,  # not from a driver as far as anyone can tell: a bug
    ),
    "postgres disk full": (
        _asyncpg(asyncpg.exceptions.DiskFullError('could not extend file "base/1/2"')),
        "storage_full",
    ),
    "postgres lock timeout": (
        _asyncpg(asyncpg.exceptions.LockNotAvailableError("canceling statement: lock timeout")),
        "database_busy",
    ),
    "pool exhausted": (PoolTimeout("QueuePool limit reached"), "database_busy"),
    "redis away": (redis.exceptions.ConnectionError("Error 111 connecting"), "redis_unavailable"),
    "redis timeout": (redis.exceptions.TimeoutError("Timeout reading"), "redis_unavailable"),
    "a bug": (ValueError("oops"), None),
    "a bug in SQL": (_wrapped(sqlite3.OperationalError("no such column: nope")), None),
}


def _refused_by_asyncpg() -> BaseException:
    """What a connect to a port where nothing listens really raises (unwrapped by SQLAlchemy)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    try:
        asyncio.run(asyncpg.connect(f"postgresql://postgres@127.0.0.1:{port}/none", timeout=5))
    except OSError as error:
        return error
    raise AssertionError("something listens on a port just freed")


def test_a_refused_connect_from_the_driver_is_database_unavailable():
    fault = fault_of(_refused_by_asyncpg())
    assert fault is not None and fault.code == "database_unavailable"


@pytest.mark.parametrize("exception,code", FAULTS.values(), ids=FAULTS.keys())
def test_each_fault_is_named_with_a_retry_time(exception, code):
    fault = fault_of(exception)
    if code is None:
        assert fault is None
        return
    assert fault is not None
    assert fault.code == code
    assert fault.retry_after > 0
    assert "private words" not in fault.cause  # the log line never carries SQL parameters


def _failing(client, exception: BaseException, method: str = "write") -> list[bool]:
    """Make the app's database refuse every ``write()`` (or ``read()``) with ``exception``
    while ``[True]``."""
    db = client.app.state.services.db
    working = getattr(db, method)
    failing = [True]

    @asynccontextmanager
    async def refusing() -> AsyncIterator:
        if failing[0]:
            raise exception
        async with working() as connection:
            yield connection

    setattr(db, method, refusing)
    return failing


def _failing_writes(client, exception: BaseException) -> list[bool]:
    return _failing(client, exception)


def _faults_logged(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "rejoinder" and r.levelno >= logging.WARNING]


def test_full_disk_answers_503_logs_once_and_recovers(client, caplog):
    failing = _failing_writes(
        client, _wrapped(sqlite3.OperationalError("database or disk is full"))
    )
    caplog.set_level(logging.INFO, logger="rejoinder")
    for _ in range(3):
        response = post(client, "Written while the disk is full.")
        assert response.status_code == 503
        assert response.headers["Retry-After"].isdigit()
        assert response.json() == {
            "error": {
                "code": "storage_full",
                "message": response.json()["error"]["message"],
                "field": None,
            }
        }
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "storage_full"}
    assert "Retry-After" in health.headers
    logged = _faults_logged(caplog)
    assert len(logged) == 1 and "storage_full" in logged[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)  # no traceback per request

    failing[0] = False
    assert post(client, "Written once there is space.").status_code == 201
    recovered = _faults_logged(caplog)[-1].getMessage()
    assert "recovered after" in recovered and "3 requests refused" in recovered
    assert client.get("/healthz").status_code == 200


def test_healthz_write_probe_ends_a_full_disk_episode(client, caplog):
    failing = _failing_writes(
        client, _wrapped(sqlite3.OperationalError("database or disk is full"))
    )
    caplog.set_level(logging.INFO, logger="rejoinder")
    assert post(client, "Refused.").status_code == 503
    assert client.get("/healthz").status_code == 503  # the probe's write fails too
    failing[0] = False
    assert client.get("/healthz").status_code == 200  # no post needed: the probe wrote
    assert "1 requests refused" in _faults_logged(caplog)[-1].getMessage()


def test_database_away_answers_503_database_unavailable(client):
    _failing_writes(
        client, _asyncpg(asyncpg.exceptions.CannotConnectNowError("the database is starting up"))
    )
    response = post(client, "Refused.")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert int(response.headers["Retry-After"]) > 0


class _RedisAway:
    """A rate-limit counter whose Redis does not answer, until ``back``."""

    def __init__(self) -> None:
        self.back = False
        self._redis = self

    async def increment(self, key: str, period: int) -> tuple[int, int]:
        if not self.back:
            raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")
        return 1, period

    async def ping(self) -> bool:
        if not self.back:
            raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")
        return True


def test_redis_away_answers_503_until_it_answers_again(client, caplog):
    counter = _RedisAway()
    client.app.state.services.counter = counter
    caplog.set_level(logging.INFO, logger="rejoinder")
    response = post(client, "Refused.")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "redis_unavailable"
    assert client.get("/healthz").json()["database"] == "redis_unavailable"
    counter.back = True
    assert client.get("/healthz").status_code == 200
    assert post(client, "Accepted.").status_code == 201
    messages = [r.getMessage() for r in _faults_logged(caplog)]
    assert len(messages) == 2 and "recovered after" in messages[1]


@pytest.mark.logs_traceback
def test_a_bug_is_still_a_500_with_its_traceback(client, caplog):
    _failing_writes(client, ValueError("a bug"))
    response = post(client, "Hits a bug.")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal"
    assert any(r.exc_info for r in caplog.records)
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    "address",
    [
        "/articles/explained",
        "/fragments/comments?thread=explained",
        "/api/comments?thread=explained",
    ],
)
def test_a_page_read_while_the_database_is_away_is_503_then_served_again(
    client, database_url, tmp_path, address
):
    from tests.pages.test_site import store_article

    store_article(database_url, tmp_path, slug="explained")
    away = _asyncpg(asyncpg.exceptions.CannotConnectNowError("the database is starting up"))
    failing = _failing(client, away, "read")
    response = client.get(address)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    failing[0] = False
    assert client.get(address).status_code == 200  # no restart: the next read works


def test_a_preview_while_redis_is_away_is_503_until_it_answers_again(client):
    counter = _RedisAway()
    client.app.state.services.counter = counter
    response = client.post("/api/preview", json={"body": "Is this *bold*?"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "redis_unavailable"
    counter.back = True
    response = client.post("/api/preview", json={"body": "Is this *bold*?"})
    assert response.status_code == 200 and "<em>bold</em>" in response.json()["html"]
