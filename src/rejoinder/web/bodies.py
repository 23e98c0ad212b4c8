"""Strict JSON bodies: a wrong JSON type is an error, never quietly converted.

Litestar converts request data in msgspec's lax mode, where ``"1"`` becomes ``1`` and
``"true"`` becomes ``True``. Our clients deserve to hear about such mistakes, so write
handlers declare their body type in ``opt={"body": Struct}`` and the write guard decodes the
body strictly first; the framework then parses the same cached bytes for the handler.
"""

from __future__ import annotations

import re

import msgspec
from litestar import Request

from rejoinder.domain.errors import invalid
from rejoinder.web.nul_guard import check_json_for_nul

_AT_FIELD = re.compile(r"at `\$\.([A-Za-z_][A-Za-z0-9_]*)")
_NAMED_FIELD = re.compile(r"field `([^`]+)`")


def _field_of(message: str) -> str | None:
    match = _AT_FIELD.search(message) or _NAMED_FIELD.search(message)
    return match.group(1) if match else None


async def check_strict_body(request: Request, body_type: type) -> None:
    raw = await request.body()
    try:
        msgspec.json.decode(raw, type=body_type, strict=True)
        check_json_for_nul(raw)
    except msgspec.ValidationError as exc:
        message = str(exc)
        raise invalid("invalid", message.split(" - at ")[0], _field_of(message)) from None
    except msgspec.DecodeError as exc:
        raise invalid("invalid_json", f"The request body is not valid JSON ({exc}).") from None
