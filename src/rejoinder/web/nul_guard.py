"""No NUL byte gets past the door: not in a path, a query, a form or a JSON body.

No field of Rejoinder's may hold one, and PostgreSQL refuses it in any text value with an
error of its own, which a client could turn into a 500 by putting ``%00`` in an article
slug, a search, a sign-in name or a ban reason. So a path or query holding one is answered
400 ``nul_byte`` before routing; a form body holding one is refused as it is read; a JSON
body, by the write guard (``check_json_for_nul``), naming the field that held it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import msgspec

from rejoinder.domain.errors import invalid
from rejoinder.web.errors import error_document

_MESSAGE = "NUL bytes are not allowed."
_FORM = b"application/x-www-form-urlencoded"


def _holds_nul(raw: bytes) -> bool:
    return b"\x00" in raw or b"%00" in raw


class NulGuard:
    """``app`` behind a check of the path, the query and form bodies for NUL bytes."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Some servers and test clients leave the query on ``raw_path``; it is checked apart.
        raw_path = (scope.get("raw_path") or b"").partition(b"?")[0]
        if "\x00" in scope["path"] or _holds_nul(raw_path):
            await _refuse(send, None)
            return
        if _holds_nul(scope["query_string"]):
            await _refuse(send, _parameter_with_nul(scope["query_string"]))
            return
        if any(
            name == b"content-type" and value.startswith(_FORM) for name, value in scope["headers"]
        ):
            receive = _forms_without_nul(receive)
        await self.app(scope, receive, send)


def _forms_without_nul(receive: Any) -> Any:
    tail = b""  # the end of the previous chunk, for a "%00" split between two

    async def receiving() -> Any:
        nonlocal tail
        message = await receive()
        if message["type"] == "http.request":
            body = tail + message.get("body", b"")
            if _holds_nul(body):
                raise invalid("nul_byte", _MESSAGE)
            tail = body[-2:]
        return message

    return receiving


def _parameter_with_nul(query: bytes) -> str | None:
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or None
    return None


async def _refuse(send: Any, field: str | None) -> None:
    refusal = msgspec.json.encode(error_document("nul_byte", _MESSAGE, field))
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(refusal)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": refusal})


def check_json_for_nul(raw: bytes) -> None:
    """Refuse a JSON body with a NUL in any string, naming the top-level field that held it."""
    if b"\\u0000" not in raw:
        return
    document = msgspec.json.decode(raw)
    items = document.items() if isinstance(document, dict) else [(None, document)]
    for field, value in items:
        if _nul_inside(value) or (isinstance(field, str) and "\x00" in field):
            raise invalid("nul_byte", _MESSAGE, field)


def _nul_inside(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_nul_inside(k) or _nul_inside(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_nul_inside(v) for v in value)
    return False
