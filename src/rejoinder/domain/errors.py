"""The one error type the domain and the store raise for anything a client did wrong.

The web layer turns it into ``{"error": {"code", "message", "field"}}`` with the HTTP status
that ``kind`` stands for, so rules never need to know about HTTP.
"""

from __future__ import annotations

from enum import Enum

from rejoinder.domain.phrases import phrase


class Problem(Enum):
    """What kind of refusal this is; the web layer maps each to one HTTP status."""

    INVALID = "invalid"  # 400: the request is malformed or breaks a rule
    TOO_LARGE = "too_large"  # 413: a value is over its size limit (never truncated)
    UNAUTHORISED = "unauthorised"  # 401: credentials missing or bad
    FORBIDDEN = "forbidden"  # 403: understood, but not allowed
    NOT_FOUND = "not_found"  # 404
    CONFLICT = "conflict"  # 409: clashes with what is stored
    UNSUPPORTED_MEDIA = "unsupported_media"  # 415
    UNPROCESSABLE = "unprocessable"  # 422: well-formed but cannot be applied
    RATE_LIMITED = "rate_limited"  # 429: too many requests; retry later
    UNAVAILABLE = "unavailable"  # 503: storage or a service it needs is away; retry later


class RejoinderError(Exception):
    """A refusal with a stable machine ``code``, a human ``message`` and the ``field`` at fault."""

    def __init__(
        self,
        problem: Problem,
        code: str,
        message: str,
        field: str | None = None,
        *,
        retry_after: int | None = None,
        reasons: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.problem = problem
        self.code = code
        self.message = message
        self.field = field
        self.retry_after = retry_after
        # Machine codes of why, when one code cannot say it all (a nudge's reasons).
        self.reasons = reasons

    def __repr__(self) -> str:
        return f"RejoinderError({self.problem.value}, {self.code!r}, field={self.field!r})"


def invalid(code: str, message: str, field: str | None = None) -> RejoinderError:
    return RejoinderError(Problem.INVALID, code, message, field)


def no_comment(comment_id: int) -> RejoinderError:
    """404 for a comment that does not exist or that the caller may not see: the two are
    answered alike, so a hidden comment's existence is not given away."""
    return RejoinderError(
        Problem.NOT_FOUND, "not_found", phrase("There is no comment {number}.", number=comment_id)
    )
