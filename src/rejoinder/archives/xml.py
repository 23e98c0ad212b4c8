"""Streaming XML for the archive readers: one element at a time, in bounded memory, with
entities left unexpanded and nothing fetched from the network (no XML bomb, no XXE)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, Any

from lxml import etree

from rejoinder.domain.archive import ArchiveError


def elements(
    source: IO[bytes], *, expect: Callable[[str], bool], what: str, depth: int = 1
) -> Iterator[Any]:
    """Each complete element ``depth`` levels under the document's root (1: the root's
    children), once the root's tag passed ``expect``; each is freed once the caller moves on,
    so memory stays flat whatever the file's size."""
    parser = etree.iterparse(
        source,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,  # a long comment is one long text node
        remove_comments=True,
        remove_pis=True,
    )
    root: Any = None
    level = 0
    try:
        for event, element in parser:
            if event == "start":
                if root is None:
                    root = element
                    if not expect(str(element.tag)):
                        raise ArchiveError(
                            f"this is not {what}: its root element is <{_local(element.tag)}>",
                            element.sourceline,
                        )
                level += 1
                continue
            level -= 1
            if level == depth:
                yield element
                element.clear(keep_tail=False)
                parent = element.getparent()
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as error:
        line = error.lineno if error.lineno else None
        raise ArchiveError(f"malformed XML: {error.msg}", line) from None
    if root is None:
        raise ArchiveError(f"this is not {what}: the file is empty")


def children_of_root(source: IO[bytes], *, expect: str, what: str) -> Iterator[Any]:
    """Each complete child of the root element, which must be ``expect`` (``{ns}name``)."""
    return elements(source, expect=lambda tag: tag == expect, what=what)


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def text(element: Any, path: str, namespaces: dict[str, str]) -> str:
    """The text of the first ``path`` under ``element`` (CDATA included), or ""."""
    found = element.find(path, namespaces)
    return "" if found is None or found.text is None else str(found.text)
