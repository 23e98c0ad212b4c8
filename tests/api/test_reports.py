"""Readers report comments; enough reports hide one until a moderator has looked.

Enough means distinct readers *and* distinct addresses: one client cannot hide what it
dislikes, however many reports or reader tokens it sends.
"""

from __future__ import annotations

import itertools

import pytest

from tests.support import (
    add_moderator,
    assert_error,
    from_address,
    moderate,
    page,
    posted,
    sign_in,
)

_addresses = (f"198.51.100.{n % 250 + 1}" for n in itertools.count())


def report(client, comment_id: int, reason: str = "abuse", address: str | None = None, **fields):
    """A report from another reader's browser, on another network unless ``address`` says."""
    client.cookies.clear()
    return client.post(
        f"/api/comments/{comment_id}/reports",
        json={"reason": reason, **fields},
        headers=from_address(address or next(_addresses)),
    )


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


def test_a_readers_repeated_report_is_kept_for_the_moderator_but_counted_once(reported, peek):
    client, comment_id = reported
    url = f"/api/comments/{comment_id}/reports"
    assert client.post(url, json={"reason": "spam"}).status_code == 201
    again = client.post(url, json={"reason": "abuse"}, headers=from_address("203.0.113.9"))
    assert again.status_code == 201
    assert peek.scalar("SELECT count(*) FROM reports") == 2
    assert peek.scalar("SELECT count(DISTINCT reporter) FROM reports") == 1
    assert page(client)["thread"]["comment_count"] == 1


def test_reports_from_one_address_hide_nothing_however_many_readers_send_them(reported, peek):
    client, comment_id = reported
    for _ in range(12):
        assert report(client, comment_id, address="192.0.2.7").status_code == 201
    # Without any reader token at all, too: each request is a new reader, one address.
    for _ in range(5):
        client.cookies.clear()
        response = client.post(
            f"/api/comments/{comment_id}/reports",
            json={"reason": "spam"},
            headers=from_address("192.0.2.7"),
        )
        assert response.status_code == 201
    assert page(client)["thread"]["comment_count"] == 1
    assert peek.scalar("SELECT status FROM comments") == "visible"


def test_one_reader_on_many_addresses_is_still_one_voice(reported, peek):
    client, comment_id = reported
    url = f"/api/comments/{comment_id}/reports"
    for n in range(4):
        headers = from_address(f"203.0.113.{n + 1}")
        assert client.post(url, json={"reason": "spam"}, headers=headers).status_code == 201
    assert peek.scalar("SELECT status FROM comments") == "visible"


def test_an_ipv6_64_reports_as_one_address(reported, peek):
    client, comment_id = reported
    for n in range(3):
        assert report(client, comment_id, address=f"2001:db8:5:7::{n + 1}").status_code == 201
    assert peek.scalar("SELECT status FROM comments") == "visible"
    assert report(client, comment_id, address="2001:db8:5:8::1").status_code == 201
    assert peek.scalar("SELECT status FROM comments") == "pending"


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
