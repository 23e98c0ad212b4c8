"""Recognising the same message posted again and again."""

from __future__ import annotations

import random
import re
import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rejoinder.domain.confusables import fold
from rejoinder.domain.moderation.campaigns import (
    _COEFFICIENTS,
    _PRIME,
    BANDS,
    NEAR_DUPLICATE,
    band_keys,
    fingerprint,
    is_near_duplicate,
    min_hashes,
    shingles,
    similarity,
)

MESSAGE = (
    "The council is hiding the real cost of the new bridge from residents. "
    "Call your councillor today and demand a public vote before it is too late."
)


def test_fingerprint_keeps_only_the_words():
    assert fingerprint("Vote **NOW**!!! [here](https://x.example/1) 2024") == "vote now here"


# A typical campaign comment: twenty words.
CAMPAIGN = (
    "Vote for Smith today, everyone: she will fix the bridge, cut the rates "
    "and listen to every resident here now."
)
LEET_CAMPAIGNS = [
    "V0te f0r Sm1th t0day, 3veryone: she wi11 f1x the br1dge, cut the r4tes "
    "and l1sten to every res1dent here now.",
    "Vot3 for $m1th tod@y, everyone: $he w!ll fix the bridge, cut the r@te$ "
    "and li$ten to 3very re$ident h3re n0w.",
    "V07E F0R 5M17H 70D4Y, 3V3RY0N3: 5H3 W1LL F1X 7H3 BR1DG3, CU7 7H3 R4735 "
    "4ND L157EN 70 3V3RY R351D3N7 H3R3 N0W.",
]


@pytest.mark.parametrize("leet", LEET_CAMPAIGNS)
def test_leetspeak_copy_is_the_same_message(leet):
    assert similarity(shingles(CAMPAIGN), shingles(leet)) >= NEAR_DUPLICATE
    assert is_near_duplicate(CAMPAIGN, leet)


def test_leetspeak_reads_digits_and_symbols_as_the_letters_they_stand_for():
    assert fingerprint("V0te f0r Sm1th t0day, 3veryone") == fingerprint(
        "Vote for Smith today, everyone"
    )
    # "1" is "i" or "l", as the reader likes: both spellings meet in one.
    assert fingerprint("ki11 sm1th") == fingerprint("kill smith")
    assert fingerprint("m@ke k!ll cla$$ l|ke b3st") == fingerprint("make kill class like best")


@pytest.mark.parametrize("leet", LEET_CAMPAIGNS)
def test_leetspeak_copy_is_found_by_band_lookup(leet):
    assert set(band_keys(CAMPAIGN)) & set(band_keys(leet))
    reworded = leet.replace("bridge", "roads").replace("BR1DG3", "R04D5")
    assert set(band_keys(CAMPAIGN)) & set(band_keys(reworded))


def test_numbers_alone_are_not_letters():
    # Plain numbers are dropped as ever, not read as "lo", "s" or "o".
    assert fingerprint("Meet at 10 on 5 May 2024, 0 excuses") == fingerprint(
        "Meet at on May, excuses"
    )
    a = "Meet at the bridge at 10 on 5 May 2024 and vote no"
    b = "Meet at the bridge at 11 on 7 May 2025 and vote no"
    assert similarity(shingles(a), shingles(b)) == 1.0


def test_symbols_at_the_edge_of_a_word_are_punctuation():
    assert fingerprint("Vote now! | share it with @everyone +1") == fingerprint(
        "Vote now share it with everyone"
    )


def test_same_message_lightly_varied_is_a_near_duplicate():
    varied = MESSAGE.replace("residents", "us") + " Share this!"
    assert is_near_duplicate(MESSAGE, varied)


def test_case_punctuation_and_links_do_not_make_a_new_message():
    varied = MESSAGE.upper().replace(".", "!!!") + " https://spam.example/123"
    assert similarity(shingles(MESSAGE), shingles(varied)) == 1.0


def test_different_comments_on_the_same_story_are_not_duplicates():
    other = (
        "I drive over the old bridge every day and it is falling apart, so I am glad "
        "the council is finally building a new one, whatever it costs."
    )
    assert not is_near_duplicate(MESSAGE, other)


def test_short_texts_are_never_a_campaign():
    assert shingles("Thanks!") == frozenset()
    assert shingles("Great article, thanks") == frozenset()
    assert not is_near_duplicate("Great article, thanks!", "Great article, thanks!")
    assert band_keys("Thanks!") == []


