"""Commento's JSON export (``{"version": 1, "comments": [...], "commenters": [...]}``).

The file is one JSON document, read as a stream (ijson) twice: once for its commenters
(names and emails, which come after the comments), then for the comments. A comment names
its page by ``domain`` and ``url`` (a path: the thread is ``https://DOMAIN/PATH``), its
parent by ``parentHex`` (``root`` at the top), its author by ``commenterHex`` (``anonymous``
for a guest); ``markdown`` is what was written; ``state`` is ``approved``, ``unapproved`` or
``flagged`` (both wait for a moderator); ``deleted`` marks a deleted one; ``score`` is its
votes' balance.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import ijson

from rejoinder.domain.archive import (
    ArchiveError,
    Entry,
    SourceComment,
    SourceStatus,
    SourceThread,
    parse_time,
)

NAME = "commento"
_CHUNK = 4096  # small reads, so that an error is placed near its line


class _Lines:
    """The file, counting the lines read so far (to say where a JSON error is)."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.line = 1

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.line += data.count(b"\n")
        return data


def _items(source: IO[bytes], prefix: str) -> Iterator[tuple[Any, int]]:
    source.seek(0)
    lines = _Lines(source)
    try:
        for item in ijson.items(lines, prefix, buf_size=_CHUNK, use_float=True):
            yield item, lines.line
    except ijson.JSONError as error:
        raise ArchiveError(f"malformed JSON: {str(error).splitlines()[0]}", lines.line) from None


def read(source: IO[bytes]) -> Iterator[Entry]:
    version = next((value for value, _ in _items(source, "version")), None)
    if version != 1:
        raise ArchiveError('this is not a Commento export: no "version": 1', 1)
    people: dict[str, tuple[str, str | None]] = {}
    for person, _ in _items(source, "commenters.item"):
        if isinstance(person, dict) and person.get("commenterHex"):
            name = str(person.get("name") or "").strip()
            people[str(person["commenterHex"])] = (name, str(person.get("email") or "") or None)
    seen: set[str] = set()
    for record, line in _items(source, "comments.item"):
        if not isinstance(record, dict):
            raise ArchiveError("a comment that is not an object", line)
        comment = _comment(record, people, line)
        if comment.thread not in seen:
            seen.add(comment.thread)
            yield SourceThread(source_id=comment.thread, url=comment.thread, line=line)
        yield comment


def _comment(
    record: dict[str, Any], people: dict[str, tuple[str, str | None]], line: int
) -> SourceComment:
    identifier = str(record.get("commentHex") or "")
    path = str(record.get("url") or "")
    when = record.get("creationDate")
    if not identifier or not path or not isinstance(when, str):
        raise ArchiveError("a comment without its commentHex, url or creationDate", line)
    domain = str(record.get("domain") or "").strip()
    thread = f"https://{domain}{path}" if domain and path.startswith("/") else path
    parent = str(record.get("parentHex") or "root")
    name, email = people.get(str(record.get("commenterHex") or ""), ("", None))
    score = record.get("score")
    score = int(score) if isinstance(score, int | float) else 0
    if record.get("deleted"):
        status = SourceStatus.DELETED
    elif record.get("state") == "approved":
        status = SourceStatus.VISIBLE
    else:
        status = SourceStatus.PENDING
    markdown = record.get("markdown")
    return SourceComment(
        source_id=identifier,
        thread=thread,
        parent=None if parent == "root" else parent,
        author_name=name,
        author_email=email,
        created_at=parse_time(when, line),
        body=str(markdown if markdown else record.get("html") or ""),
        body_format="markdown" if markdown else "html",
        status=status,
        votes_up=max(score, 0),
        votes_down=max(-score, 0),
        line=line,
    )


def looks_like(head: bytes) -> bool:
    return head.lstrip().startswith(b"{") and b'"commentHex"' in head
