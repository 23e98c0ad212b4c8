"""Confusable skeletons, and guest names that impersonate staff."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rejoinder.domain.confusables import fold, imitates, skeleton
from rejoinder.domain.confusables_data import PROTOTYPES
from rejoinder.domain.errors import RejoinderError
from rejoinder.domain.names import RESERVED_NAMES, check_guest_name, clean_author_name


@pytest.mark.parametrize(
    "disguise",
    [
        "editor",
        "EDITOR",
        "Ed Itor",
        "ed.itor",
        "ed_itor",
        "Еditor",  # Cyrillic capital Е
        "еdіtоr",  # Cyrillic е, і, о
        "ΕDΙΤΟR",  # Greek capitals
        "Ｅｄｉｔｏｒ",  # fullwidth
        "𝐄𝐝𝐢𝐭𝐨𝐫",  # mathematical bold
        "EDlTOR",  # small l for capital I
        "ED1TOR",
        "edit0r",
        "Éditör",
        "ed\u200bitor",
        "ed\u00aditor",  # soft hyphen
        "e\u0301ditor",
    ],
)
def test_disguised_spellings_share_one_skeleton(disguise):
    assert skeleton(disguise) == skeleton("editor")


@pytest.mark.parametrize(
    ("a", "b"), [("editor", "auditor"), ("Anna", "Hanna"), ("mod", "nod"), ("Олена", "Оксана")]
)
def test_different_names_keep_different_skeletons(a, b):
    assert skeleton(a) != skeleton(b)


def test_rn_and_m_look_alike():
    assert skeleton("rnoderator") == skeleton("moderator")


def test_cyrillic_small_letters_that_read_as_small_capitals_fold_to_latin():
    assert skeleton("КАТЕ") == skeleton("кате") == skeleton("kate")


def test_fold_keeps_layout_and_ascii_digits_for_leetspeak():
    assert fold("Hi, 1d10t!") == "hl, 1d10t!"
    assert fold("Ｈｉ") == "hl"


def test_prototype_data_is_already_folded():
    for source, prototype in PROTOTYPES.items():
        assert skeleton(prototype) == skeleton(source), source


@given(st.text(max_size=40))
def test_skeleton_is_idempotent(text):
    once = skeleton(text)
    assert skeleton(once) == once


@given(st.text(max_size=40))
def test_skeleton_has_no_spaces(text):
    assert not any(ch.isspace() for ch in skeleton(text))


@given(st.text(alphabet=string.ascii_letters + " .-_", max_size=30))
def test_skeleton_ignores_case_and_separators(name):
    assert skeleton(name.upper()) == skeleton(name.lower()) == skeleton(name.replace(" ", ""))


def test_imitates_names_the_protected_name():
    assert imitates("Ann Smith", ["John Doe", "ann.smith"]) == "ann.smith"
    assert imitates("Anna Smith", ["John Doe", "ann.smith"]) is None


def test_punctuation_only_name_imitates_nothing():
    assert imitates("...", ["—", "!!"]) is None


def test_cyrillic_lookalike_of_editor_is_refused():
    with pytest.raises(RejoinderError) as refused:
        check_guest_name("Еditor", [])
    assert refused.value.code == "name_reserved"
    assert refused.value.field == "author_name"


@pytest.mark.parametrize("name", [*RESERVED_NAMES, "ADMlN", "Sys Tem", "Ｍｏｄ", "rnod", "SUPP0RT"])
def test_reserved_names_and_lookalikes_are_refused(name):
    with pytest.raises(RejoinderError):
        check_guest_name(name, [])


def test_leetspeak_other_than_zero_and_one_is_not_a_lookalike_in_names():
    check_guest_name("N3wsroom", [])


def test_lookalike_of_a_member_name_is_refused():
    with pytest.raises(RejoinderError):
        check_guest_name("Marta Kоval", ["Marta Koval"])  # Cyrillic о


@pytest.mark.parametrize("name", ["Admiral Ackbar", "Modesty", "Editorial fan", "Анна", "Sam"])
def test_ordinary_names_are_allowed(name):
    check_guest_name(name, ["Marta Koval"])


# Ways to write one letter so it still reads as that letter (Unicode's confusables: Greek
# small epsilon is not among them for e, it maps to the open e), or to add nothing visible.
_LOOKALIKES = {
    "a": "aAаАαΑａ",
    "e": "eEеЕΕｅ",
    "o": "oOоОοΟ0ｏ",
    "i": "iIіІιΙ1lｉ",
    "r": "rRгｒ",
    "t": "tTтТτΤｔ",
    "d": "dDԁｄ",
    "s": "sSѕЅｓ",
    "k": "kKкКκΚｋ",
    "m": "mMмМΜｍ",
    "n": "nNΝｎ",
    "w": "wWԝｗ",
}
_NOTHING = ["", "", "", " ", ".", "-", "_", "\u200b", "\u00ad", "\u2060"]


@st.composite
def disguised(draw, name: str) -> str:
    letters = [draw(st.sampled_from(_LOOKALIKES.get(ch.lower(), ch))) for ch in name]
    return "".join(draw(st.sampled_from(_NOTHING)) + letter for letter in letters)


@given(st.sampled_from(["Editor", "News Desk", "Moderator"]).flatmap(disguised))
def test_no_disguise_of_a_staff_name_is_accepted(name):
    """However a staff name is respelt (look-alike letters from other scripts, digits,
    fullwidth forms, case, separators or invisible characters between letters), a guest may
    not take it."""
    with pytest.raises(RejoinderError):
        check_guest_name(clean_author_name(name), ["News Desk", "Editor"])
