"""What counts as a search: words only, and a friendly answer for the rest."""

from __future__ import annotations

import pytest

from rejoinder.domain.search import MAX_QUERY_LENGTH, parse_query, plain_text


@pytest.mark.parametrize("raw", ["", "   ", "?!…", "\"'*()", "— – …"])
def test_a_query_without_words_is_empty(raw):
    assert parse_query(raw).problem == "empty"


def test_a_query_too_long_to_be_a_search_is_refused_kindly():
    assert parse_query("a" * (MAX_QUERY_LENGTH + 1)).problem == "too_long"
    assert parse_query("a" * MAX_QUERY_LENGTH).problem is None


def test_words_are_lower_cased_and_freed_of_punctuation():
    assert parse_query('  "Kremlin" crack-down?! ').words == ["kremlin", "crack", "down"]


def test_ukrainian_words_are_words():
    assert parse_query("Волонтери, Київ!").words == ["волонтери", "київ"]


def test_apostrophes_split_words():
    assert parse_query("soldiers’ families").words == ["soldiers", "families"]


def test_plain_text_drops_markup_and_entities():
    assert plain_text("<p>Tom &amp; <em>Jerry</em></p>\n<p>Two</p>") == "Tom & Jerry Two"
