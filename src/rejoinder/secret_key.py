"""The signing secret, kept in the environment or a key file and not in the database.

The secret keys address hashes, edit tokens and voter cookies. Were it kept beside the data
it protects, a copy of the database alone would let anyone recompute every address hash by
enumerating an address range, so it lives in ``REJOINDER_SECRET`` or in a key file (mode
0600) that is backed up with the database but not inside it. Earlier versions stored it in
the ``meta`` table; the first start moves that value into the key file, so existing hashes,
edit tokens and voter cookies stay valid.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from rejoinder.store.meta import forget_stored_secret, stored_secret
from rejoinder.store.sqlite import file_path

if TYPE_CHECKING:
    from rejoinder.config import Settings
    from rejoinder.store.database import Database

DEFAULT_KEY_FILE = "rejoinder.key"
# How long to wait for a key file another process has created but not yet written.
_WRITE_WAIT_SECONDS = 5.0

log = logging.getLogger("rejoinder")


class SecretKeyError(RuntimeError):
    """The key file cannot be read, written, or disagrees with the database's old secret."""


def key_file(settings: Settings) -> Path:
    """Where the signing key lives: ``secret_file``, else ``<stem>.key`` beside a SQLite
    database file, else ``./rejoinder.key`` (PostgreSQL, or SQLite in memory)."""
    if settings.secret_file:
        return Path(settings.secret_file)
    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        return Path(DEFAULT_KEY_FILE)
    database_file = file_path(url.database) if url.get_backend_name() == "sqlite" else None
    if database_file is None:
        return Path(DEFAULT_KEY_FILE)
    path = Path(database_file)
    beside = path.with_name(f"{path.stem}.key")
    # A database itself named *.key must not be taken for its own key file.
    return beside if beside != path else path.with_name(f"{path.name}.key")


async def load_secret(settings: Settings, database: Database) -> str:
    """The signing secret: ``settings.secret``, else the key file's, else the one an earlier
    version stored in the database (moved into the key file), else a new one (written there).

    Processes starting at once agree: the key file is created exclusively, and whoever loses
    that race reads the winner's key. The database's copy is deleted only once the key file
    holds it.
    """
    if settings.secret is not None:
        async with database.write() as connection:
            forgotten = await forget_stored_secret(connection)
        if forgotten:
            log.warning(
                "deleted the signing secret stored in the database by an earlier version: "
                "REJOINDER_SECRET is set, so it was unused"
            )
        return settings.secret
    path = key_file(settings)
    async with database.read() as connection:
        stored = await stored_secret(connection)
    secret = await read_key_file(path)
    if secret is None:
        candidate = stored or secrets.token_urlsafe(48)
        secret = await write_key_file(path, candidate)
        if secret == candidate:
            done = "moved the database's signing secret" if stored else "wrote a new signing key"
            log.warning("%s to %s: back this file up with the database", done, path)
    if stored is None:
        return secret
    if secret != stored:
        # The stored secret is the one in use until now: refuse to drop it unasked.
        raise SecretKeyError(
            f"the key file {path} and the database hold different signing secrets. Delete "
            "the key file to keep the database's (it moves into a new key file), or set "
            "REJOINDER_SECRET to the one to keep"
        )
    async with database.write() as connection:
        await forget_stored_secret(connection)
    return secret


async def read_key_file(path: Path) -> str | None:
    """The key in the file, stripped; None if there is no file.

    A file that is still empty was just created by another process starting at the same
    moment, so it is read again until that process has written its key.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _WRITE_WAIT_SECONDS
    while (key := _read_key(path)) == "":
        if loop.time() > deadline:
            raise SecretKeyError(
                f"the signing key file {path} is empty: delete it to have a new key made, "
                "or put the key in it"
            )
        await asyncio.sleep(0.05)
    return key


async def write_key_file(path: Path, key: str) -> str:
    """Create the key file holding ``key`` (mode 0600); the key the file holds.

    The file is created with O_EXCL, so when another process created it first, its key is
    read and returned instead, and every process ends up with the same one.
    """
    while not _create_key_file(path, key):
        existing = await read_key_file(path)
        if existing is not None:  # else it was deleted again meanwhile: try once more
            return existing
    return key


def _read_key(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SecretKeyError(f"cannot read the signing key file {path}: {exc}") from exc


def _create_key_file(path: Path, key: str) -> bool:
    """Write ``key`` to a new file at ``path``; False if the file already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    except OSError as exc:
        raise SecretKeyError(
            f"cannot create the signing key file {path}: {exc}. Set REJOINDER_SECRET_FILE "
            "to a writable path, or REJOINDER_SECRET"
        ) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(key + "\n")
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        path.unlink(missing_ok=True)  # never leave an empty key file behind
        raise
    return True
