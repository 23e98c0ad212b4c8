"""The signing secret lives in the environment or a key file, not in the database."""

from __future__ import annotations

import asyncio
import logging
import secrets
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from rejoinder import secret_key
from rejoinder.config import Settings
from rejoinder.secret_key import SecretKeyError, key_file, load_secret, write_key_file
from rejoinder.service.signing import Signer
from rejoinder.store.database import Database
from tests.conftest import Peek, run

STORED_SECRET = "SELECT count(*) FROM meta WHERE key = 'secret'"


async def _start(settings: Settings) -> str:
    """What one process's startup loads."""
    database = Database(settings.database_url)
    try:
        return await load_secret(settings, database)
    finally:
        await database.dispose()


async def _store_secret_as_before(database_url: str, value: str) -> None:
    """Leave the database as an earlier version left it: the secret in the meta table."""
    database = Database(database_url)
    try:
        async with database.write() as connection:
            await connection.execute(
                text("INSERT INTO meta (key, value) VALUES ('secret', :value)"), {"value": value}
            )
    finally:
        await database.dispose()


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], tmp_path: Path, database_url: str
) -> Iterator[Settings]:
    """A server with no REJOINDER_SECRET, its key file under tmp_path, no secret stored yet."""

    async def forget() -> None:
        database = Database(database_url)
        try:
            async with database.write() as connection:
                await connection.execute(text("DELETE FROM meta WHERE key = 'secret'"))
        finally:
            await database.dispose()

    (tmp_path / "keys").mkdir()
    run(forget())  # the PostgreSQL test database is shared by the whole run
    yield make_settings(secret=None, secret_file=str(tmp_path / "keys" / "rejoinder.key"))
    run(forget())


@pytest.mark.parametrize(
    ("database_url", "path"),
    [
        ("sqlite:///./rejoinder.db", "rejoinder.key"),
        ("sqlite:///data/comments.db", "data/comments.key"),
        ("sqlite:////srv/rejoinder/comments.db", "/srv/rejoinder/comments.key"),
        ("sqlite:////srv/rejoinder/comments", "/srv/rejoinder/comments.key"),
        ("sqlite:////srv/rejoinder/odd.key", "/srv/rejoinder/odd.key.key"),
        ("sqlite:///:memory:", "rejoinder.key"),
        ("sqlite://", "rejoinder.key"),
        ("postgresql://rejoinder@db.internal/rejoinder", "rejoinder.key"),
    ],
)
def test_the_key_file_defaults_to_beside_a_sqlite_file_else_the_working_folder(database_url, path):
    assert key_file(Settings(database_url=database_url)) == Path(path)


def test_secret_file_names_the_key_file_and_check_shows_it():
    settings = Settings.load({"REJOINDER_SECRET_FILE": "/etc/rejoinder/signing.key"})
    assert key_file(settings) == Path("/etc/rejoinder/signing.key")
    assert ("secret_file", "/etc/rejoinder/signing.key", "REJOINDER_SECRET_FILE") in (
        settings.describe()
    )
    default = Settings.load({"REJOINDER_DATABASE_URL": "sqlite:////srv/comments.db"})
    assert ("secret_file", "/srv/comments.key", "default") in default.describe()


def test_a_fresh_install_writes_a_key_file_and_stores_no_secret_in_the_database(
    settings, peek: Peek
):
    secret = run(_start(settings))
    path = Path(settings.secret_file)
    assert path.read_text().strip() == secret and len(secret) >= 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert peek.scalar(STORED_SECRET) == 0
    assert run(_start(settings)) == secret


def test_an_upgrade_moves_the_stored_secret_into_the_key_file(settings, peek: Peek, make_client):
    old = secrets.token_urlsafe(48)
    run(_store_secret_as_before(settings.database_url, old))
    before = Signer(old)

    after = make_client(secret=None, secret_file=settings.secret_file).app.state.services.signer

    assert Path(settings.secret_file).read_text().strip() == old
    assert peek.scalar(STORED_SECRET) == 0
    assert after.address_hash("203.0.113.5") == before.address_hash("203.0.113.5")
    assert after.edit_token(7) == before.edit_token(7)


def test_rejoinder_secret_wins_and_no_key_file_is_written(settings, peek: Peek, caplog):
    run(_store_secret_as_before(settings.database_url, "left-by-an-earlier-version"))
    chosen = replace(settings, secret="from-the-environment")

    with caplog.at_level(logging.WARNING, logger="rejoinder"):
        assert run(_start(chosen)) == "from-the-environment"
        assert run(_start(chosen)) == "from-the-environment"

    assert not Path(settings.secret_file).exists()
    assert peek.scalar(STORED_SECRET) == 0
    assert caplog.text.count("REJOINDER_SECRET is set, so it was unused") == 1


@pytest.mark.parametrize("upgrade", [False, True], ids=["fresh", "upgrade"])
def test_concurrent_first_starts_agree_on_one_key(settings, peek: Peek, monkeypatch, upgrade):
    """Every start finds no key file, and only then do they all try to create it at once."""
    old = secrets.token_urlsafe(48) if upgrade else None
    if old:
        run(_store_secret_as_before(settings.database_url, old))
    starting = 6
    all_found_none = threading.Barrier(starting, timeout=30)
    created: list[bool] = []
    create = secret_key._create_key_file

    def create_together(path: Path, key: str) -> bool:
        all_found_none.wait()
        created.append(create(path, key))
        return created[-1]

    monkeypatch.setattr(secret_key, "_create_key_file", create_together)
    loaded: list[str] = []
    threads = [
        threading.Thread(target=lambda: loaded.append(asyncio.run(_start(settings))))
        for _ in range(starting)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(created) == [False] * (starting - 1) + [True]
    assert len(loaded) == starting and len(set(loaded)) == 1
    assert Path(settings.secret_file).read_text().strip() == loaded[0]
    assert old is None or loaded[0] == old
    assert peek.scalar(STORED_SECRET) == 0


def test_a_key_file_that_appears_meanwhile_is_read_instead(tmp_path):
    path = tmp_path / "rejoinder.key"
    path.write_text("written-by-the-other-process\n")
    assert run(write_key_file(path, "mine")) == "written-by-the-other-process"
    assert path.read_text() == "written-by-the-other-process\n"


def test_a_key_file_that_stays_empty_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(secret_key, "_WRITE_WAIT_SECONDS", 0.0)
    path = tmp_path / "rejoinder.key"
    path.touch()
    with pytest.raises(SecretKeyError, match="is empty"):
        run(secret_key.read_key_file(path))


def test_a_key_file_that_disagrees_with_the_stored_secret_is_refused(settings, peek: Peek):
    """Using the file would silently drop the key every hash and token was made with."""
    Path(settings.secret_file).write_text("some-other-key\n")
    run(_store_secret_as_before(settings.database_url, "the-key-in-use"))
    with pytest.raises(SecretKeyError, match="different signing secrets"):
        run(_start(settings))
    assert peek.scalar(STORED_SECRET) == 1
