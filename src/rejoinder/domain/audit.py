"""What an audit entry changed, field by field, in words: "status: waiting for a moderator ->
published", and a text's edit as the words taken out and put in.

An entry keeps its before and after as the values the code has (``{"status": "pending"}``),
which is what the exports give; the log's page shows these changes instead, worded as
``Phrase``s so that the page says them in the moderator's language.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

import msgspec

from rejoinder.domain.phrases import counted, phrase
from rejoinder.domain.wording import ban_kind_word, mode_word, status_word

PartKind = Literal["same", "removed", "added"]
# Unchanged text around an edit is cut to this much either side, so a one-word edit of a long
# comment reads as that word with its context, not as the whole comment twice.
CONTEXT = 60


class TextPart(msgspec.Struct, frozen=True):
    kind: PartKind
    text: str


class Change(msgspec.Struct, frozen=True):
    """One field that changed. A text field says how in ``parts``; the others in ``before``
    and ``after``."""

    field: str
    before: str
    after: str
    parts: tuple[TextPart, ...] = ()


FIELD_WORDS = {
    "status": phrase("status"),
    "spoiler": phrase("spoiler"),
    "featured": phrase("editor's pick"),
    "body": phrase("text"),
    "active": phrase("ban in force"),
    "mode": phrase("moderation"),
    "closed": phrase("closed"),
    "message": phrase("message above the comments"),
    "auto_close_days": phrase("closes"),
    # An archive's import (the file itself is the entry's target).
    "format": phrase("format"),
    "threads": phrase("threads"),
    "new_threads": phrase("new threads"),
    "comments": phrase("comments imported"),
    "already": phrase("imported before"),
    "skipped": phrase("skipped"),
    "unmapped_parents": phrase("replies without their parent"),
}
TEXT_FIELDS = {"body", "message"}


def _days(value: Any) -> str:
    if value is None:
        return phrase("never")
    if isinstance(value, int) and not isinstance(value, bool):
        return counted("{n} day after publication", "{n} days after publication", value)
    return words(value)


def _mode(value: Any) -> str:
    return phrase("as the site") if value is None else mode_word(str(value))


def _status(value: Any) -> str:
    return phrase("none") if value is None else status_word(str(value))


FIELD_VALUES: Mapping[str, Callable[[Any], str]] = {
    "status": _status,
    "mode": _mode,
    "auto_close_days": _days,
}


def words(value: Any) -> str:
    """Any stored value as a reader would say it: no quotes, no braces, no escapes."""
    if value is None:
        return phrase("none")
    if isinstance(value, bool):
        return phrase("yes") if value else phrase("no")
    if isinstance(value, str):
        return value if value else phrase("empty")
    if isinstance(value, list | tuple):
        return ", ".join(words(item) for item in value) or phrase("none")
    if isinstance(value, dict):
        return "; ".join(f"{key}: {words(item)}" for key, item in value.items()) or phrase("none")
    return str(value)


def _tokens(text: str) -> list[str]:
    return re.findall(r"\s+|[^\s]+", text)


def _trim(text: str, context: int | None, *, head: bool, tail: bool) -> str:
    """Unchanged text between edits: keep its ends near the edits, drop the middle."""
    if context is None or len(text) <= 2 * context + 1:
        return text
    if head and tail:
        return text[:context] + " … " + text[-context:]
    return text[:context] + " …" if head else "… " + text[-context:]


def text_parts(before: str, after: str, context: int | None = CONTEXT) -> tuple[TextPart, ...]:
    """``before`` edited into ``after``, as runs of kept, removed and added words; unchanged
    runs are cut to ``context`` characters either side of an edit (None: kept whole)."""
    old, new = _tokens(before), _tokens(after)
    opcodes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    parts: list[TextPart] = []
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            kept = "".join(old[i1:i2])
            first, last = index == 0, index == len(opcodes) - 1
            parts.append(TextPart("same", _trim(kept, context, head=not first, tail=not last)))
            continue
        if i2 > i1:
            parts.append(TextPart("removed", "".join(old[i1:i2])))
        if j2 > j1:
            parts.append(TextPart("added", "".join(new[j1:j2])))
    return tuple(parts)


def _as_fields(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return {} if value is None else {"value": value}


def changes(before: Any, after: Any) -> list[Change]:
    """The fields that differ between an entry's before and after, in the order stored."""
    old, new = _as_fields(before), _as_fields(after)
    found = []
    for key in [*old, *(k for k in new if k not in old)]:
        was, now = old.get(key), new.get(key)
        if was == now:
            continue
        field = FIELD_WORDS.get(key) or key.replace("_", " ")
        say = FIELD_VALUES.get(key, words)
        if key in TEXT_FIELDS and isinstance(was, str) and isinstance(now, str):
            found.append(Change(field, words(was), words(now), text_parts(was, now)))
        else:
            found.append(Change(field, say(was), say(now)))
    return found


class Target(msgspec.Struct, frozen=True):
    """What an entry was about, in words, and the comment it names (for a link), if any."""

    words: str
    comment_id: int | None = None


def target(value: str) -> Target:
    """``comment:12 author:voter``, ``ban:3 voter``, ``thread:<key>``, ``archive:<file>``
    or ``site`` in words."""
    kind, _, rest = value.partition(":")
    if kind == "comment":
        number, _, extra = rest.partition(" ")
        by = extra.removeprefix("author:")
        if number.isdigit():
            if by:
                about = phrase(
                    "comment #{number} (ban on the {kind})", number=number, kind=ban_kind_word(by)
                )
            else:
                about = phrase("comment #{number}", number=number)
            return Target(about, int(number))
    if kind == "ban":
        number, _, by = rest.partition(" ")
        if by:
            return Target(phrase("ban #{number} ({kind})", number=number, kind=ban_kind_word(by)))
        return Target(phrase("ban #{number}", number=number))
    if kind == "thread":
        return Target(phrase("discussion “{key}”", key=rest))
    if kind == "archive":
        return Target(phrase("archive “{file}”", file=rest))
    if value == "site":
        return Target(phrase("the whole site"))
    return Target(value)
