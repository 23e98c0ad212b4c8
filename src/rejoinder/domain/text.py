"""Character rules shared by every piece of text a client sends."""

from __future__ import annotations

import unicodedata

from rejoinder.domain.errors import invalid

# Characters that are invisible or reorder text: they let a name impersonate another or hide
# what a comment really says (the "Trojan Source" family).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u180e")


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
