"""Rejoinder's own export: everything a newsroom owns, in gzipped JSON Lines, and the restore
that brings it back into an empty database (on SQLite or PostgreSQL, whichever wrote it).

The file's first line says what it is (``{"format": "rejoinder-export", "version": 1, …}``),
each line after it is one record (``{"type": "comment", "id": 7, …}``), in the order a
restore writes them, and the last says how many came before it (``{"type": "end", …}``), so
a file cut short is told from a whole one. docs/backup.md lists every record's fields.

A restore reads the file twice, as the importers do: the first reading checks every record
(each field's type and length, the values a column can hold) and writes nothing; the second
writes all of them in one transaction, so a restore either happens whole or not at all. It
refuses a database that already holds comments, users or anything else it would write: it
keeps every id, and ids cannot be shared.
"""

from __future__ import annotations

import gzip
import os
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from rejoinder.catalogues import LANGUAGES
from rejoinder.domain import markup
from rejoinder.domain.archive import ArchiveError
from rejoinder.domain.articles import ArticleDraft
from rejoinder.domain.models import Status
from rejoinder.domain.moderation.pipeline import Finding, Mode
from rejoinder.store import exports
from rejoinder.store import search as search_store
from rejoinder.store.database import Connection, Database
from rejoinder.store.exports import Field, Kind

FORMAT = "rejoinder-export"
VERSION = 1
BATCH = 500
# Columns whose values the application reads as one of a few words: a file cannot bring any
# other, or a page that reads it would fail.
_WORDS = {
    ("comment", "status"): {status.value for status in Status},
    ("site", "moderation_mode"): {mode.value for mode in Mode},
    ("thread", "moderation_mode"): {mode.value for mode in Mode},
    ("ban", "kind"): {"user", "voter", "email", "address"},
    ("staff_mail", "queue_every"): {"hour", "day"},
    ("staff_mail", "language"): set(LANGUAGES),
    ("mail_address", "language"): set(LANGUAGES),
}
_JSON_TYPES: dict[tuple[str, str], Any] = {
    ("comment", "moderation"): list[Finding] | None,
    ("article", "tags"): list[str],
}

_PYTHON_TYPES: dict[str, type | tuple[type, ...]] = {
    "int": int,
    "float": (int, float),
    "bool": bool,
    "text": str,
}

Progress = Callable[[int], None]


class Header(msgspec.Struct, frozen=True):
    format: str
    version: int
    exported_at: datetime
    site: str | None = None
    since: datetime | None = None


async def export_to(
    db: Database,
    path: Path,
    *,
    now: datetime,
    site: str | None = None,
    since: datetime | None = None,
    progress: Progress | None = None,
) -> Counter[str]:
    """Write the export to ``path`` (gzipped); the records written, by kind.

    All of it is read in one read transaction, so the file is one moment of the database
    however long it takes, and is written beside ``path`` first and renamed when whole."""
    counts: Counter[str] = Counter()
    partial = path.with_name(path.name + ".partial")
    async with db.read() as connection:
        site_id = None
        if site is not None:
            site_id = await exports.site_id(connection, site)
            if site_id is None:
                raise ArchiveError(f"no site is called {site!r}")
        header = Header(FORMAT, VERSION, now, site, since)
        with gzip.open(partial, "wb") as out:
            out.write(msgspec.json.encode(header) + b"\n")
            for kind in exports.KINDS:
                after = None
                while rows := await exports.page_of(
                    connection, kind, after, site=site_id, since=since
                ):
                    for row in rows:
                        out.write(msgspec.json.encode(_record(kind, row)) + b"\n")
                    counts[kind.name] += len(rows)
                    after = tuple(rows[-1][name] for name in kind.key)
                    if progress:
                        progress(counts.total())
            out.write(msgspec.json.encode({"type": "end", "records": counts.total()}) + b"\n")
    os.replace(partial, path)
    return counts


def _record(kind: Kind, row: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"type": kind.name}
    for name, value in row.items():
        if name in kind.json and value is not None:
            value = msgspec.json.decode(value)
        record[name] = value
    return record


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    try:
        with gzip.open(path, "rb") as source:
            yield from enumerate(source, start=1)
    except (OSError, EOFError) as error:
        raise ArchiveError(f"{path} is not a whole gzipped Rejoinder export ({error})") from None


def read_header(path: Path) -> Header:
    for number, line in _lines(path):
        try:
            header = msgspec.json.decode(line, type=Header)
        except msgspec.ValidationError as error:
            raise ArchiveError(f"not a Rejoinder export: {error}", number) from None
        except msgspec.DecodeError:
            break
        if header.format != FORMAT:
            break
        if header.version > VERSION:
            raise ArchiveError(
                f"written by a newer Rejoinder (format version {header.version}; this one "
                f"reads {VERSION}): upgrade, then restore",
                number,
            )
        return header
    raise ArchiveError(f"{path} is not a Rejoinder export (its first line says otherwise)", 1)


def looks_like(head: bytes) -> bool:
    """Whether the first bytes of an (unpacked) file are a Rejoinder export's."""
    return head.lstrip().startswith(b'{"format":"' + FORMAT.encode() + b'"')


