"""Banned and suspect words, however they are disguised."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rejoinder.domain.moderation.words import find_words

WORDS = ["idiot", "ass", "go die", "ідіот", "дурень"]


@pytest.mark.parametrize(
    "text",
    [
        "what an idiot",
        "IDIOT",
        "Idiot!",
        "1d10t",
        "!d!0+",
        "iddiiot",
        "i.d.i.o.t",
        "i d i o t",
        "i-d-i-o-t",
        "і" + "diot",  # Cyrillic і
        "id\u200biot",
        "ｉｄｉｏｔ",
        "(idiot)",
    ],
)
def test_disguised_idiot_is_found(text):
    assert find_words(text, WORDS) == ["idiot"]


@pytest.mark.parametrize(
    "text", ["class", "assassin", "bass guitar", "cl@ss", "was sent", "a ss", "idiots", "idiotic"]
)
def test_words_are_not_found_inside_longer_words(text):
    assert find_words(text, WORDS) == []


def test_leetspeak_and_spacing_find_short_words():
    assert find_words("you @ss", WORDS) == ["ass"]
    assert find_words("a $ $", WORDS) == ["ass"]


def test_mixed_spacing_is_not_a_spelled_out_word():
    assert find_words("i di ot", WORDS) == []


def test_phrases_match_with_any_spacing():
    assert find_words("just GO   die!!", WORDS) == ["go die"]
    assert find_words("go, die", WORDS) == ["go die"]
    assert find_words("go away and die", WORDS) == []


def test_word_inside_a_phrase_is_found_too():
    assert find_words("go die", ["die", "go die", "go"]) == ["die", "go die", "go"]


def test_words_come_back_as_listed_in_list_order_once():
    assert find_words("idiot ass idiot", ["Ass", "IDIOT", "Ass"]) == ["Ass", "IDIOT"]


def test_ukrainian_words_are_found_in_cyrillic():
    assert find_words("Ти ІДІОТ.", WORDS) == ["ідіот"]
    assert find_words("ну ти й дурень", WORDS) == ["дурень"]
    assert find_words("дурня", WORDS) == []


def test_ukrainian_word_with_latin_lookalikes_is_found():
    assert find_words("дурeнь", WORDS) == ["дурень"]  # Latin e


def test_words_without_letters_are_ignored():
    assert find_words("--- !!!", ["---", "", "  "]) == []


def test_banned_and_suspect_lists_are_searched_separately():
    text = "a stupid idea from an 1d1ot"
    assert find_words(text, ("idiot",)) == ["idiot"]
    assert find_words(text, ("stupid",)) == ["stupid"]
    assert find_words(text, ()) == []


_LETTERS = "abcdefghjknopqrstuvwxyz"  # without i, l, m: they fold to other letters


@given(
    word=st.text(alphabet=_LETTERS, min_size=2, max_size=8),
    before=st.text(alphabet=_LETTERS, max_size=4),
    after=st.text(alphabet=_LETTERS, max_size=4),
)
def test_a_word_is_never_found_inside_a_longer_word(word, before, after):
    assume(before or after)
    assume(not before or before[-1] != word[0])
    assume(not after or after[0] != word[-1])
    assume(word not in ("say", "now"))  # the words around it, which are rightly found
    assert find_words(f"say {before}{word}{after} now", [word]) == []


@given(word=st.text(alphabet=_LETTERS, min_size=1, max_size=8), padding=st.sampled_from(" .,!?"))
def test_a_listed_word_standing_alone_is_always_found(word, padding):
    assert find_words(f"say{padding} {word.upper()}{padding} now", [word]) == [word]


def test_one_word_of_a_phrase_spelled_out_still_matches_the_phrase():
    assert find_words("you should k i l l yourself", ["kill yourself"]) == ["kill yourself"]
    assert find_words("k.i.l.l   y o u r s e l f", ["kill yourself"]) == ["kill yourself"]
    assert find_words("what a skill yourselfish lot", ["kill yourself"]) == []
