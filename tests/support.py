"""Small helpers that keep the tests reading like the product's promises."""

from __future__ import annotations

from typing import Any

from httpx import Response
from litestar.testing import TestClient

THREAD = "article-1"


def post(
    client: TestClient,
    body: str = "A thoughtful comment.",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Response:
    payload: dict[str, Any] = {"thread": THREAD, "author_name": "Reader", "body": body}
    payload.update(fields)
    return client.post("/api/comments", json=payload, headers=headers)


def posted(client: TestClient, body: str = "A thoughtful comment.", **fields: Any) -> dict:
    """Post a comment that must be accepted; returns ``{"comment", "edit_token"}``."""
    response = post(client, body, **fields)
    assert response.status_code == 201, response.text
    return response.json()


def page(client: TestClient, thread: str = THREAD, **params: Any) -> dict:
    response = client.get("/api/comments", params={"thread": thread, **params})
    assert response.status_code == 200, response.text
    return response.json()


def ids(comments: list[dict]) -> list[int]:
    return [comment["id"] for comment in comments]


def assert_error(response: Response, status: int, field: str | None) -> dict:
    """The one error shape, with the status and the field at fault."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "field"}
    assert error["code"] and error["message"]
    assert error["field"] == field
    return error
