"""Markdown to safe HTML, done once when a comment is written.

Two independent layers, so a bug in one is not a hole: markdown-it-py renders a small
CommonMark subset with raw HTML off and refuses link targets that are not http, https or
mailto; nh3 (Ammonia) then keeps only the tags and attributes listed here. Readers' browsers
never see anything the sanitiser did not approve, and reads never pay for rendering.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_inline import StateInline

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
SPOILER_CLASS = "spoiler"

_TAGS = {"p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code", "pre", "span"}
_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
_SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
_DISABLED_RULES = ["image", "heading", "lheading", "html_block", "html_inline", "hr"]


def _is_safe_link(url: str) -> bool:
    """Only absolute http(s) and mailto links; everything else stays plain text."""
    return bool(_SAFE_LINK.match(url.strip()))


def _spoiler(state: StateInline, silent: bool) -> bool:
    """``||hidden words||`` becomes ``<span class="spoiler">``, with markdown inside it."""
    start = state.pos
    if not state.src.startswith("||", start):
        return False
    end = state.src.find("||", start + 2, state.posMax)
    if end < 0 or not state.src[start + 2 : end].strip():
        return False
    if not silent:
        opening = state.push("spoiler_open", "span", 1)
        opening.attrs = {"class": SPOILER_CLASS}
        old_max = state.posMax
        state.pos, state.posMax = start + 2, end
        state.md.inline.tokenize(state)
        state.posMax = old_max
        state.push("spoiler_close", "span", -1)
    state.pos = end + 2
    return True


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False})
    md.disable(_DISABLED_RULES)
    md.validateLink = _is_safe_link  # type: ignore[method-assign]  # markdown-it's documented hook
    md.inline.add_terminator_char("|")
    md.inline.ruler.before("emphasis", "spoiler", _spoiler)
    return md


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href" and not _is_safe_link(value):
        return None
    return value


def sanitise(html: str) -> str:
    """Keep only the markup comments may use; the last word on what reaches a reader."""
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes=set(ALLOWED_SCHEMES),
        url_relative="deny",
        link_rel=LINK_REL,
        allowed_classes={"span": {SPOILER_CLASS}},
        strip_comments=True,
    )


# One line of prose that no markdown rule reacts to: no block marker or list number at its
# start, no inline syntax character, no control character, no space at its end. For such a
# line markdown-it's output is always ``<p>`` + the escaped text (tests/domain/test_markup.py
# checks it on generated text), so the parser, about 130 µs of every such comment's post, is
# skipped; the sanitiser still has the last word.
_PLAIN_LINE = re.compile(r"(?!\d+[.)])[^\W_][^\\`*_\[\]!<&|~\x00-\x1f\x7f]*(?<=\S)")


def is_plain_line(markdown: str) -> bool:
    return _PLAIN_LINE.fullmatch(markdown) is not None and markdown.isprintable()


def render(markdown: str) -> str:
    """Comment markdown as HTML that is safe to put into any page."""
    if is_plain_line(markdown):
        return sanitise(f"<p>{escapeHtml(markdown)}</p>\n").strip()
    return sanitise(_markdown().render(markdown)).strip()
