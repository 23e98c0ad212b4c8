"""An audit entry's before and after, told as the fields that changed, in words."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rejoinder.domain.audit import Change, Target, changes, target, text_parts, words


def test_only_the_fields_that_changed_are_told():
    before = {"status": "pending", "spoiler": False, "featured": False, "body": "Hi."}
    after = {"status": "visible", "spoiler": False, "featured": False, "body": "Hi."}
    assert changes(before, after) == [Change("status", "pending", "published")]


def test_flags_modes_and_days_are_words():
    found = changes(
        {"mode": "post", "closed": False, "auto_close_days": None},
        {"mode": "pre_links", "closed": True, "auto_close_days": 2},
    )
    assert [(c.field, c.before, c.after) for c in found] == [
        ("moderation", "Comments appear at once; moderators check them after",
         "Comments with links wait for a moderator"),
        ("closed", "no", "yes"),
        ("closes", "never", "2 days after publication"),
    ]  # fmt: skip


def test_a_thread_that_takes_the_sites_mode_again_says_so():
    [change] = changes({"mode": "pre"}, {"mode": None})
    assert change.after == "as the site"


def test_values_of_fields_without_words_are_still_never_json():
    [change] = changes(None, {"tags": ["a", "b"], "extra": {"k": "it's"}})[:1]
    assert change.after == "a, b"
    assert words({"k": "it's", "n": None}) == "k: it's; n: none"


@given(st.text(max_size=80), st.text(max_size=80))
def test_a_texts_parts_rebuild_both_versions(before, after):
    parts = text_parts(before, after, context=None)
    assert "".join(p.text for p in parts if p.kind != "added") == before
    assert "".join(p.text for p in parts if p.kind != "removed") == after


def test_long_unchanged_text_is_cut_around_the_edit():
    start = "word " * 100
    parts = text_parts(start + "old end", start + "new end")
    kept = parts[0]
    assert kept.kind == "same" and kept.text.startswith("… ") and len(kept.text) < 80
    assert [(p.kind, p.text) for p in parts[1:]] == [
        ("removed", "old"), ("added", "new"), ("same", " end")
    ]  # fmt: skip


def test_targets_are_named_in_words():
    assert target("comment:12 author:voter") == Target("comment #12 (ban on the guest)", 12)
    assert target("ban:3 email").words == "ban #3 (email address)"
    assert target("site").words == "the whole site"
