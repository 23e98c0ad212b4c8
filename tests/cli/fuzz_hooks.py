"""Schemathesis hooks for the API fuzzing run: what it checks beyond the OpenAPI document.

Loaded by ``schemathesis run`` (see ``fuzz.toml``), in its own process, with the
database under test in ``REJOINDER_DATABASE_URL``. It adds two promises to the built-in
checks:

- every refusal (4xx) is the one error shape, ``{"error": {"code", "message", "field"}}``;
- a refused write changes no table: each write is bracketed by a digest of every table, and
  a 4xx whose digests differ fails the case. The run uses one worker, and each write taken
  is given time to finish its after-answer work, so no other request writes in between.

It also counts the requests sent, into ``REJOINDER_FUZZ_COUNT_FILE``, for the test's report.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import json
import os
import sqlite3
import time

import schemathesis
from sqlalchemy.engine import make_url

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Tables a refused request may still touch: none today. Listed here, with the reason, if ever.
MAY_CHANGE: frozenset[str] = frozenset({"alembic_version"})

_url = make_url(os.environ["REJOINDER_DATABASE_URL"])
_count_file = os.environ.get("REJOINDER_FUZZ_COUNT_FILE")
_reader = os.environ.get("REJOINDER_FUZZ_READER")
_sent = 0
_answers: dict[str, dict[str, int]] = {}
_before: dict[int, dict[str, str]] = {}


def _sqlite_digest() -> dict[str, str]:
    connection = sqlite3.connect(f"file:{_url.database}?mode=ro", uri=True)
    try:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
            if name not in MAY_CHANGE and "_fts" not in name
        ]
        digests = {}
        for table in tables:
            digest = hashlib.sha256()
            rows = connection.execute(f'SELECT * FROM "{table}"').fetchall()
            for row in sorted(map(repr, rows)):
                digest.update(row.encode())
            digests[table] = digest.hexdigest()
        return digests
    finally:
        connection.close()


class _Postgres:
    """One connection on a private event loop: the hooks are called synchronously."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.connection = None

    def digest(self) -> dict[str, str]:
        return self.loop.run_until_complete(self._digest())

    async def _digest(self) -> dict[str, str]:
        import asyncpg

        if self.connection is None or self.connection.is_closed():
            self.connection = await asyncpg.connect(
                host=_url.host, port=_url.port or 5432, user=_url.username, database=_url.database
            )
        tables = [
            row["tablename"]
            for row in await self.connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
            if row["tablename"] not in MAY_CHANGE
        ]
        parts = " UNION ALL ".join(
            f"SELECT '{table}' AS t, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), ''))"
            f' AS d FROM "{table}" AS x'
            for table in tables
        )
        return {row["t"]: row["d"] for row in await self.connection.fetch(parts)}


_postgres = _Postgres() if _url.drivername.startswith("postgres") else None


def digest() -> dict[str, str]:
    """A digest of each table's rows, by table name."""
    return _postgres.digest() if _postgres else _sqlite_digest()


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    """Sign each request as its caller would: the publisher's endpoints with the admin token,
    the reader's with a reader token (a bearer token there would be a sign-on token)."""
    headers = case.headers if case.headers is not None else {}
    if case.path.startswith("/api/articles"):
        headers.setdefault("Authorization", f"Bearer {os.environ['REJOINDER_ADMIN_TOKEN']}")
    elif _reader:
        headers.setdefault("X-Rejoinder-Reader", _reader)
    case.headers = headers
    if case.method.upper() in WRITES:
        _before[id(case)] = digest()


@schemathesis.hook
def after_call(context, case, response) -> None:
    global _sent
    _sent += 1
    answer = str(response.status_code)
    if response.status_code >= 400:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            answer += " " + response.json()["error"]["code"]
    tally = _answers.setdefault(f"{case.method.upper()} {case.path}", {})
    tally[answer] = tally.get(answer, 0) + 1
    if _count_file and _sent % 100 == 0:
        _write_count()
    if case.method.upper() in WRITES and response.status_code < 300:
        _settle()


def _settle() -> None:
    """Wait until the tables stop changing after a write that was taken.

    Its live events are stored just after the answer goes out, so without this the next
    request's "before" digest could be taken halfway and a refusal blamed for them.
    """
    deadline = time.monotonic() + 2
    last = digest()
    while time.monotonic() < deadline:
        time.sleep(0.03)
        now = digest()
        if now == last:
            return
        last = now


def _write_count() -> None:
    """How many requests were sent, and what each operation answered (status and code)."""
    with open(_count_file, "w") as out:
        json.dump({"requests": _sent, "answers": _answers}, out, indent=1, sort_keys=True)


@schemathesis.check
def one_error_shape(ctx, response, case) -> None:
    """Every 4xx and 5xx answer is ``{"error": {"code", "message", "field"}}``."""
    if response.status_code < 400 or case.path == "/healthz":
        return
    try:
        body = response.json()
    except ValueError as exc:
        raise AssertionError(f"A {response.status_code} whose body is not JSON") from exc
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or set(error) != {"code", "message", "field"}:
        raise AssertionError(f"A {response.status_code} not in the error shape: {body!r}")
    if not isinstance(error["code"], str) or not isinstance(error["message"], str):
        raise AssertionError(f"An error without a code and a message: {body!r}")


@schemathesis.check
def refused_write_changes_nothing(ctx, response, case) -> None:
    """A 4xx to a write leaves every table as it was."""
    before = _before.pop(id(case), None)
    if before is None or not 400 <= response.status_code < 500:
        return
    after = digest()
    changed = sorted(
        table for table in after.keys() | before.keys() if after.get(table) != before.get(table)
    )
    if changed:
        raise AssertionError(
            f"{case.method} {case.path} was refused ({response.status_code}) "
            f"yet these tables changed: {', '.join(changed)}"
        )


atexit.register(lambda: _count_file and _write_count())
