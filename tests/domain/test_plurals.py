"""Counts are worded with one plural rule: one is singular, every other count plural."""

from __future__ import annotations

from rejoinder.domain.moderation.pipeline import link_findings
from rejoinder.domain.plurals import ngettext, plural


def test_one_is_singular_and_every_other_count_plural():
    assert [plural(n, "{n} day", "{n} days") for n in (0, 1, 2, 11)] == [
        "0 days", "1 day", "2 days", "11 days"
    ]  # fmt: skip
    assert ngettext("%(num)d report", "%(num)d reports", 1) == "%(num)d report"


def test_a_comment_with_one_link_too_many_says_one_link():
    [finding] = link_findings(1, 0)
    assert finding.reason == "1 link (more than 0 allowed)"
