"""Best order and cursors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rejoinder.domain.errors import RejoinderError
from rejoinder.domain.models import Sort
from rejoinder.domain.ranking import Cursor, decode_cursor, encode_cursor, wilson_lower_bound


def test_no_votes_scores_zero():
    assert wilson_lower_bound(0, 0) == 0.0


def test_more_evidence_beats_a_lucky_single_vote():
    assert wilson_lower_bound(9, 1) > wilson_lower_bound(1, 0)


def test_known_value():
    # 95% Wilson lower bound for 8 up / 2 down, from the published formula.
    assert wilson_lower_bound(8, 2) == pytest.approx(0.4901624, abs=1e-6)


@given(st.integers(0, 10_000), st.integers(0, 10_000))
@example(up=0, down=47)
@example(up=0, down=2)
def test_property_score_is_a_proportion_and_more_ups_never_hurt(up, down):
    score = wilson_lower_bound(up, down)
    assert 0.0 <= score <= 1.0
    assert wilson_lower_bound(up + 1, down) >= score
    assert wilson_lower_bound(up, down + 1) <= score


@given(
    st.sampled_from(list(Sort)),
    st.datetimes(timezones=st.just(UTC)),
    st.integers(1, 2**63 - 1),
    st.floats(0, 1),
)
def test_property_cursor_round_trips(sort, created_at, comment_id, score):
    cursor = Cursor(sort, created_at, comment_id, score)
    assert decode_cursor(encode_cursor(cursor), sort) == cursor


@pytest.mark.parametrize("token", ["", "!!!", "e30", "WzFd", "bnVsbA"])
def test_garbage_cursor_is_refused(token):
    with pytest.raises(RejoinderError) as refused:
        decode_cursor(token, Sort.BEST)
    assert refused.value.field == "cursor"


def test_cursor_for_another_sort_is_refused():
    token = encode_cursor(Cursor(Sort.OLDEST, datetime.now(UTC), 5))
    with pytest.raises(RejoinderError):
        decode_cursor(token, Sort.NEWEST)
