"""``rejoinder backup`` and ``rejoinder restore``, and the daily backups a server takes when
``backup_dir`` is set.

Backups are named by the time they were taken (``rejoinder-20261206T220000Z.db`` on SQLite,
``.dump`` on PostgreSQL), so the newest is the last by name, and keeping the last N is
removing the others. The copying itself, and its check, is store/backups.py's.

Several server processes (``--workers``, or machines sharing a directory) agree on who takes
the day's backup through a kernel lock on a file in that directory: whoever holds it looks
at the newest backup's time and takes one only when it is a day old.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rejoinder.store import backups as backup_store
from rejoinder.store import exports
from rejoinder.store.backups import BackupError
from rejoinder.store.database import Database

log = logging.getLogger("rejoinder")

PREFIX = "rejoinder-"
STAMP = "%Y%m%dT%H%M%SZ"
DAY = timedelta(days=1)
LOOK_EVERY_SECONDS = 600.0
LOCK_NAME = ".rejoinder-backup.lock"

__all__ = ["BackupError", "DailyBackups", "backups_in", "restore_backup", "take_backup"]


def _suffix(db: Database) -> str:
    return ".db" if db.is_sqlite else ".dump"


def backups_in(directory: Path) -> list[Path]:
    """The backups in ``directory``, oldest first."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        ours = path.name.startswith(PREFIX) and path.suffix in (".db", ".dump")
        if ours and _taken_at(path) is not None:
            found.append(path)
    return sorted(found, key=lambda path: path.name)


def _taken_at(path: Path) -> datetime | None:
    try:
        return datetime.strptime(path.stem.removeprefix(PREFIX), STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


async def take_backup(
    db: Database, directory: Path, now: datetime, keep: int | None = None
) -> Path:
    """A checked backup in ``directory``; then only the newest ``keep`` are kept. The copy
    runs on a thread of its own: the server goes on answering (and writing) meanwhile."""
    return await asyncio.to_thread(_take, db, directory, now, keep)


def _take(db: Database, directory: Path, now: datetime, keep: int | None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{PREFIX}{now.astimezone(UTC):{STAMP}}{_suffix(db)}"
    if db.is_sqlite:
        if db.sqlite_file is None:
            raise BackupError("an in-memory database cannot be backed up")
        backup_store.sqlite_snapshot(db.sqlite_file, target)
    else:
        backup_store.postgres_dump(_url(db), target)
    if keep is not None:
        for old in backups_in(directory)[:-keep]:
            old.unlink(missing_ok=True)
    return target


def _url(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


async def restore_backup(db: Database, backup: Path) -> None:
    """Bring ``backup`` back into ``db`` (migrated), which must hold no data yet: the same
    tables an export's restore refuses to write over (``BackupError``)."""
    if db.is_sqlite and db.sqlite_file is None:
        raise BackupError("an in-memory database cannot be restored into")
    async with db.read() as connection:
        occupied = await exports.occupied(connection)
    if db.sqlite_file is not None:
        await asyncio.to_thread(backup_store.sqlite_restore, backup, db.sqlite_file, occupied)
    else:
        await asyncio.to_thread(backup_store.postgres_restore, backup, _url(db), occupied)


class DailyBackups:
    """A server's daily backup: every ten minutes, whoever holds the directory's lock takes
    one if the newest there is a day old. A failure is logged and tried again next time."""

    def __init__(self, db: Database, directory: Path, keep: int) -> None:
        self.db = db
        self.directory = directory
        self.keep = keep
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.once(datetime.now(UTC))
            except (BackupError, OSError) as error:
                log.error("daily backup failed, trying again in ten minutes: %s", error)
            await asyncio.sleep(LOOK_EVERY_SECONDS)

    async def once(self, now: datetime) -> Path | None:
        """Take the day's backup if it is due and no other process is taking it."""
        return await asyncio.to_thread(self._once, now)

    def _once(self, now: datetime) -> Path | None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / LOCK_NAME).open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None  # another process is taking it now
            taken = [_taken_at(path) for path in backups_in(self.directory)]
            newest = max((t for t in taken if t is not None), default=None)
            if newest is not None and now - newest < DAY:
                return None
            path = _take(self.db, self.directory, now, self.keep)
            log.info("daily backup written to %s", path)
            return path
