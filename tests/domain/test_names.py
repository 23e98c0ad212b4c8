"""Author names."""

from __future__ import annotations

import pytest

from rejoinder.domain.errors import RejoinderError
from rejoinder.domain.names import clean_author_name


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("John", "John"),
        ("  Mr Person  ", "Mr Person"),
        ("Анна Коваль", "Анна Коваль"),
        ("Cafe\u0301", "Café"),
        ("n" * 64, "n" * 64),
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
