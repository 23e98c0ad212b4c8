"""What another comment system's archive holds, as the importers read it: threads, comments
and the entries an import skips, each with the line of the file it came from.

Each format's reader (``rejoinder.formats.<name>``) turns its file into a stream of these,
one at a time, so that a file of any size is read in bounded memory; the import service
(``service/importing.py``) maps them onto Rejoinder's threads and comments. A reader decides
what its format *means* (its time zones, its statuses, its HTML); nothing here touches the
database.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

import msgspec
from markdownify import markdownify

from rejoinder.domain.comments import MAX_BODY_LENGTH
from rejoinder.domain.markup import render


class SourceStatus(StrEnum):
    """A comment's standing in its source, mapped by the reader. Spam, trash and comments a
    moderator had not yet seen are never ``visible``."""

    VISIBLE = "visible"
    PENDING = "pending"
    REJECTED = "rejected"  # spam, trash, refused
    DELETED = "deleted"  # removed by its author or a moderator: a placeholder if it has replies


BodyFormat = Literal["html", "markdown", "text"]


class SourceThread(msgspec.Struct, frozen=True, kw_only=True):
    """A discussion in the source. ``source_id`` may be empty (Disqus exports often have
    threads without an id); such a thread is known by its ``url``."""

    source_id: str
    key: str | None = None  # the publisher's own id for the story, where the source has one
    url: str | None = None  # absolute, or a path the import completes with --site-origin
    title: str | None = None
    created_at: datetime | None = None  # aware, UTC
    closed: bool = False
    line: int | None = None


class SourceComment(msgspec.Struct, frozen=True, kw_only=True):
    """One comment as its source kept it. ``thread`` is the ``SourceThread.source_id`` (or
    its url when it has no id) it belongs to; ``parent`` the source id of the comment it
    answers, which may come later in the file."""

    source_id: str
    thread: str
    parent: str | None = None
    author_name: str
    author_email: str | None = None  # kept for notifications, never shown
    author_url: str | None = None
    created_at: datetime  # aware, UTC
    body: str
    body_format: BodyFormat = "html"
    status: SourceStatus = SourceStatus.VISIBLE
    votes_up: int = 0
    votes_down: int = 0
    line: int | None = None


class SkippedEntry(msgspec.Struct, frozen=True, kw_only=True):
    """An entry the reader passed over on purpose, counted in the summary by ``reason``
    ("pingback", "trackback", ...)."""

    reason: str
    source_id: str | None = None
    line: int | None = None


Entry = SourceThread | SourceComment | SkippedEntry


class ArchiveError(Exception):
    """The file is not what it claims to be, or is malformed: the import stops before it
    writes anything, with this message and the line it names."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.message = message
        self.line = line


def utc(value: datetime) -> datetime:
    """A source's time in UTC; one written without a zone (Disqus, Isso) is taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_time(text: str, line: int | None = None) -> datetime:
    """An ISO 8601 time (``2013-01-01T12:00:00Z``, ``2013-01-01 12:00:00``), in UTC."""
    try:
        return utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise ArchiveError(f"{text.strip()[:40]!r} is not a date and time", line) from None


_BLANK_LINES = re.compile(r"\n{3,}")


def comment_text(body: str, body_format: BodyFormat) -> tuple[str, str] | None:
    """An archived comment's text as a native comment's: its markdown, and the HTML every
    comment gets from it (the same renderer and sanitiser); None when it says nothing or is
    longer than a comment may be (the import counts it, it never cuts it)."""
    if body_format == "html":
        markdown = markdownify(body, heading_style="ATX", bullets="-", escape_misc=False)
    else:
        markdown = body
    markdown = _BLANK_LINES.sub("\n\n", markdown.replace("\r\n", "\n")).strip()
    if not markdown or len(markdown) > MAX_BODY_LENGTH:
        return None
    return markdown, render(markdown)
