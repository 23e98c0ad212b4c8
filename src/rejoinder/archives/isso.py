"""Isso's own SQLite database (``comments.db``), of any schema version Isso has had.

Isso keeps ``threads(id, uri, title)`` and ``comments(tid, id, parent, created, mode, text,
author, email, website, likes, dislikes, ...)``; its versions (``PRAGMA user_version``)
added columns over time, so the reader asks the table which it has rather than trusting the
number. ``uri`` is the page's path (``--site-origin`` makes it a link); ``created`` is Unix
time; ``text`` is markdown; ``mode`` is 1 (published), 2 (waiting for a moderator) or 4
(deleted, kept while it has replies). Likes and dislikes become votes. The file is opened
read-only, and rows are read one at a time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from rejoinder.domain.archive import ArchiveError, Entry, SourceComment, SourceStatus, SourceThread

NAME = "isso"
_MAGIC = b"SQLite format 3\x00"
_MODES = {1: SourceStatus.VISIBLE, 2: SourceStatus.PENDING, 4: SourceStatus.DELETED}
_NEEDED = {"tid", "id", "parent", "created", "mode", "text", "author"}


def read_file(path: Path) -> Iterator[Entry]:
    try:
        database = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise ArchiveError(f"cannot open {path} as an Isso database: {error}") from None
    try:
        yield from _entries(database)
    except sqlite3.DatabaseError as error:
        raise ArchiveError(f"this is not an Isso database: {error}") from None
    finally:
        database.close()


def _columns(database: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in database.execute(f"PRAGMA table_info({table})")}


def _entries(database: sqlite3.Connection) -> Iterator[Entry]:
    comments = _columns(database, "comments")
    threads = _columns(database, "threads")
    if not (threads >= {"id", "uri"} and comments >= _NEEDED):
        raise ArchiveError("this is not an Isso database: it has no threads and comments tables")
    for thread_id, uri, title in database.execute("SELECT id, uri, title FROM threads ORDER BY id"):
        yield SourceThread(source_id=str(thread_id), url=uri or None, title=title or None)
    optional = [name if name in comments else "NULL" for name in ("email", "likes", "dislikes")]
    rows = database.execute(
        "SELECT tid, id, parent, created, mode, text, author, "
        f"{', '.join(optional)} FROM comments ORDER BY id"
    )
    for tid, identifier, parent, created, mode, text, author, email, likes, dislikes in rows:
        try:
            when = datetime.fromtimestamp(float(created), UTC)
        except (TypeError, ValueError, OverflowError):
            raise ArchiveError(f"comment {identifier} has no usable time: {created!r}") from None
        yield SourceComment(
            source_id=str(identifier),
            thread=str(tid),
            parent=str(parent) if parent is not None else None,
            author_name=author or "",
            author_email=email or None,
            created_at=when,
            body=text or "",
            body_format="markdown",
            status=_MODES.get(int(mode or 1), SourceStatus.PENDING),
            votes_up=max(int(likes or 0), 0),
            votes_down=max(int(dislikes or 0), 0),
        )


def looks_like(head: bytes) -> bool:
    return head.startswith(_MAGIC)
