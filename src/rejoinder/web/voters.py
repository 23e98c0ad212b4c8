"""Guest voters: a signed cookie names the browser, so each browser has one vote per comment."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import Cookie

from rejoinder.web.context import services
from rejoinder.web.security import VOTER_COOKIE, VOTER_COOKIE_MAX_AGE, is_secure


def guest_voter(request: Request) -> tuple[str, Cookie | None]:
    """The browser's voter key, and the cookie to set when it did not have a valid one yet.

    On HTTPS the cookie is SameSite=None so votes work from widgets embedded on a publisher's
    other domain; on plain HTTP (development) browsers only accept SameSite=Lax.
    """
    signer = services(request).signer
    key = signer.voter_from_cookie(request.cookies.get(VOTER_COOKIE))
    if key is not None:
        return key, None
    key, value = signer.new_voter_cookie()
    secure = is_secure(request)
    cookie = Cookie(
        key=VOTER_COOKIE,
        value=value,
        path="/api",
        max_age=VOTER_COOKIE_MAX_AGE,
        httponly=True,
        secure=secure,
        samesite="none" if secure else "lax",
    )
    return key, cookie
