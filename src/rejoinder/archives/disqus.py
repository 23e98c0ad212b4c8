"""Disqus's XML export (``<disqus>`` with ``<thread>`` and ``<post>`` elements).

A thread's ``<id>`` is the publisher's ``disqus_identifier`` (often empty: then its
``<link>`` names it). Posts refer to their thread and parent by ``dsq:id``; a parent may come
after its reply. Times are UTC, sometimes written without a zone. Spam is refused, deleted
posts are placeholders (kept only while they have replies), and a post that is not approved
waits for a moderator. Disqus exports carry no votes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from rejoinder.archives.xml import children_of_root, text
from rejoinder.domain.archive import (
    ArchiveError,
    Entry,
    SourceComment,
    SourceStatus,
    SourceThread,
    parse_time,
)

NAME = "disqus"
NS = {"d": "http://disqus.com", "dsq": "http://disqus.com/disqus-internals"}
ROOT = "{http://disqus.com}disqus"
_ID = "{http://disqus.com/disqus-internals}id"
_THREAD = "{http://disqus.com}thread"
_POST = "{http://disqus.com}post"


def _true(value: str) -> bool:
    return value.strip().lower() == "true"


def _ref(element: Any, path: str) -> str | None:
    found = element.find(path, NS)
    value = None if found is None else found.get(_ID)
    return str(value).strip() if value and value.strip() else None


def read(source: IO[bytes]) -> Iterator[Entry]:
    for element in children_of_root(source, expect=ROOT, what="a Disqus export"):
        line = element.sourceline
        if element.tag == _THREAD:
            identifier = element.get(_ID)
            if not identifier:
                raise ArchiveError("a <thread> without its dsq:id", line)
            created = text(element, "d:createdAt", NS)
            yield SourceThread(
                source_id=identifier,
                key=text(element, "d:id", NS).strip() or None,
                url=text(element, "d:link", NS).strip() or None,
                title=text(element, "d:title", NS).strip() or None,
                created_at=parse_time(created, line) if created.strip() else None,
                closed=_true(text(element, "d:isClosed", NS)),
                line=line,
            )
        elif element.tag == _POST:
            yield _post(element, line)


def _post(element: Any, line: int | None) -> Entry:
    identifier = str(element.get(_ID) or "")
    if not identifier:
        raise ArchiveError("a <post> without its dsq:id", line)
    thread = _ref(element, "d:thread")
    if thread is None:
        raise ArchiveError(f"post {identifier} names no thread", line)
    created = text(element, "d:createdAt", NS)
    if not created.strip():
        raise ArchiveError(f"post {identifier} has no <createdAt>", line)
    if _true(text(element, "d:isSpam", NS)):
        status = SourceStatus.REJECTED
    elif _true(text(element, "d:isDeleted", NS)):
        status = SourceStatus.DELETED
    elif text(element, "d:isApproved", NS).strip().lower() == "false":
        status = SourceStatus.PENDING
    else:
        status = SourceStatus.VISIBLE
    name = text(element, "d:author/d:name", NS).strip()
    username = text(element, "d:author/d:username", NS).strip()
    return SourceComment(
        source_id=identifier,
        thread=thread,
        parent=_ref(element, "d:parent"),
        author_name=name or username,
        author_email=text(element, "d:author/d:email", NS).strip() or None,
        created_at=parse_time(created, line),
        body=text(element, "d:message", NS),
        body_format="html",
        status=status,
        line=line,
    )


def looks_like(head: bytes) -> bool:
    return b"<disqus" in head and b"http://disqus.com" in head
