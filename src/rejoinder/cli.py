"""The ``rejoinder`` command: serve, migrate, demo, check, and the newsroom's ``article``,
``user``, ``import`` and ``webhook`` commands.

Settings are resolved here, once, from flags, the environment and an optional TOML file, and
handed to everything else. Worker processes started by ``serve --workers N`` receive the
resolved settings rather than re-reading the environment, so every worker agrees.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from rejoinder import __version__, cli_webhooks
from rejoinder.archives.opening import FORMATS
from rejoinder.config import SETTINGS, ConfigError, Settings

if TYPE_CHECKING:  # the app is imported only where one is built, not for every command
    from litestar import Litestar

_RESOLVED_ENV = "REJOINDER_RESOLVED_SETTINGS"
# prometheus-client's own variable (rejoinder.metrics.MULTIPROCESS_DIR_ENV), named here too
# so that nothing imports the library before the variable is set.
_METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {s.name: getattr(args, s.name, None) for s in SETTINGS}
    return Settings.load(os.environ, args.config, **overrides)


def _plain(markdown: str) -> str:
    """A setting's markdown description as ``--help`` text: no backticks or bold, a link to
    another page as ``docs/PAGE``, one within docs/configuration.md as its title there."""
    text = re.sub(
        r"\[([^\]]+)\]\(([^)#]*)(#[^)]*)?\)",
        lambda m: f"docs/{m[2]}" if m[2] else f'"{m[1]}" in docs/configuration.md',
        markdown,
    )
    return text.replace("`", "").replace("**", "").replace("%", "%%")


def _add_common(parser: argparse.ArgumentParser, *, every_setting: bool = False) -> None:
    """``--config``, and a flag for ``database_url`` or (``every_setting``) for every setting:
    ``--<name-with-dashes> VALUE``, winning over the environment and the file."""
    parser.add_argument("--config", help="TOML file with settings (or REJOINDER_CONFIG)")
    group = parser.add_argument_group(
        "settings", "each wins over its environment variable and the --config file"
    )
    for setting in (s for s in SETTINGS if every_setting or s.name == "database_url"):
        group.add_argument(
            setting.flag,
            dest=setting.name,
            metavar="VALUE",
            help=f"{_plain(setting.help)} ({setting.env}; default: {_plain(setting.default_text)})",
        )


def _add_server(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on")
    parser.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        help="do not log every request (for benchmarks, or when a proxy logs them)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rejoinder", description="Self-hosted discussions for news publishers."
    )
    parser.add_argument("--version", action="version", version=f"rejoinder {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="apply pending migrations, then serve")
    _add_common(serve, every_setting=True)
    _add_server(serve)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")

    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    _add_common(migrate)

    demo = commands.add_parser(
        "demo", help="load the reference article and its two comments, then serve"
    )
    _add_common(demo, every_setting=True)
    _add_server(demo)

    article = commands.add_parser("article", help="add, edit or list articles")
    article_commands = article.add_subparsers(dest="article_command", required=True)
    for name, help_text in (
        ("add", "add an article from a markdown file with +++ TOML front matter +++"),
        ("edit", "replace the article with the file's slug by the file's content"),
    ):
        sub = article_commands.add_parser(name, help=help_text)
        _add_common(sub)
        sub.add_argument("file", help="the article's markdown file")
    listing = article_commands.add_parser("list", help="list articles, newest first")
    _add_common(listing)

    user = commands.add_parser("user", help="add moderators and admins, list users")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    add_user = user_commands.add_parser(
        "add", help="add an admin or moderator who signs in to /admin with a password"
    )
    _add_common(add_user)
    add_user.add_argument("username")
    add_user.add_argument(
        "--role", choices=["admin", "moderator"], default="moderator", help="default moderator"
    )
    add_user.add_argument("--name", help="the name shown for them (default: the username)")
    add_user.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    password = user_commands.add_parser("password", help="set a user's password")
    _add_common(password)
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    users_list = user_commands.add_parser("list", help="list users and their roles")
    _add_common(users_list)

    archive = commands.add_parser(
        "import",
        help="import a Disqus, WordPress, Isso, Remark42 or Commento archive (safe to run "
        "again), or restore a Rejoinder export into an empty database",
    )
    _add_common(archive)
    archive.add_argument(
        "format",
        choices=["auto", *FORMATS, "rejoinder"],
        help="the file's format; rejoinder (an export of ours) restores into an empty database",
    )
    archive.add_argument("file", help="the archive, gzipped or not")
    archive.add_argument(
        "--site-origin", help="origin for links the archive keeps as paths: https://news.example"
    )
    archive.add_argument(
        "--map", dest="key_map", help="CSV of old thread key or URL, new key (for moved sites)"
    )
    archive.add_argument(
        "--dry-run", action="store_true", help="report what the import would do; write nothing"
    )

    export = commands.add_parser(
        "export",
        help="write everything the site owns to a gzipped JSON Lines file (docs/backup.md)",
    )
    _add_common(export)
    export.add_argument("file", help="where to write it (gzipped; .jsonl.gz by custom)")
    export.add_argument("--site", help="only this site's threads and articles (its slug)")
    export.add_argument(
        "--since", help="only what was written or changed since this date (2026-01-31)"
    )

    backup = commands.add_parser(
        "backup", help="write a checked copy of the whole database while the server runs"
    )
    _add_common(backup)
    backup.add_argument(
        "dir", nargs="?", help="the directory for it (default: the backup_dir setting)"
    )
    backup.add_argument("--keep", type=int, help="then keep only the newest N backups there")
    restore = commands.add_parser(
        "restore", help="bring a backup back into an empty database (docs/backup.md)"
    )
    _add_common(restore)
    restore.add_argument("file", help="a backup that rejoinder backup wrote")

    cli_webhooks.add_parser(commands, _add_common)

    check = commands.add_parser(
        "check", help="print the resolved configuration and whether the database and Redis answer"
    )
    _add_common(check, every_setting=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
    except ConfigError as exc:
        print(f"rejoinder: {exc}", file=sys.stderr)
        return 2
    command = {
        "serve": _serve,
        "migrate": _migrate,
        "demo": _demo,
        "check": _check,
        "article": _article,
        "user": _user,
        "import": _import,
        "export": _export,
        "backup": _backup,
        "restore": _restore,
        "webhook": cli_webhooks.run,
    }[args.command]
    try:
        return command(settings, args)
    except ValueError as exc:  # e.g. an unsupported database URL
        print(f"rejoinder: {exc}", file=sys.stderr)
        return 2


def _migrate(settings: Settings, _: argparse.Namespace) -> int:
    before, after = asyncio.run(_run_migrations(settings))
    if before == after:
        print(f"database is up to date (revision {after})")
    else:
        print(f"migrated database from {before or 'empty'} to {after}")
    return 0


async def _run_migrations(settings: Settings) -> tuple[str | None, str | None]:
    from rejoinder.store.database import Database
    from rejoinder.store.migrate import upgrade

    database = Database(settings.database_url)
    try:
        return await upgrade(database)
    finally:
        await database.dispose()


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    _migrate(settings, args)
    return _run_server(settings, args.host, args.port, args.workers, args.access_log)


def _run_server(settings: Settings, host: str, port: int, workers: int, access_log: bool) -> int:
    resolved = dataclasses.asdict(settings)
    resolved.pop("sources")
    os.environ[_RESOLVED_ENV] = json.dumps(resolved)
    # A fresh directory for this run's metrics (rejoinder/metrics.py), named before the
    # metrics library is first imported, here or in a worker: a file left by an earlier run
    # would add its counts to this one's.
    if "prometheus_client" in sys.modules:  # too late: this process would count in memory
        raise RuntimeError("the metrics library was imported before its directory was named")
    metrics_dir = tempfile.mkdtemp(prefix="rejoinder-metrics-")
    os.environ[_METRICS_DIR_ENV] = metrics_dir

    def remove_then_die(signum: int, _: Any) -> None:
        # One process serving dies of the SIGTERM it shut down for (uvicorn raises it again
        # once the server has stopped), which skips the ``finally`` below.
        shutil.rmtree(metrics_dir, ignore_errors=True)
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)

    signal.signal(signal.SIGTERM, remove_then_die)
    from rejoinder.serving import serve

    print(f"serving on http://{host}:{port} ({workers} worker{'s' if workers > 1 else ''})")
    try:
        return serve(
            settings,
            "rejoinder.cli:worker_app",
            host=host,
            port=port,
            workers=workers,
            access_log=access_log,
            metrics_dir=metrics_dir,
        )
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def worker_app() -> Litestar:
    """The app of one server process, built from the settings its parent resolved."""
    from rejoinder.app import create_app

    values = json.loads(os.environ[_RESOLVED_ENV])
    for name, value in values.items():
        if isinstance(value, list):
            values[name] = tuple(value)
    return create_app(Settings(**values), metrics_dir=os.environ.get(_METRICS_DIR_ENV))


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from rejoinder.demo import load_demo

    _migrate(settings, args)
    loaded = asyncio.run(load_demo(settings, site_url=f"http://{args.host}:{args.port}"))
    print(loaded)
    return _run_server(settings, args.host, args.port, 1, args.access_log)


def _article(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from rejoinder.domain.articles import parse_article
    from rejoinder.domain.errors import RejoinderError

    try:
        draft = None
        if args.article_command != "list":
            path = Path(args.file)
            draft = parse_article(path.read_text(encoding="utf-8"), base=path.parent)
        for line in asyncio.run(_article_command(settings, args.article_command, draft)):
            print(line)
    except OSError as exc:
        print(f"rejoinder article: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    except RejoinderError as exc:
        where = f" ({exc.field})" if exc.field else ""
        print(f"rejoinder article: {exc.message}{where}", file=sys.stderr)
        return 1
    return 0


async def _article_command(settings: Settings, command: str, draft: Any) -> list[str]:
    from datetime import UTC, datetime

    from rejoinder.store import articles
    from rejoinder.store.database import Database

    database = Database(settings.database_url)
    try:
        if command == "list":
            async with database.read() as connection:
                found = await articles.latest_articles(connection, limit=1000)
            return [f"{a.slug}\t{a.published_at:%Y-%m-%d}\t{a.headline}" for a in found]
        save = articles.add_article if command == "add" else articles.replace_article
        async with database.write() as connection:
            stored = await save(connection, draft, datetime.now(UTC))
        verb = "added" if command == "add" else "updated"
        return [f"{verb} article {stored.slug!r}: {stored.headline}"]
    finally:
        await database.dispose()


def _import(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from rejoinder.archives.opening import detect, reader
    from rejoinder.domain.archive import ArchiveError
    from rejoinder.service import importing

    path = Path(args.file)
    if args.format == "rejoinder" or (args.format == "auto" and _is_export(path)):
        return _restore_export(settings, path, args.dry_run)
    try:
        key_map = _key_map(Path(args.key_map)) if args.key_map else {}
        name = detect(path) if args.format == "auto" else args.format
        read = reader(name, path)
        with _progress(f"checking {path.name}") as progress:
            entries = importing.check(read, progress)
        options = importing.ImportOptions(args.site_origin, key_map, args.dry_run)
        with _progress(f"importing {entries:,} entries") as progress:
            summary = asyncio.run(_run_import(settings, name, read, options, progress))
    except (ArchiveError, OSError) as error:
        return _refused(error, "imported")
    for line in importing.summary_lines(summary):
        print(line)
    return 0


def _refused(error: Exception, verb: str) -> int:
    """An import or restore that stopped before writing: why, and that nothing was written."""
    if isinstance(error, OSError):
        print(f"rejoinder import: cannot read {error.filename}: {error.strerror}", file=sys.stderr)
    else:
        print(f"rejoinder import: {error}", file=sys.stderr)
        print(f"rejoinder import: nothing was {verb}", file=sys.stderr)
    return 1


def _is_export(path: Any) -> bool:
    from rejoinder.archives.opening import opened
    from rejoinder.service.exporting import looks_like

    try:
        with opened(path) as source:
            return looks_like(source.read(4096))
    except (OSError, EOFError):
        return False


def _restore_export(settings: Settings, path: Any, dry_run: bool) -> int:
    from rejoinder.domain.archive import ArchiveError
    from rejoinder.service import exporting

    try:
        with _progress(f"checking {path.name}") as progress:
            counts = exporting.check(path, progress)
        if not dry_run:
            with _progress(f"restoring {counts.total():,} records") as progress:
                asyncio.run(_run_restore(settings, path, progress))
    except (ArchiveError, OSError) as error:
        return _refused(error, "restored")
    verb = "would restore" if dry_run else "restored"
    print(f"{verb} {counts.total():,} records from {path.name}")
    for kind, n in counts.items():
        print(f"  {kind}: {n:,}")
    if dry_run:
        print("dry run: nothing was written")
    return 0


async def _run_restore(settings: Settings, path: Any, progress: Any) -> None:
    from rejoinder.service.exporting import restore_from
    from rejoinder.store.database import Database

    await _run_migrations(settings)
    database = Database(settings.database_url)
    try:
        await restore_from(database, path, progress)
    finally:
        await database.dispose()


def _export(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import UTC, datetime
    from pathlib import Path

    from rejoinder.domain.archive import ArchiveError

    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            print(f"rejoinder export: --since {args.since!r} is not a date", file=sys.stderr)
            return 2
        since = since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)
    path = Path(args.file)
    try:
        with _progress(f"exporting to {path.name}") as progress:
            counts = asyncio.run(_run_export(settings, path, args.site, since, progress))
    except ArchiveError as error:
        print(f"rejoinder export: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"rejoinder export: cannot write {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"exported {counts.total():,} records to {path}")
    for kind, n in counts.items():
        print(f"  {kind}: {n:,}")
    return 0


async def _run_export(
    settings: Settings, path: Any, site: str | None, since: Any, progress: Any
) -> Any:
    from datetime import UTC, datetime

    from rejoinder.service.exporting import export_to
    from rejoinder.store.database import Database

    await _run_migrations(settings)
    database = Database(settings.database_url)
    try:
        return await export_to(
            database, path, now=datetime.now(UTC), site=site, since=since, progress=progress
        )
    finally:
        await database.dispose()


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import UTC, datetime
    from pathlib import Path

    from rejoinder.service.backups import BackupError, take_backup

    directory = args.dir or settings.backup_dir
    if not directory:
        print("rejoinder backup: name a directory, or set backup_dir", file=sys.stderr)
        return 2
    if args.keep is not None and args.keep < 1:
        print("rejoinder backup: --keep must be at least 1", file=sys.stderr)
        return 2

    async def run() -> Path:
        database = await _open_migrated(settings)
        try:
            return await take_backup(database, Path(directory), datetime.now(UTC), args.keep)
        finally:
            await database.dispose()

    try:
        path = asyncio.run(run())
    except (BackupError, OSError) as error:
        print(f"rejoinder backup: {error}", file=sys.stderr)
        return 1
    print(f"backup written to {path} ({path.stat().st_size:,} bytes, checked)")
    return 0


async def _open_migrated(settings: Settings) -> Any:
    from rejoinder.store.database import Database

    await _run_migrations(settings)
    return Database(settings.database_url)


def _restore(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from rejoinder.service.backups import BackupError, restore_backup

    async def run() -> None:
        database = await _open_migrated(settings)  # an empty schema, told empty
        try:
            await restore_backup(database, Path(args.file))
        finally:
            await database.dispose()

    try:
        asyncio.run(run())
    except (BackupError, OSError) as error:
        print(f"rejoinder restore: {error}", file=sys.stderr)
        print("rejoinder restore: nothing was restored", file=sys.stderr)
        return 1
    before, after = asyncio.run(_run_migrations(settings))
    print(f"restored {args.file}" + (f" (migrated to {after})" if before != after else ""))
    return 0


def _key_map(path: Any) -> dict[str, str]:
    """The ``--map`` file: one ``old,new`` pair a line (a header line is allowed)."""
    from rejoinder.domain.archive import ArchiveError
    from rejoinder.service.importing import key_map

    with path.open(newline="", encoding="utf-8") as source:
        try:
            return key_map(source)
        except ArchiveError as error:
            raise ArchiveError(f"{path}: {error.message}", error.line) from None


async def _run_import(settings: Settings, name: str, read: Any, options: Any, progress: Any) -> Any:
    from datetime import UTC, datetime

    from rejoinder.service.importing import import_archive
    from rejoinder.store.database import Database

    await _run_migrations(settings)
    database = Database(settings.database_url)
    try:
        return await import_archive(database, name, read, options, datetime.now(UTC), progress)
    finally:
        await database.dispose()


def _progress(label: str) -> Any:
    """A progress bar on a terminal (rich); on anything else, a plain line now and then."""
    from contextlib import contextmanager

    @contextmanager
    def plain() -> Iterator[Callable[[int], None]]:
        def tell(done: int) -> None:
            if done % 100_000 == 0:
                print(f"{label}: {done:,}", file=sys.stderr, flush=True)

        yield tell

    @contextmanager
    def bar() -> Iterator[Callable[[int], None]]:
        from rich.progress import Progress

        with Progress(transient=True) as shown:
            task = shown.add_task(label, total=None)
            yield lambda done: shown.update(task, completed=done)

    return bar() if sys.stderr.isatty() else plain()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _user(settings: Settings, args: argparse.Namespace) -> int:
    from rejoinder.domain.errors import RejoinderError

    try:
        secret = None
        if args.user_command in ("add", "password"):
            from rejoinder.domain.passwords import check_new_password

            secret = _read_password(args.password_stdin)
            check_new_password(secret)
        for line in asyncio.run(_user_command(settings, args, secret)):
            print(line)
    except RejoinderError as exc:
        print(f"rejoinder user: {exc.message}", file=sys.stderr)
        return 1
    return 0


async def _user_command(
    settings: Settings, args: argparse.Namespace, secret: str | None
) -> list[str]:
    from datetime import UTC, datetime

    from rejoinder.domain.errors import Problem, RejoinderError
    from rejoinder.domain.identity import Role, format_roles
    from rejoinder.domain.names import clean_author_name
    from rejoinder.domain.passwords import hash_password
    from rejoinder.store import users
    from rejoinder.store.database import Database

    database = Database(settings.database_url)
    try:
        if args.user_command == "list":
            async with database.read() as connection:
                found = await users.list_users(connection)
            return [
                f"{u.id}\t{u.username or '(sso) ' + (u.sso_subject or '')}\t{u.display_name}"
                f"\t{format_roles(u.roles)}"
                for u in found
            ]
        assert secret is not None
        async with database.write() as connection:
            if args.user_command == "password":
                found_user = await users.credentials(connection, args.username)
                if found_user is None:
                    raise RejoinderError(
                        Problem.NOT_FOUND, "not_found", f"There is no user {args.username!r}."
                    )
                await users.set_password(connection, found_user.user.id, hash_password(secret))
                return [f"password changed for {args.username!r}"]
            username = clean_author_name(args.username, "username")
            roles = frozenset({Role(args.role), Role.STAFF})
            added = await users.add_user(
                connection,
                username=username,
                display_name=clean_author_name(args.name or username, "name"),
                roles=roles,
                password_hash=hash_password(secret),
                now=datetime.now(UTC),
            )
        return [f"added {args.role} {added.username!r} (user {added.id})"]
    finally:
        await database.dispose()


def _check(settings: Settings, _: argparse.Namespace) -> int:
    print(f"rejoinder {__version__}")
    width = max(len(s.name) for s in SETTINGS)
    for name, shown, source in settings.describe():
        print(f"  {name:<{width}}  {shown}  [{source}]")
    database_ok, database_line = asyncio.run(_check_database(settings))
    print(f"database: {database_line}")
    redis_ok, redis_line = asyncio.run(_check_redis(settings))
    print(f"redis: {redis_line}")
    return 0 if database_ok and redis_ok else 1


async def _check_database(settings: Settings) -> tuple[bool, str]:
    from sqlalchemy import text

    from rejoinder.store.database import Database
    from rejoinder.store.migrate import current_revision, head_revision

    database = Database(settings.database_url)
    try:
        async with database.read() as connection:
            await connection.execute(text("SELECT 1"))
        revision = await current_revision(database)
    except Exception as exc:  # report any failure to connect, whatever the driver raises
        return False, f"NOT answering ({type(exc).__name__}: {exc})"
    finally:
        await database.dispose()
    head = head_revision()
    state = "up to date" if revision == head else f"needs `rejoinder migrate` (at {revision})"
    return True, f"answers ({database.dialect}, schema {state})"


def _without_redis(database_url: str) -> str:
    """What the processes share when there is no Redis, as ``service/publishing.event_log``
    and ``service/services.open_services`` choose: live events go through the database,
    unless no other process can open it; rate limits are each process's own."""
    from sqlalchemy.engine import make_url

    from rejoinder.store.sqlite import file_path

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and file_path(url.database) is None:
        return "the database is in memory: live events reach this process's readers only"
    return (
        "live events reach every process's readers through the database's live_events "
        "table; rate limits are counted per process"
    )


async def _check_redis(settings: Settings) -> tuple[bool, str]:
    url = settings.redis_url
    if not url:
        return True, f"not configured ({_without_redis(settings.database_url)})"
    import redis.asyncio as aioredis

    client = aioredis.from_url(url, socket_connect_timeout=3)
    try:
        await client.ping()
    except Exception as exc:  # any failure to reach Redis
        return False, f"NOT answering at {url} ({type(exc).__name__}: {exc})"
    finally:
        await client.aclose()
    return True, f"answers at {url}"
