"""Character rules shared by every piece of text a client sends."""

from __future__ import annotations

import unicodedata

import regex

from rejoinder.domain.errors import invalid

# Characters that are invisible or reorder text: they let a name impersonate another or hide
# what a comment really says (the "Trojan Source" family).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u180e")


# What renders as nothing, or as a blank: Unicode's default-ignorable code points (which
# include the Hangul fillers and variation selectors), every white-space character, and
# U+2800 BRAILLE PATTERN BLANK, the one blank symbol no Unicode property names. Taken from the
# properties (the ``regex`` module's Unicode tables), not a hand list of the ones seen so far.
_BLANK = regex.compile(r"[\p{Default_Ignorable_Code_Point}\p{White_Space}\u2800]")


_PRESENTATION_SELECTORS = "\ufe0e\ufe0f"  # text or emoji style of the character before


def renders_blank(ch: str) -> bool:
    """True for a character that shows as nothing or as blank space, the plain space aside."""
    return ch != " " and _BLANK.match(ch) is not None


def shows_blank(text: str) -> bool:
    """True if ``text`` holds a character that renders blank. A presentation selector right
    after a visible character (the emoji style of "❤️") only styles it, so it passes."""
    for i, ch in enumerate(text):
        if renders_blank(ch):
            styles_previous = (
                ch in _PRESENTATION_SELECTORS and i > 0 and not renders_blank(text[i - 1])
            )
            if not styles_previous:
                return True
    return False


def reject_nul(value: str, field: str) -> None:
    if "\x00" in value:
        raise invalid("nul_byte", "NUL bytes are not allowed.", field)


def has_control(value: str, allow: str = "") -> bool:
    """True if ``value`` holds a C0/C1 control character other than those in ``allow``."""
    return any(unicodedata.category(ch) == "Cc" and ch not in allow for ch in value)


def check_single_line(
    value: str, field: str, *, max_length: int, label: str, required: bool = True
) -> str:
    """A short one-line value (a key, a title): no NUL, no controls, not over ``max_length``."""
    reject_nul(value, field)
    if has_control(value):
        raise invalid("control_character", f"{label} must not contain control characters.", field)
    if required and not value.strip():
        raise invalid("required", f"{label} must not be empty.", field)
    if len(value) > max_length:
        raise invalid(
            "too_long",
            f"{label} must be at most {max_length} characters (got {len(value)}).",
            field,
        )
    return value


def is_invisible_trickery(ch: str) -> bool:
    return ch in BIDI_CONTROLS or ch in ZERO_WIDTH or unicodedata.category(ch) == "Cf"
