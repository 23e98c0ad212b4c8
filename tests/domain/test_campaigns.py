"""Recognising the same message posted again and again."""

from __future__ import annotations

import random
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from rejoinder.domain.moderation.campaigns import (
    _COEFFICIENTS,
    _PRIME,
    BANDS,
    NEAR_DUPLICATE,
    SIGNATURE_SIZE,
    band_keys,
    fingerprint,
    is_near_duplicate,
    min_hashes,
    shingle_signature,
    shingles,
    signature_similarity,
    similarity,
)

MESSAGE = (
    "The council is hiding the real cost of the new bridge from residents. "
    "Call your councillor today and demand a public vote before it is too late."
)


def test_fingerprint_keeps_only_the_words():
    assert fingerprint("Vote **NOW**!!! [here](https://x.example/1) 2024") == "vote now here"


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
    assert shingle_signature("Thanks!") == ""
    assert signature_similarity("", "") == 0.0


def test_four_words_are_enough_to_compare():
    assert is_near_duplicate("vote no on bridge", "Vote NO on bridge!")


def test_shingle_hashes_are_stable_across_processes():
    # Pinned: a stored signature must mean the same after a restart or an upgrade.
    assert shingle_signature("one two three four") == "6e895f63,96ec3992"


def test_signature_is_short_and_storable():
    long_text = " ".join(random.Random(1).choices(string.ascii_lowercase, k=2000))
    signature = shingle_signature(long_text)
    assert len(signature.split(",")) == SIGNATURE_SIZE
    assert len(signature) <= SIGNATURE_SIZE * 9


def test_signature_similarity_is_exact_for_short_comments():
    varied = MESSAGE.replace("today", "now")
    assert signature_similarity(shingle_signature(MESSAGE), shingle_signature(varied)) == (
        similarity(shingles(MESSAGE), shingles(varied))
    )


def _essay(seed: int, words: int) -> str:
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choices(string.ascii_lowercase, k=6)) for _ in range(400)]
    return " ".join(rng.choices(vocabulary, k=words))


def test_signature_similarity_estimates_long_comments():
    original = _essay(7, 400)
    words = original.split()
    varied = " ".join(words[:300] + ["changed"] * 5 + words[300:])
    unrelated = _essay(8, 400)
    exact = similarity(shingles(original), shingles(varied))
    estimate = signature_similarity(shingle_signature(original), shingle_signature(varied))
    assert abs(exact - estimate) < 0.25
    assert estimate >= NEAR_DUPLICATE
    assert signature_similarity(shingle_signature(original), shingle_signature(unrelated)) < 0.2


def test_signature_similarity_compares_a_short_and_a_long_comment():
    short = "vote no on the bridge plan now"
    long = short + " " + _essay(3, 300)
    assert 0.0 <= signature_similarity(shingle_signature(short), shingle_signature(long)) <= 1.0


@given(st.text(max_size=200))
def test_a_text_is_a_near_duplicate_of_itself_unless_short(text):
    assert is_near_duplicate(text, text) == bool(shingles(text))


@given(st.text(max_size=200), st.text(max_size=200))
def test_similarity_is_symmetric_and_bounded(a, b):
    forward = similarity(shingles(a), shingles(b))
    assert forward == similarity(shingles(b), shingles(a))
    assert 0.0 <= forward <= 1.0
    sig = signature_similarity(shingle_signature(a), shingle_signature(b))
    assert sig == signature_similarity(shingle_signature(b), shingle_signature(a))
    assert 0.0 <= sig <= 1.0


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
