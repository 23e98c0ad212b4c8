"""Small helpers that keep the tests reading like the product's promises."""

from __future__ import annotations

import re
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


def from_address(address: str) -> dict[str, str]:
    """Headers that make a request come from another client address."""
    return {"X-Forwarded-For": address}


def report_from(
    client: TestClient, comment_id: int, address: str, reason: str = "abuse"
) -> Response:
    """A report from another reader's browser (no cookies) at ``address``."""
    client.cookies.clear()
    return client.post(
        f"/api/comments/{comment_id}/reports",
        json={"reason": reason},
        headers=from_address(address),
    )


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


# Moderators


MODERATOR_PASSWORD = "correct horse battery staple"


def add_moderator(database_url: str, username: str = "ana", role: str = "moderator") -> None:
    """A moderator stored as `rejoinder user add` stores one."""
    import asyncio
    from datetime import UTC, datetime

    from rejoinder.domain.identity import Role
    from rejoinder.domain.passwords import hash_password
    from rejoinder.store.database import Database
    from rejoinder.store.users import add_user

    async def add() -> None:
        database = Database(database_url)
        try:
            async with database.write() as connection:
                await add_user(
                    connection,
                    username=username,
                    display_name=username.capitalize(),
                    roles=frozenset({Role(role), Role.STAFF}),
                    password_hash=hash_password(MODERATOR_PASSWORD),
                    now=datetime.now(UTC),
                )
        finally:
            await database.dispose()

    asyncio.run(add())


def form_token(html: str) -> str:
    import re

    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: TestClient, username: str = "ana", password: str = MODERATOR_PASSWORD) -> str:
    """Sign in through the form, as a moderator's browser does; returns the session's CSRF."""
    login = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"username": username, "password": password, "csrf": form_token(login.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return form_token(client.get("/admin").text)


def moderate(
    client: TestClient, csrf: str, comment_id: int, action: str, **fields: Any
) -> Response:
    return client.post(
        f"/admin/comments/{comment_id}",
        data={"csrf": csrf, "action": action, **fields},
        follow_redirects=False,
    )


def statements_for(client: TestClient, path: str, matching: str | None = None) -> int:
    """How many SQL statements the app runs to answer ``GET path``; with ``matching``, only
    those the pattern finds (``r"\bFROM comments\b"``), so that the live event poller's
    statements, which may come meanwhile, do not count."""
    from sqlalchemy import event

    database = client.app.state.services.db
    engine = database._sqlite_reader if database.is_sqlite else database._reader.sync_engine
    seen: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if matching is None or re.search(matching, statement):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def sso_token(secret: str, subject: str, name: str, email: str, audience: str = "rejoinder") -> str:
    """A publisher's sign-on token (HS256) for this reader, valid for ten minutes."""
    from datetime import UTC, datetime, timedelta

    import jwt

    now = datetime.now(UTC)
    claims = {
        "sub": subject,
        "name": name,
        "email": email,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=10)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")
