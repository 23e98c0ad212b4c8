"""Author-name rules: what a guest may call themselves."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from rejoinder.domain.confusables import imitates
from rejoinder.domain.errors import invalid
from rejoinder.domain.text import has_control, is_invisible_trickery, reject_nul, shows_blank

MAX_NAME_LENGTH = 64

# Names that speak for the site itself. A guest using one, or anything that looks like one,
# could pass off their words as the newsroom's.
RESERVED_NAMES: tuple[str, ...] = (
    "admin",
    "administrator",
    "moderator",
    "mod",
    "staff",
    "editor",
    "rejoinder",
    "system",
    "support",
    "newsroom",
)


def clean_author_name(raw: str, field: str = "author_name") -> str:
    """The name as it will be shown, or a refusal.

    Surrounding spaces are trimmed and the text NFC-normalised so that one name has one
    spelling. Control, bidirectional-override and zero-width characters are refused, never
    stripped: a name that needs them is trying to look like something it is not.
    """
    reject_nul(raw, field)
    name = unicodedata.normalize("NFC", raw.strip())
    if not name:
        raise invalid("required", "Please give a name.", field)
    if len(name) > MAX_NAME_LENGTH:
        raise invalid(
            "too_long",
            f"Names can be at most {MAX_NAME_LENGTH} characters (got {len(name)}).",
            field,
        )
    if has_control(name):
        raise invalid("control_character", "Names cannot contain control characters.", field)
    if any(is_invisible_trickery(ch) for ch in name) or shows_blank(name):
        raise invalid(
            "invisible_character",
            "Names cannot contain invisible, blank or text-direction characters.",
            field,
        )
    return name


def check_guest_name(name: str, protected: Iterable[str]) -> None:
    """Refuse a guest name that looks like a reserved name or one of ``protected``.

    ``protected`` is the names of staff and registered members. Names are compared by
    confusable skeleton, so "Ed Itor", "ЕDITOR" (Cyrillic Е) and "EDlTOR" are refused alike.
    The message does not say whose name it resembles: that would list members' names.
    """
    if imitates(name, [*RESERVED_NAMES, *protected]) is not None:
        raise invalid(
            "name_reserved",
            "This name belongs to a member of staff or is reserved; please choose another.",
            "author_name",
        )
