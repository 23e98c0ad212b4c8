"""Counting the links a comment carries.

Link spam is the commonest abuse of a comment form, and the number of distinct links is its
plainest sign, so the pipeline holds comments with many links for review. Every way a reader
could follow a link counts: markdown links ``[text](url)``, autolinks ``<https://...>``, bare
``http(s)://`` URLs and bare ``www.`` hosts. The same destination written twice, or once as a
markdown link and once bare, counts once. Bare domains without ``www.`` ("example.com") are
not counted: too many ordinary sentences ("Node.js", "e.g.") look like them.
"""

from __future__ import annotations

import re

# A markdown link or image destination: "](url)" or "](<url>)", with an optional title.
_MARKDOWN_DESTINATION = re.compile(r"\]\(\s*<?([^\s()<>]+)>?(?:\s+[\"'(][^)]*)?\s*\)")
# Bare and autolinked URLs; an autolink's "<" and ">" are simply not part of the match.
_BARE_URL = re.compile(
    r"(?<![\w@.])(?:(?:https?|ftp)://|www\.)[^\s<>()\[\]\"'`]+",
    re.IGNORECASE,
)
# Sentence punctuation that usually follows a URL rather than belonging to it.
_TRAILING = ".,;:!?*_~'\""


def _key(url: str) -> str | None:
    """One spelling per destination: scheme, "www." and a final slash do not matter."""
    url = url.strip().rstrip(_TRAILING)
    if not url or url.startswith("#"):
        return None
    match = re.match(r"(?i)(?:(?:https?|ftp)://)?(?:www\.)?([^/?#]*)(.*)", url)
    if match is None:  # pragma: no cover - the pattern matches any string
        return None
    host, rest = match.groups()
    return host.lower() + rest.rstrip("/")


def links_in(markdown: str) -> set[str]:
    """The distinct link destinations in ``markdown``, each in one normalised spelling."""
    found: set[str] = set()
    for match in _MARKDOWN_DESTINATION.finditer(markdown):
        key = _key(match.group(1))
        if key:
            found.add(key)
    for match in _BARE_URL.finditer(markdown):
        key = _key(match.group(0))
        if key:
            found.add(key)
    return found


def count_links(markdown: str) -> int:
    """How many distinct links ``markdown`` carries; each destination is counted once."""
    return len(links_in(markdown))
