"""WordPress's export (WXR 1.0 to 1.2: RSS with ``wp:`` elements), from Tools → Export.

Each ``<item>`` with comments is a thread, keyed by its permalink (``<link>``) and known in
the file by ``<wp:post_id>``; its ``<wp:comment>`` elements are the comments. Times are
``<wp:comment_date_gmt>`` (``0000-00-00 00:00:00`` on some old comments: then the local
``<wp:comment_date>``, taken as UTC). ``<wp:comment_approved>`` is ``1`` (published), ``0``
(waiting), ``spam`` or ``trash``; pingbacks and trackbacks are not comments and are counted
as skipped. WordPress keeps comment text with line breaks for paragraphs, so they become
paragraphs before the HTML is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from rejoinder.archives.xml import elements, text
from rejoinder.domain.archive import (
    ArchiveError,
    Entry,
    SkippedEntry,
    SourceComment,
    SourceStatus,
    SourceThread,
    parse_time,
)

NAME = "wordpress"
_WP = re.compile(r"^http://wordpress\.org/export/1\.[012]/$")
_STATUS = {
    "1": SourceStatus.VISIBLE,
    "approve": SourceStatus.VISIBLE,
    "0": SourceStatus.PENDING,
    "hold": SourceStatus.PENDING,
    "spam": SourceStatus.REJECTED,
    "trash": SourceStatus.REJECTED,
    "post-trashed": SourceStatus.REJECTED,
}
_NO_DATE = "0000-00-00 00:00:00"


def read(source: IO[bytes]) -> Iterator[Entry]:
    """The export's threads and comments. WordPress numbers posts and comments per site, so
    ids are given with the site's address (the channel's ``<link>``, before any item):
    ``https://blog.example#12``, and two sites' archives never meet."""
    namespaces: dict[str, str] = {}
    site = ""
    found = elements(source, expect=lambda tag: tag == "rss", what="a WordPress export", depth=2)
    for element in found:
        if element.tag == "link" and not site:
            site = (element.text or "").strip()
        if element.tag != "item":
            continue
        if not namespaces:
            namespaces = _namespaces(element)
        yield from _item(element, namespaces, site)


def _namespaces(element: Any) -> dict[str, str]:
    wp = next((uri for uri in element.nsmap.values() if uri and _WP.match(uri)), None)
    if wp is None:
        raise ArchiveError(
            "this is not a WordPress export: no wp: namespace of WXR 1.0-1.2",
            element.sourceline,
        )
    return {"wp": wp}


def _item(item: Any, ns: dict[str, str], site: str) -> Iterator[Entry]:
    found = item.findall("wp:comment", ns)
    if not found:
        return
    line = item.sourceline
    post_id = text(item, "wp:post_id", ns).strip()
    if not post_id:
        raise ArchiveError("an <item> with comments but no <wp:post_id>", line)
    posted = text(item, "wp:post_date_gmt", ns).strip()
    thread = f"{site}#post-{post_id}"
    yield SourceThread(
        source_id=thread,
        url=text(item, "link", ns).strip() or None,
        title=text(item, "title", ns).strip() or None,
        created_at=parse_time(posted, line) if posted and posted != _NO_DATE else None,
        closed=text(item, "wp:comment_status", ns).strip() == "closed",
        line=line,
    )
    for comment in found:
        yield _comment(comment, thread, ns, site)


def _comment(comment: Any, thread: str, ns: dict[str, str], site: str) -> Entry:
    line = comment.sourceline
    identifier = text(comment, "wp:comment_id", ns).strip()
    if not identifier:
        raise ArchiveError("a <wp:comment> without its <wp:comment_id>", line)
    kind = text(comment, "wp:comment_type", ns).strip()
    if kind in ("pingback", "trackback"):
        return SkippedEntry(reason=f"{kind}s", source_id=identifier, line=line)
    when = text(comment, "wp:comment_date_gmt", ns).strip()
    if not when or when == _NO_DATE:
        when = text(comment, "wp:comment_date", ns).strip()
    if not when or when == _NO_DATE:
        raise ArchiveError(f"comment {identifier} has no date", line)
    approved = text(comment, "wp:comment_approved", ns).strip().lower()
    parent = text(comment, "wp:comment_parent", ns).strip()
    return SourceComment(
        source_id=f"{site}#{identifier}",
        thread=thread,
        parent=f"{site}#{parent}" if parent and parent != "0" else None,
        author_name=text(comment, "wp:comment_author", ns).strip(),
        author_email=text(comment, "wp:comment_author_email", ns).strip() or None,
        author_url=text(comment, "wp:comment_author_url", ns).strip() or None,
        created_at=parse_time(when, line),
        body=paragraphs(text(comment, "wp:comment_content", ns)),
        body_format="html",
        status=_STATUS.get(approved, SourceStatus.PENDING),
        line=line,
    )


_BLOCK = re.compile(r"<(?:p|div|ul|ol|li|blockquote|pre|h[1-6]|table)\b", re.I)


def paragraphs(content: str) -> str:
    """WordPress's comment text as HTML paragraphs: a blank line parts paragraphs and a line
    break is a ``<br>``, as WordPress shows them (its ``wpautop``); text already in block
    markup is left as it is."""
    content = content.replace("\r\n", "\n").strip()
    if _BLOCK.search(content):
        return content
    blocks = [block.strip() for block in re.split(r"\n\s*\n", content) if block.strip()]
    return "".join(f"<p>{block.replace(chr(10), '<br>')}</p>" for block in blocks)


def looks_like(head: bytes) -> bool:
    return b"<rss" in head and b"http://wordpress.org/export/1." in head
