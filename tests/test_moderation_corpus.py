"""The labelled moderation corpus (issue 18): English and Ukrainian news-site comments, each
with the label a moderator would give it. The scorer is measured against it, so its shape is
checked here: every line well-formed, every label one its category allows, enough comments of
every kind in both languages, and no comment counted twice. Only the file is read."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).parent.parent / "benchmarks" / "data" / "moderation_corpus.jsonl"
LANGS = {"en", "uk"}
LABELS = {"publish", "hold", "reject"}
# What each category may be labelled: civil speech, however harsh, is published; an insult at
# someone present is held; threats and the like are held, or rejected when most explicit;
# spam is rejected, or held when it is only borderline self-promotion.
ALLOWED_LABELS = {
    "civil_praise": {"publish"},
    "civil_criticism": {"publish"},
    "public_figure_criticism": {"publish"},
    "violence_report": {"publish"},
    "targeted_insult": {"hold"},
    "threat": {"hold", "reject"},
    "wish_of_harm": {"hold", "reject"},
    "dehumanisation": {"hold", "reject"},
    "doxxing": {"hold", "reject"},
    "sexual_harassment": {"hold", "reject"},
    "spam": {"hold", "reject"},
}
FIELDS = ("id", "lang", "label", "category", "reason", "text")
MIN_COMMENTS = 600
MIN_PER_LANG = 250
MIN_PER_CATEGORY_AND_LANG = 15


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, Any]]:
    with CORPUS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def test_every_line_is_one_json_object():
    """A line that does not parse would be silently skipped by a careless reader."""
    with CORPUS.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            assert isinstance(json.loads(line), dict), f"line {number}"


def test_every_comment_has_each_field_as_a_non_empty_string(corpus):
    for comment in corpus:
        assert set(comment) == set(FIELDS), comment.get("id")
        for field in FIELDS:
            assert isinstance(comment[field], str) and comment[field].strip(), (
                comment["id"],
                field,
            )


def test_ids_are_unique_and_name_their_language(corpus):
    """Results are reported per id, so two comments must never share one."""
    ids = [comment["id"] for comment in corpus]
    assert len(ids) == len(set(ids))
    for comment in corpus:
        assert comment["id"].startswith(f"{comment['lang']}-"), comment["id"]


def test_language_label_and_category_are_known_and_the_label_fits_the_category(corpus):
    for comment in corpus:
        assert comment["lang"] in LANGS, comment["id"]
        assert comment["label"] in LABELS, comment["id"]
        assert comment["category"] in ALLOWED_LABELS, comment["id"]
        assert comment["label"] in ALLOWED_LABELS[comment["category"]], comment["id"]


def test_there_are_enough_comments_of_each_kind_in_both_languages(corpus):
    """Too few of a kind and one comment moves that kind's score by whole percents."""
    assert len(corpus) >= MIN_COMMENTS
    per_lang = Counter(comment["lang"] for comment in corpus)
    for lang in LANGS:
        assert per_lang[lang] >= MIN_PER_LANG, lang
    per_kind = Counter((comment["lang"], comment["category"]) for comment in corpus)
    for lang in LANGS:
        for category in ALLOWED_LABELS:
            assert per_kind[lang, category] >= MIN_PER_CATEGORY_AND_LANG, (lang, category)


def test_no_text_appears_twice(corpus):
    """A repeated comment would be scored twice; case and spacing do not make it new."""
    seen: dict[str, str] = {}
    for comment in corpus:
        key = " ".join(comment["text"].lower().split())
        assert key not in seen, (comment["id"], seen.get(key))
        seen[key] = comment["id"]