def test_four_words_are_enough_to_compare():
    assert is_near_duplicate("vote no on bridge", "Vote NO on bridge!")


def test_shingle_hashes_are_stable_across_processes():
    # Pinned: stored band keys must mean the same after a restart or an upgrade.
    assert sorted(shingles("one two three four")) == [0x6E895F63, 0x96EC3992]


def _essay(seed: int, words: int) -> str:
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choices(string.ascii_lowercase, k=6)) for _ in range(400)]
    return " ".join(rng.choices(vocabulary, k=words))


@given(st.text(max_size=200))
def test_a_text_is_a_near_duplicate_of_itself_unless_short(text):
    assert is_near_duplicate(text, text) == bool(shingles(text))


@given(st.text(max_size=200), st.text(max_size=200))
def test_similarity_is_symmetric_and_bounded(a, b):
    forward = similarity(shingles(a), shingles(b))
    assert forward == similarity(shingles(b), shingles(a))
    assert 0.0 <= forward <= 1.0


# What a letter may be written as. Symbols only stand for letters inside a word, so the
# strategy puts them only there; digits may go anywhere.
_DIGITS_FOR = {"a": "4", "b": "8", "e": "3", "g": "9", "i": "1", "l": "1", "o": "0", "s": "5"}
_SYMBOLS_FOR = {"a": "@", "i": "!|", "l": "!|", "s": "$", "t": "+"}


@st.composite
def _plain_and_leet_word(draw: st.DrawFn) -> tuple[str, str]:
    plain = draw(st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=10))
    kept = draw(st.integers(0, len(plain) - 1))  # one letter stays, or it is a number
    leet = []
    for position, letter in enumerate(plain):
        stand_ins = _DIGITS_FOR.get(letter, "")
        if 0 < position < len(plain) - 1:
            stand_ins += _SYMBOLS_FOR.get(letter, "")
        if position == kept or not stand_ins or not draw(st.booleans()):
            leet.append(letter)
        else:
            leet.append(draw(st.sampled_from(stand_ins)))
    return plain, "".join(leet)


@given(st.lists(_plain_and_leet_word(), min_size=1, max_size=12))
def test_any_leetspeak_spelling_has_the_plain_words_fingerprint(words):
    plain = " ".join(p for p, _ in words)
    leet = " ".join(w for _, w in words)
    assert fingerprint(leet) == fingerprint(plain)


@given(st.text(alphabet=st.characters(exclude_characters="0123456789@$|!+"), max_size=200))
def test_text_without_digits_or_symbols_keeps_its_fingerprint(text):
    """Stored signatures stay valid: plain text's fingerprint is its folded letter runs."""
    folded = fold(text)
    assume("://" not in text and "www." not in text.lower())
    assume(not any(c in folded for c in "0123456789@$|!+"))
    assert fingerprint(text) == " ".join(re.findall(r"[^\W\d_]+", folded))


def test_near_duplicates_share_a_band_key():
    varied = MESSAGE.replace("residents", "us") + " Share this!"
    assert set(band_keys(MESSAGE)) & set(band_keys(varied))


def test_unrelated_comments_share_no_band_key():
    assert not set(band_keys(_essay(1, 60))) & set(band_keys(_essay(2, 60)))


def test_band_keys_are_stable_short_and_absent_for_short_texts():
    keys = band_keys(MESSAGE)
    assert keys == band_keys(MESSAGE.upper())
    assert len(keys) == len(set(keys)) == BANDS
    assert all(len(key) <= 24 for key in keys)
    assert band_keys("Thanks!") == []
    assert band_keys("one two three four")[0] == "b00:d0d212ad618138b8"


@settings(max_examples=300)
@given(st.frozensets(st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=120))
def test_min_hashes_are_exactly_the_modular_formula(values):
    """The vectorised MinHash gives the very numbers the stored band keys were made from."""
    assert min_hashes(values) == [
        min((a * x + b) % _PRIME for x in values) for a, b in _COEFFICIENTS
    ]


def test_min_hashes_hold_at_the_edges_of_32_bits():
    values = frozenset({0, 1, 2**31, 2**32 - 1})
    assert min_hashes(values) == [
        min((a * x + b) % _PRIME for x in values) for a, b in _COEFFICIENTS
    ]