def _records(path: Path) -> Iterator[tuple[int, Kind, dict[str, Any]]]:
    """Every record after the header, checked and made ready to store, with its line."""
    ended = False
    for number, line in _lines(path):
        if number == 1:
            continue
        if ended:
            raise ArchiveError("there is more after the end record", number)
        try:
            record = msgspec.json.decode(line)
        except msgspec.DecodeError as error:
            raise ArchiveError(f"not JSON: {error}", number) from None
        if not isinstance(record, dict):
            raise ArchiveError("a record is a JSON object", number)
        name = record.pop("type", None)
        if name == "end":
            if record.get("records") != number - 2:
                raise ArchiveError("the end record does not count the records before it", number)
            ended = True
            continue
        kind = exports.BY_NAME.get(name) if isinstance(name, str) else None
        if kind is None:
            raise ArchiveError(f"unknown record type {name!r}", number)
        yield number, kind, _row(kind, record, number)
    if not ended:
        raise ArchiveError(f"{path} ends before its end record: the export is incomplete")


def _row(kind: Kind, record: dict[str, Any], line: int) -> dict[str, Any]:
    fields = {field.name: field for field in kind.fields}
    unknown = set(record) - set(fields)
    if unknown:
        raise ArchiveError(f"{kind.name}: unknown field {sorted(unknown)[0]!r}", line)
    row: dict[str, Any] = {}
    for name, field in fields.items():
        if name not in record:
            if field.required:
                raise ArchiveError(f"{kind.name}: {name} is missing", line)
            continue
        row[name] = _value(kind, field, record[name], line)
    if "body_html" in kind.omitted:  # comments and articles: made again, never taken
        row["body_html"] = markup.render(row["body_markdown"])
    return row


def _value(kind: Kind, field: Field, value: Any, line: int) -> Any:
    where = f"{kind.name} {field.name}"
    if value is None:
        if field.required:
            raise ArchiveError(f"{where} may not be null", line)
        return None
    if field.kind == "json":
        wanted = _JSON_TYPES.get((kind.name, field.name), Any)
        try:
            return msgspec.json.encode(msgspec.convert(value, wanted)).decode()
        except msgspec.ValidationError as error:
            raise ArchiveError(f"{where}: {error}", line) from None
    if field.kind == "time":
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise ArchiveError(f"{where}: expected a time with its zone, got {value!r}", line)
        return moment.astimezone(UTC)
    if not _is_a(field.kind, value):
        raise ArchiveError(f"{where}: expected {field.kind}, got {value!r}", line)
    if isinstance(value, str):
        if field.max_length is not None and len(value) > field.max_length:
            raise ArchiveError(f"{where} is longer than {field.max_length} characters", line)
        if "\x00" in value:
            raise ArchiveError(f"{where} holds a NUL character", line)
    words = _WORDS.get((kind.name, field.name))
    if words is not None and value not in words:
        raise ArchiveError(f"{where}: {value!r} is not one of {', '.join(sorted(words))}", line)
    return float(value) if field.kind == "float" else value


def _is_a(kind: str, value: object) -> bool:
    """JSON's numbers and booleans as the column wants them (``true`` is no integer here)."""
    return isinstance(value, _PYTHON_TYPES[kind]) and (kind == "bool") == isinstance(value, bool)


def check(path: Path, progress: Progress | None = None) -> Counter[str]:
    """Read the whole export once, writing nothing: its records by kind, or ``ArchiveError``.

    A partial export (``--since``) is refused: it lacks what its records refer to."""
    header = read_header(path)
    if header.since is not None:
        raise ArchiveError(
            f"this export holds only what changed since {header.since:%Y-%m-%d %H:%M} UTC; "
            "restore from a whole export (rejoinder export without --since)"
        )
    counts: Counter[str] = Counter()
    for _, kind, _ in _records(path):
        counts[kind.name] += 1
        if progress and counts.total() % 1000 == 0:
            progress(counts.total())
    return counts


async def restore_from(db: Database, path: Path, progress: Progress | None = None) -> Counter[str]:
    """Write a checked export (``check``) into an empty database, in one transaction."""
    counts: Counter[str] = Counter()
    async with db.write() as connection:
        occupied = await exports.occupied(connection)
        if occupied:
            raise ArchiveError(
                "the database is not empty (it holds " + ", ".join(occupied) + "): a restore "
                "keeps every id, so it goes into a new database; to add another system's "
                "comments to this one, use its own importer"
            )
        batch: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        current: Kind | None = None
        for _, kind, row in _records(path):
            if kind is not current or len(batch) >= BATCH:
                if current is not None:
                    await _flush(connection, current, batch)
                batch, current = [], kind
            if kind.name == "comment" and _after_itself(row):
                links.append(
                    {"comment": row["id"], "parent": row["parent_id"], "root": row["root_id"]}
                )
                row = {**row, "parent_id": None, "root_id": None}
            batch.append(row)
            counts[kind.name] += 1
            if progress and counts.total() % 1000 == 0:
                progress(counts.total())
        if current is not None:
            await _flush(connection, current, batch)
        await exports.link_parents(connection, links)
        await exports.after_restore(connection)
    return counts


def _after_itself(row: dict[str, Any]) -> bool:
    """Whether a comment answers one with a larger id, which is not written yet."""
    return any((row.get(name) or 0) > row["id"] for name in ("parent_id", "root_id"))


async def _flush(connection: Connection, kind: Kind, rows: list[dict[str, Any]]) -> None:
    await exports.write(connection, kind, rows)
    if kind.name != "article":
        return
    for row in rows:
        draft = ArticleDraft(
            slug=row["slug"],
            headline=row["headline"],
            standfirst=row["standfirst"],
            byline=row["byline"],
            published_at=row["published_at"],
            tags=msgspec.json.decode(row["tags"]),
            body_markdown=row["body_markdown"],
            body_html=row["body_html"],
            captions=row.get("captions"),
        )
        await search_store.index_article(connection, row["id"], draft)
