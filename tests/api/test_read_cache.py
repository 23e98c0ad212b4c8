"""The thread read cache: pages come from memory until the thread changes, readers who have
the page get 304, and nobody ever sees an old page after a change, in any process."""

from __future__ import annotations

import pytest

from rejoinder.store.changes import NoWatch
from tests.support import THREAD, add_moderator, moderate, posted, sign_in


def read(client, **headers):
    return client.get("/api/comments", params={"thread": THREAD}, headers=headers)


def test_the_same_page_is_built_once_and_served_from_the_cache(client):
    posted(client)
    client.cookies.clear()
    reads = client.app.state.reads
    first, second = read(client), read(client)
    assert first.content == second.content
    assert reads.misses == 1
    assert reads.hits + reads.served == 1


def test_a_reader_with_the_current_page_gets_304(client):
    posted(client)
    client.cookies.clear()
    first = read(client)
    etag = first.headers["etag"]
    again = read(client, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag


def test_a_new_comment_is_in_the_very_next_read_for_everyone(client):
    posted(client, "First.")
    client.cookies.clear()
    before = read(client)
    posted(client, "Second.")
    after = read(client, **{"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert [c["html"] for c in after.json()["comments"]] == ["<p>Second.</p>", "<p>First.</p>"]


def test_votes_edits_and_moderation_each_make_a_new_page(client, database_url):
    created = posted(client, "Original.")
    comment_id = created["comment"]["id"]
    tags = {read(client).headers["etag"]}
    client.post(f"/api/comments/{comment_id}/vote", json={"value": 1})
    assert read(client).json()["comments"][0]["votes"]["up"] == 1
    tags.add(read(client).headers["etag"])
    client.patch(
        f"/api/comments/{comment_id}",
        json={"body": "Edited."},
        headers={"X-Edit-Token": created["edit_token"]},
    )
    assert read(client).json()["comments"][0]["html"] == "<p>Edited.</p>"
    tags.add(read(client).headers["etag"])
    add_moderator(database_url)
    csrf = sign_in(client)
    moderate(client, csrf, comment_id, "reject")
    assert read(client).json()["comments"] == []
    tags.add(read(client).headers["etag"])
    assert len(tags) == 4


def test_pages_stay_true_across_processes_on_one_database(make_client):
    one, other = make_client(), make_client()
    posted(one, "Seen by both.")
    assert len(read(other).json()["comments"]) == 1  # cached in `other` now
    posted(one, "Written through the other process.")
    assert len(read(other).json()["comments"]) == 2


def test_anonymous_pages_may_be_cached_by_a_cdn_but_a_writers_are_private(client):
    posted(client)
    assert read(client).headers["cache-control"] == "private, no-cache"  # has the voter cookie
    client.cookies.clear()
    assert read(client).headers["cache-control"] == "public, max-age=5, stale-while-revalidate=30"


@pytest.fixture
def unwatched(client):
    """The app as it is on a database it cannot watch, or while PostgreSQL's listener is
    down; the real watch is put back for the app to close."""
    services = client.app.state.services
    watch, services.changes = services.changes, NoWatch()
    yield client
    services.changes = watch


def test_anonymous_pages_stay_public_while_the_change_watch_cannot_vouch(unwatched):
    # No page is kept for the front door, yet what an anonymous reader gets is the same for
    # everyone, so a CDN may keep it.
    client = unwatched
    posted(client)
    client.cookies.clear()
    first = read(client)
    assert first.headers["cache-control"] == "public, max-age=5, stale-while-revalidate=30"
    again = read(client, **{"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == "public, max-age=5, stale-while-revalidate=30"


def test_a_thread_with_shadow_banned_comments_is_never_shared(client, database_url):
    comment_id = posted(client, "Mine.")["comment"]["id"]
    add_moderator(database_url)
    csrf = sign_in(client)
    moderate(client, csrf, comment_id, "shadowban")
    mine = read(client)
    assert mine.headers["cache-control"] == "private, no-store"
    assert [c["id"] for c in mine.json()["comments"]] == [comment_id]
    client.cookies.clear()
    assert read(client).json()["comments"] == []
