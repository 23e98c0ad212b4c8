"""The one place that turns exceptions into ``{"error": {"code", "message", "field"}}``.

Handlers raise ``RejoinderError`` (or let the framework raise its own HTTP exceptions);
nothing else in the web layer builds error JSON. The one refusal made before routing, the
NUL guard's, takes its document from ``error_document`` here.

An infrastructure fault (the database away or restarting, a full disk, a lock held too long,
Redis away) is not a bug: ``service/faults.py`` names it, the client gets 503 with
``Retry-After``, and ``Outages`` logs one warning per episode instead of a traceback per request.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.service.faults import Outages, fault_of

log = logging.getLogger("rejoinder")

STATUS_FOR = {
    Problem.INVALID: 400,
    Problem.UNAUTHORISED: 401,
    Problem.FORBIDDEN: 403,
    Problem.NOT_FOUND: 404,
    Problem.CONFLICT: 409,
    Problem.TOO_LARGE: 413,
    Problem.UNSUPPORTED_MEDIA: 415,
    Problem.UNPROCESSABLE: 422,
    Problem.RATE_LIMITED: 429,
    Problem.UNAVAILABLE: 503,
}

_BACKTICKED = re.compile(r"`([^`]+)`")
_MISSING_PARAMETER = re.compile(r"Missing required (\w+) parameter '([^']+)'")


ErrorDocument = dict[str, dict[str, object]]


def error_document(
    code: str, message: str, field: str | None = None, reasons: tuple[str, ...] = ()
) -> ErrorDocument:
    """The one error shape; ``reasons`` is added only when there are some (a nudge's)."""
    error: dict[str, object] = {"code": code, "message": message, "field": field}
    if reasons:
        error["reasons"] = list(reasons)
    return {"error": error}


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    reasons: tuple[str, ...] = (),
) -> Response[ErrorDocument]:
    return Response(
        error_document(code, message, field, reasons),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def on_rejoinder_error(_: Request, exc: RejoinderError) -> Response:
    response = error_response(
        STATUS_FOR[exc.problem], exc.code, exc.message, exc.field, exc.reasons
    )
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _validation_field(exc: ValidationException) -> tuple[str | None, str]:
    """The field and message of the first problem msgspec/Litestar reported."""
    extra = exc.extra
    if not isinstance(extra, list) or not extra or not isinstance(extra[0], dict):
        missing = _MISSING_PARAMETER.search(exc.detail or "")
        if missing:
            return missing.group(
                2
            ), f"The {missing.group(1)} parameter {missing.group(2)!r} is required."
        return None, exc.detail or "The request is not valid."
    first = extra[0]
    message = str(first.get("message", "The request is not valid."))
    field = first.get("key")
    if field in (None, "data"):
        named = _BACKTICKED.findall(message)
        field = named[-1] if "field" in message and named else None
    return field, message


def on_http_exception(_: Request, exc: HTTPException) -> Response:
    """Framework errors (bad JSON, wrong types, unknown route...) in the same shape as ours."""
    status = exc.status_code
    if isinstance(exc, ValidationException):
        field, message = _validation_field(exc)
        return error_response(400, "invalid", message, field)
    if status == 400:
        detail = exc.detail or "Bad request"
        code = "invalid_json" if "JSON" in detail or "truncated" in detail.lower() else "invalid"
        if code == "invalid_json":
            detail = f"The request body is not valid JSON ({detail})."
        return error_response(400, code, detail)
    if status >= 500:
        log.error("server error: %s", exc.detail)
        return error_response(status, "internal", "Something went wrong on our side.")
    if status == 404:
        # The framework's own words can name the file it looked for, or the folder it is in.
        return error_response(404, "not_found", "There is nothing at this address.")
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    code = phrase.lower().replace(" ", "_").replace("-", "_")
    response = error_response(status, code, exc.detail or phrase)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def outages(app: Any) -> Outages:
    """The app's ``Outages``, made on first use and told of every commit."""
    found: Outages | None = getattr(app.state, "outages", None)
    if found is None:
        found = app.state.outages = Outages()
        services = getattr(app.state, "services", None)
        if services is not None:
            services.db.after_commit.append(found.committed)
    return found


def on_unexpected(request: Request, exc: Exception) -> Response:
    fault = fault_of(exc)
    if fault is None:
        log.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal", "Something went wrong on our side.")
    outages(request.app).refused(fault)
    response = error_response(503, fault.code, fault.message)
    response.headers["Retry-After"] = str(fault.retry_after)
    return response
