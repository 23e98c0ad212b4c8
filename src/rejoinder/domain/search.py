"""Site search rules: what a query is, and what text of an article is searched.

A query is reduced to its words (letters and digits in any script, so Ukrainian works);
punctuation never reaches the search engine, so nothing a reader types can be read as
search syntax. An empty or punctuation-only query, or one too long to be a real search,
gets a friendly page rather than an error.
"""

from __future__ import annotations

import html
import re

import msgspec

from rejoinder.domain.captions import parse_captions, transcript_text

MAX_QUERY_LENGTH = 200
# More words than this adds nothing to a news search and only slows the engine.
MAX_WORDS = 12
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_TAG = re.compile(r"<[^>]+>")


class SearchQuery(msgspec.Struct, frozen=True):
    words: list[str]
    problem: str | None  # "empty" or "too_long"


def parse_query(raw: str) -> SearchQuery:
    text = " ".join(raw.split())
    if len(text) > MAX_QUERY_LENGTH:
        return SearchQuery([], "too_long")
    words = [word.replace("’", "'").lower() for word in _WORD.findall(text)][:MAX_WORDS]
    words = [part for word in words for part in word.split("'") if part]
    return SearchQuery(words, None if words else "empty")


def plain_text(rendered_html: str) -> str:
    """An article body's words, without markup, for the index and its snippets."""
    return " ".join(html.unescape(_TAG.sub(" ", rendered_html)).split())


def transcript_of(captions: str | None) -> str:
    return transcript_text(parse_captions(captions)) if captions else ""
