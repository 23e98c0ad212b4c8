"""Article-list counts, the health check and the OpenAPI document."""

from __future__ import annotations

from tests.support import posted


def test_counts_for_several_threads_with_unknown_ones_as_zero(client):
    posted(client, thread="a")
    posted(client, thread="a")
    posted(client, thread="b")
    response = client.get("/api/counts", params=[("thread", "a"), ("thread", "b"), ("thread", "c")])
    assert response.status_code == 200
    assert response.json() == {"counts": {"a": 2, "b": 1, "c": 0}}


def test_healthz_answers_while_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_openapi_document_describes_every_endpoint(client):
    document = client.get("/api/docs/openapi.json").json()
    paths = document["paths"]
    assert set(paths) >= {
        "/api/comments",
        "/api/comments/{comment_id}",
        "/api/comments/{comment_id}/vote",
        "/api/counts",
        "/healthz",
    }
    assert set(paths["/api/comments"]) >= {"get", "post"}
    assert set(paths["/api/comments/{comment_id}"]) >= {"patch", "delete"}
    schemas = document["components"]["schemas"]
    assert {"NewComment", "Comment", "ThreadPage", "VoteRequest"} <= set(schemas)


def test_unknown_route_and_method_get_the_error_shape(client):
    for response, status in ((client.get("/api/nope"), 404), (client.put("/api/comments"), 405)):
        assert response.status_code == status
        assert set(response.json()["error"]) == {"code", "message", "field"}
