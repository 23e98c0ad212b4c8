"""Which refusals each endpoint documents, all in the one error shape (and the success
answer of a handler that sends stored bytes).

The OpenAPI document is a contract the fuzzer holds the server to: an answer whose status is
not listed for its operation is a failure. Every operation may answer 400 (a bad parameter)
and 503 (storage away); every write may also answer 403 (another site, or a ban), 413, 415
and 429. Handlers add what is theirs alone: 401, 404, 409, 422.
"""

from __future__ import annotations

from http import HTTPStatus

from litestar.openapi.datastructures import ResponseSpec

from rejoinder.web.schemas import ErrorBody

EVERY = (400, 503)
WRITES = (403, 413, 415, 429)

_WHY = {
    400: "The request is malformed or breaks a rule; `field` names the part at fault.",
    401: "A sign-on token, or the admin token, is missing, expired or wrong.",
    403: "Not allowed: another site's page, a banned reader, or not yours to change.",
    404: "There is nothing by that id or address.",
    409: "It clashes with what is stored.",
    413: "The body, or one of its values, is over its size limit; nothing was cut short.",
    415: "The body must be JSON sent as `Content-Type: application/json`.",
    422: "Well-formed but not taken as it is: `nudge` (the text's words would hold or "
    "refuse it; `reasons` says why; nothing was stored), or an Idempotency-Key already used.",
    429: "Too many requests from here just now; `Retry-After` says when to try again.",
    503: "Storage or a service it needs is away; `Retry-After` says when to try again.",
}


def refusals(*statuses: int, write: bool = False) -> dict[int, ResponseSpec]:
    """The ``responses=`` of a route handler: its own refusals plus everyone's."""
    wanted = sorted({*EVERY, *(WRITES if write else ()), *statuses})
    return {
        status: ResponseSpec(
            data_container=ErrorBody,
            description=f"{HTTPStatus(status).phrase}. {_WHY[status]}",
            generate_examples=False,
        )
        for status in wanted
    }


def sends(status: int, body: type) -> dict[int, ResponseSpec]:
    """The success answer of a handler that sends stored JSON bytes (a cached page, a
    retried post's first answer): documented as the struct those bytes encode, so the
    handler's return type can say what it returns."""
    return {
        status: ResponseSpec(
            data_container=body,
            description=HTTPStatus(status).description,
            generate_examples=False,
        )
    }
