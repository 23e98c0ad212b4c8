"""Readers report comments; enough reports hide one until a moderator has looked."""

from __future__ import annotations

import pytest

from tests.support import add_moderator, assert_error, moderate, page, posted, sign_in


def report(client, comment_id: int, reason: str = "abuse", **fields):
    client.cookies.clear()  # each report from another reader's browser
    return client.post(f"/api/comments/{comment_id}/reports", json={"reason": reason, **fields})


@pytest.fixture
def reported(make_client):
    client = make_client(report_threshold=2)
    return client, posted(client, "Something people dislike.")["comment"]["id"]


def test_a_report_is_received_and_lands_in_the_reported_queue(reported, database_url):
    client, comment_id = reported
    response = report(client, comment_id, "misinformation", note="The figure is from 2019.")
    assert response.status_code == 201
    assert page(client)["thread"]["comment_count"] == 1
    add_moderator(database_url)
    sign_in(client)
    queue = client.get("/admin?queue=reported").text
    assert f'id="item-{comment_id}"' in queue
    assert "The figure is from 2019." in queue


def test_enough_reports_hide_the_comment_pending_review(reported, peek):
    client, comment_id = reported
    report(client, comment_id, "spam")
    report(client, comment_id, "abuse")
    assert page(client)["comments"] == []
    assert page(client)["thread"]["comment_count"] == 0
    assert peek.scalar("SELECT status FROM comments") == "pending"


def test_approving_a_reported_comment_clears_its_reports_and_shows_it_again(
    reported, database_url, peek
):
    client, comment_id = reported
    report(client, comment_id)
    report(client, comment_id)
    add_moderator(database_url)
    csrf = sign_in(client)
    assert moderate(client, csrf, comment_id, "approve").status_code == 303
    assert page(client)["thread"]["comment_count"] == 1
    assert peek.scalar("SELECT count(*) FROM reports WHERE resolved_at IS NULL") == 0
    # A comment a moderator approved is not hidden again by a new round of reports.
    report(client, comment_id)
    report(client, comment_id)
    assert page(client)["thread"]["comment_count"] == 1


def test_one_reader_reports_a_comment_once(reported, peek):
    client, comment_id = reported
    assert (
        client.post(f"/api/comments/{comment_id}/reports", json={"reason": "spam"}).status_code
        == 201
    )
    again = client.post(f"/api/comments/{comment_id}/reports", json={"reason": "abuse"})
    assert assert_error(again, 409, None)["code"] == "already_reported"
    assert peek.scalar("SELECT count(*) FROM reports") == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "boring"}, "reason"),
        ({}, "reason"),
        ({"reason": "spam", "note": "x" * 501}, "note"),
        ({"reason": "spam", "extra": 1}, "extra"),
    ],
)
def test_bad_reports_are_refused_and_store_nothing(reported, peek, body, field):
    client, comment_id = reported
    before = peek.counts()
    response = client.post(f"/api/comments/{comment_id}/reports", json=body)
    assert_error(response, 400, field)
    assert peek.counts() == before


def test_reporting_a_comment_that_is_not_there_is_a_404(client):
    assert_error(client.post("/api/comments/999/reports", json={"reason": "spam"}), 404, None)
