"""Backups of the whole database, taken while the server writes, and brought back.

SQLite: ``VACUUM INTO`` writes a compact copy of one read snapshot (WAL lets writers go on
meanwhile, and nothing written after the snapshot began is in it, nothing before it missing),
which is then checked with ``PRAGMA integrity_check`` before it gets its name. PostgreSQL:
``pg_dump`` in its custom format, one consistent snapshot too, checked by listing it with
``pg_restore --list``. A restore goes only into a database that holds nothing yet; the
caller migrates it afterwards, so a backup from an older release comes back up to date.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from rejoinder.store.sqlite import BUSY_TIMEOUT_MS


class BackupError(Exception):
    """A backup could not be taken, checked or restored; the message says why and what to do."""


def sqlite_snapshot(database: str, target: Path) -> None:
    """Copy the SQLite database at ``database`` to ``target``, whole and checked."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(database, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        source.execute("VACUUM INTO ?", (str(partial),))
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"could not copy {database}: {error}") from None
    finally:
        source.close()
    try:
        check_sqlite(partial)
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)


def check_sqlite(path: Path) -> None:
    """``BackupError`` unless ``path`` is a sound SQLite database of Rejoinder's."""
    try:
        copy = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(f"cannot open {path}: {error}") from None
    try:
        verdict = copy.execute("PRAGMA integrity_check").fetchall()
        if verdict != [("ok",)]:
            raise BackupError(f"{path} fails integrity_check: {verdict[:5]}")
        tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not an SQLite database ({error})") from None
    finally:
        copy.close()
    if "alembic_version" not in tables or "comments" not in tables:
        raise BackupError(f"{path} is an SQLite database, but not Rejoinder's")


def sqlite_restore(backup: Path, database: str, occupied: list[str]) -> None:
    """Write a checked backup over the database at ``database``, which holds no data
    (``occupied`` says what it holds), through SQLite's backup API, so a database file in
    WAL mode is replaced as SQLite itself would."""
    check_sqlite(backup)
    if occupied:
        raise _not_empty(occupied)
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    target = sqlite3.connect(database, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _not_empty(occupied: list[str]) -> BackupError:
    return BackupError(
        f"the database is not empty (it holds {', '.join(occupied)}): a restore replaces "
        "everything, so it goes only into a new, empty database"
    )


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: PostgreSQL backups use it "
            "(Debian: apt-get install postgresql-client, of the server's major version or newer)"
        )
    return found


def _libpq(url: str) -> str:
    """The database URL as libpq's tools read it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def postgres_dump(url: str, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    try:
        _run(
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), _libpq(url)]
        )
        _run([_tool("pg_restore"), "--list", str(partial)])
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)


def postgres_restore(backup: Path, url: str, occupied: list[str]) -> None:
    """Bring a ``pg_dump`` back into the database at ``url``, which holds no data
    (``occupied`` says what it holds): its empty tables go first, in one transaction."""
    if occupied:
        raise _not_empty(occupied)
    _run([_tool("pg_restore"), "--list", str(backup)])
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            _libpq(url),
            str(backup),
        ]
    )
