"""Issue 15: the discussion is public, so any site may read it; only the publisher's listed
sites may write, or read with the reader's cookies or headers."""

from __future__ import annotations

import pytest

from tests.support import THREAD, posted

PUBLISHER = "https://news.example"
ELSEWHERE = "https://blog.example"
READS = [
    ("/api/comments", {"thread": THREAD}),
    ("/api/counts", {"thread": THREAD}),
    ("/api/articles", {}),
]


@pytest.mark.parametrize(("path", "params"), READS)
@pytest.mark.parametrize("listed", [(PUBLISHER,), ()], ids=["some-listed", "none-listed"])
def test_any_site_reads_the_discussion_without_credentials(make_client, path, params, listed):
    client = make_client(allowed_origins=listed)
    posted(client, "A comment anyone may read.")
    for _ in range(2):  # the first answer, then the one served from memory
        answer = client.get(path, params=params, headers={"Origin": ELSEWHERE})
        assert answer.status_code == 200, answer.text
        # "*" is honoured by browsers only for a request sent without cookies.
        assert answer.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in answer.headers
        assert "origin" in ",".join(answer.headers.get_list("vary")).lower()


def test_a_listed_site_still_reads_with_credentials(make_client):
    client = make_client(allowed_origins=(PUBLISHER,))
    posted(client)
    for _ in range(2):
        answer = client.get(
            "/api/comments", params={"thread": THREAD}, headers={"Origin": PUBLISHER}
        )
        assert answer.headers["access-control-allow-origin"] == PUBLISHER
        assert answer.headers["access-control-allow-credentials"] == "true"


def test_a_site_not_listed_may_not_write(make_client):
    client = make_client(allowed_origins=(PUBLISHER,))
    answer = client.post(
        "/api/comments",
        json={"thread": THREAD, "author_name": "Olena", "body": "From elsewhere."},
        headers={"Origin": ELSEWHERE},
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in answer.headers
    assert client.get("/api/comments", params={"thread": THREAD}).json()["comments"] == []


@pytest.mark.parametrize(
    ("method", "headers"),
    [("POST", "content-type"), ("GET", "x-rejoinder-reader"), ("GET", "authorization")],
)
def test_a_site_not_listed_may_not_send_a_readers_headers(make_client, method, headers):
    """A read naming the reader (their token, their sign-on) is theirs, not public."""
    client = make_client(allowed_origins=(PUBLISHER,))
    preflight = client.options(
        "/api/me/data",
        headers={
            "Origin": ELSEWHERE,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_the_admin_answers_no_other_site_even_for_reads(make_client):
    client = make_client(allowed_origins=(PUBLISHER,))
    answer = client.get("/admin/login", headers={"Origin": ELSEWHERE})
    assert "access-control-allow-origin" not in answer.headers
