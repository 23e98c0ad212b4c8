"""Author names."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rejoinder.domain.errors import RejoinderError
from rejoinder.domain.names import clean_author_name
from rejoinder.domain.text import shows_blank


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("John", "John"),
        ("  Mr Person  ", "Mr Person"),
        ("Анна Коваль", "Анна Коваль"),
        ("Cafe\u0301", "Café"),
        ("n" * 64, "n" * 64),
        ("Olena \u2764\ufe0f", "Olena \u2764\ufe0f"),  # an emoji in its emoji style
    ],
)
def test_good_names_are_kept_as_written(raw, shown):
    assert clean_author_name(raw) == shown


@pytest.mark.parametrize(
    "raw", ["", "   ", "n" * 65, "a\x00", "a\x1b[31m", "a\u202eb", "a\u200bb", "\u2066x", "a\x85b"]
)
def test_bad_names_are_refused_not_repaired(raw):
    with pytest.raises(RejoinderError) as refused:
        clean_author_name(raw)
    assert refused.value.field == "author_name"


# Issue 13: names that render blank, in part or whole, impersonate ("News Desk" plus a
# filler looks like "News Desk") or show as nobody at all.
BLANK = [
    "News Desk\u3164",  # HANGUL FILLER
    "News Desk\uffa0",  # HALFWIDTH HANGUL FILLER
    "\u2800",  # BRAILLE PATTERN BLANK
    "\u3164\u3164\u3164",
    "\u115f",
    "Olena\u00a0Koval",  # a no-break space: looks like a space, is not one
    "Olena\u3000Koval",  # an ideographic space
    "a\u034fb",  # COMBINING GRAPHEME JOINER
    "a\U000e0041b",  # a TAG character
    "\ufe0fx",  # a selector with nothing to style
]


@pytest.mark.parametrize("raw", BLANK)
def test_names_that_render_blank_are_refused(raw):
    with pytest.raises(RejoinderError) as refused:
        clean_author_name(raw)
    assert refused.value.code in ("invisible_character", "required")


@given(st.text(min_size=1, max_size=64))
def test_no_accepted_name_holds_a_blank_or_invisible_character(raw):
    try:
        name = clean_author_name(raw)
    except RejoinderError:
        return
    assert name.strip() == name and name
    assert not shows_blank(name)
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name)
