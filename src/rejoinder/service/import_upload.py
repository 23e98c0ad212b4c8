"""An archive uploaded on the admin's import page: its choices checked, the file checked,
then previewed (a dry run) or imported, and a real import written in the audit log.

The page saves the upload to a file (``web/pages/admin_import.py``); from there this is what
``rejoinder import`` does, on the server's own database. Reading the whole file to check it
runs in a worker thread, so the server answers meanwhile; the import runs on the server's
event loop and gives it back between batches. Files over ``MAX_ARCHIVE_MB`` are the command
line's: a request that long would outlast proxies' timeouts.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from rejoinder.archives.opening import FORMATS, detect, reader
from rejoinder.domain.archive import ArchiveError
from rejoinder.domain.errors import Problem, RejoinderError, invalid
from rejoinder.domain.phrases import phrase
from rejoinder.service.importing import (
    ImportOptions,
    ImportSummary,
    Reader,
    check,
    import_archive,
    key_map,
)
from rejoinder.service.services import Services
from rejoinder.store import audit

AUTO = "auto"  # tell the format from the file's first bytes
MAX_ARCHIVE_MB = 50
MAX_ARCHIVE_BYTES = MAX_ARCHIVE_MB * 1024 * 1024
MAX_KEY_MAP_MB = 5
MAX_KEY_MAP_BYTES = MAX_KEY_MAP_MB * 1024 * 1024
MAX_FILE_NAME = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ORIGIN = re.compile(r"^https?://[^/\s?#\x00-\x1f\x7f]+/?$")
MAX_ORIGIN = 200


@dataclass(frozen=True)
class Choices:
    """What the form asked for, checked: the format (or ``auto``) and the import's options."""

    format: str
    options: ImportOptions


@dataclass(frozen=True)
class Imported:
    summary: ImportSummary
    format: str  # the format read, told from the file when the form said "auto"
    file_name: str


def too_large() -> RejoinderError:
    """An archive too big for the page, with the way to import it anyway."""
    return RejoinderError(
        Problem.TOO_LARGE,
        "archive_too_large",
        phrase(
            "This page imports archives of up to {most} MB. Import a larger one on the "
            "server's command line: rejoinder import auto FILE (docs/importing.md has its "
            "options).",
            most=MAX_ARCHIVE_MB,
        ),
        "archive",
    )


def file_name(sent: str) -> str:
    """The upload's name as the audit log and the page show it: no folders, no control
    characters, not too long."""
    name = _CONTROL.sub("", re.split(r"[/\\]", sent)[-1]).strip()[:MAX_FILE_NAME]
    return name or "archive"


def choices(
    format_name: str, site_origin: str, key_map_file: bytes | None, dry_run: bool
) -> Choices:
    """The form's fields checked, each refusal naming its field."""
    if format_name != AUTO and format_name not in FORMATS:
        raise invalid(
            "unknown_format",
            phrase("There is no format “{value}”.", value=format_name[:40]),
            "format",
        )
    origin = site_origin.strip()
    if origin and (len(origin) > MAX_ORIGIN or not _ORIGIN.match(origin)):
        raise invalid(
            "invalid_site_origin",
            phrase("The site's origin is its address without a path: https://news.example."),
            "site_origin",
        )
    mapping = _key_map(key_map_file) if key_map_file else {}
    return Choices(format_name, ImportOptions(origin.rstrip("/") or None, mapping, dry_run))


def _key_map(content: bytes) -> dict[str, str]:
    if len(content) > MAX_KEY_MAP_BYTES:
        raise RejoinderError(
            Problem.TOO_LARGE,
            "key_map_too_large",
            phrase("A key map may be up to {most} MB.", most=MAX_KEY_MAP_MB),
            "key_map",
        )
    try:
        return key_map(io.StringIO(content.decode("utf-8-sig"), newline=""))
    except UnicodeDecodeError:
        raise invalid(
            "invalid_key_map", phrase("The key map is not UTF-8 text."), "key_map"
        ) from None
    except ArchiveError as error:
        raise invalid(
            "invalid_key_map",
            phrase("Line {line} of the key map is not two columns, old and new.", line=error.line),
            "key_map",
        ) from None
    except csv.Error:
        raise invalid(
            "invalid_key_map",
            phrase("The key map is not a CSV file of two columns, old and new."),
            "key_map",
        ) from None


def _checked(path: Path, name: str, chosen: str) -> tuple[str, Reader]:
    """The format and a reader of the file, once the whole file has been read and found
    sound; a refusal on the file's field otherwise, naming the line at fault."""
    try:
        found = detect(path) if chosen == AUTO else chosen
    except ArchiveError:
        raise RejoinderError(
            Problem.UNPROCESSABLE,
            "unknown_archive",
            phrase(
                "“{file}” is in none of the formats Rejoinder knows ({formats}), or cannot be "
                "read. Nothing was imported.",
                file=name,
                formats=", ".join(FORMATS),
            ),
            "archive",
        ) from None
    read = reader(found, path)
    try:
        check(read)
    except ArchiveError as error:
        problem = str(error).replace(str(path), name).rstrip(".")
        raise RejoinderError(
            Problem.UNPROCESSABLE,
            "malformed_archive",
            phrase(
                "“{file}” cannot be imported: {problem}. Nothing was imported.",
                file=name,
                problem=problem,
            ),
            "archive",
        ) from None
    return found, read


async def run(app: Services, moderator: str, path: Path, name: str, chosen: Choices) -> Imported:
    """Check the saved archive at ``path``, then preview or import it as ``chosen`` says; a
    real import is written in the audit log with the file, its format and the counts."""
    found, read = await asyncio.to_thread(_checked, path, name, chosen.format)
    summary = await import_archive(app.db, found, read, chosen.options, app.clock())
    if not chosen.options.dry_run:
        async with app.db.write() as connection:
            await audit.record(
                connection,
                actor=moderator,
                action="import",
                target=f"archive:{name}",
                before=None,
                after={
                    "format": found,
                    "threads": summary.threads,
                    "new_threads": summary.new_threads,
                    "comments": summary.comments,
                    "already": summary.already,
                    "skipped": sum(summary.skipped.values()),
                    "unmapped_parents": summary.unmapped_parents,
                },
                now=app.clock(),
            )
    return Imported(summary, found, name)
