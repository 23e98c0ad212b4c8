"""Atom documents (RFC 4287), with replies threaded as RFC 4685 says, written with lxml.

lxml escapes every text and attribute it writes, so a comment's HTML goes into
``<content type="html">`` as text, to be unescaped by the feed reader, and nothing a reader
wrote can add an element. Characters XML cannot hold at all (controls an old import may have
brought in) become U+FFFD instead of failing the whole feed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from lxml import etree

from rejoinder import __version__

ATOM = "http://www.w3.org/2005/Atom"
THREADING = "http://purl.org/syndication/thread/1.0"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"

_NAMESPACES = {None: ATOM, "thr": THREADING}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Head(NamedTuple):
    """What a feed says of itself: ``id`` is its own address, ``page`` the one it follows."""

    id: str
    title: str
    page: str | None
    updated: datetime


class Entry(NamedTuple):
    id: str
    title: str
    link: str | None
    published: datetime
    updated: datetime
    author: str
    html: str  # sanitised already: the feed reader shows it as the entry's content
    summary: str | None = None
    # (entry id, page address) of the entry this one answers.
    in_reply_to: tuple[str, str | None] | None = None
    categories: tuple[str, ...] = ()


def _text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def _stamp(moment: datetime) -> str:
    """RFC 3339 in UTC, to the second: ``2026-12-07T14:05:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _add(parent: Any, name: str, text: str | None = None, **attributes: str) -> Any:
    element = etree.SubElement(parent, f"{{{ATOM}}}{name}")
    for attribute, value in attributes.items():
        element.set(attribute, _text(value))
    if text is not None:
        element.text = _text(text)
    return element


def feed(head: Head, entries: Iterable[Entry]) -> bytes:
    """The feed as UTF-8 bytes, entries in the order given (newest first)."""
    root = etree.Element(f"{{{ATOM}}}feed", nsmap=_NAMESPACES)
    _add(root, "id", head.id)
    _add(root, "title", head.title, type="text")
    _add(root, "updated", _stamp(head.updated))
    _add(root, "link", rel="self", type="application/atom+xml", href=head.id)
    if head.page is not None:
        _add(root, "link", rel="alternate", type="text/html", href=head.page)
    _add(root, "generator", "Rejoinder", version=__version__)
    for entry in entries:
        _entry(root, entry)
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    return document


def _entry(root: Any, entry: Entry) -> None:
    element = _add(root, "entry")
    _add(element, "id", entry.id)
    _add(element, "title", entry.title, type="text")
    _add(element, "published", _stamp(entry.published))
    _add(element, "updated", _stamp(entry.updated))
    _add(_add(element, "author"), "name", entry.author)
    if entry.link is not None:
        _add(element, "link", rel="alternate", type="text/html", href=entry.link)
    if entry.in_reply_to is not None:
        ref, href = entry.in_reply_to
        answered = etree.SubElement(element, f"{{{THREADING}}}in-reply-to", ref=_text(ref))
        if href is not None:
            answered.set("href", _text(href))
            answered.set("type", "text/html")
    for term in entry.categories:
        _add(element, "category", term=term)
    if entry.summary is not None:
        _add(element, "summary", entry.summary, type="text")
    _add(element, "content", entry.html, type="html")
