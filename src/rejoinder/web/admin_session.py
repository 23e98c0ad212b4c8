"""Moderators' sessions over HTTP: a session cookie, and a CSRF token on every form.

The cookie is HttpOnly, SameSite=Strict and Secure on HTTPS, scoped to /admin; the database
keeps only a hash of its token. Every state-changing form carries the session's CSRF token,
and also must come from our own origin. Checking passwords, the sign-in rate limits and the
sessions themselves are ``service/accounts.py``'s.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.identity import Role
from rejoinder.domain.phrases import phrase
from rejoinder.service import accounts
from rejoinder.service.accounts import SESSION_LIFETIME, AdminSession, User
from rejoinder.web.context import services
from rejoinder.web.security import client_address, is_secure, own_origin

SESSION_COOKIE = "rj_admin"
LOGIN_CSRF_COOKIE = "rj_login"


def _cookie(request: Request, key: str, value: str, max_age: int) -> Cookie:
    return Cookie(
        key=key,
        value=value,
        path="/admin",
        max_age=max_age,
        httponly=True,
        secure=is_secure(request),
        samesite="strict",
    )


async def current_session(request: Request) -> AdminSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return await accounts.find_session(services(request), token)


class SignedOut(Exception):
    """No moderator is signed in: pages send the browser to sign in, scripts get a 401."""


async def signed_in_session(request: Request) -> AdminSession:
    session = await current_session(request)
    if session is None:
        raise SignedOut
    return session


# Every /admin handler but sign-in takes ``session: SignedIn`` through this dependency;
# those that scripts call (counts, items, the event stream) also say ``opt=ANSWERS_JSON``.
SIGNED_IN = {"session": Provide(signed_in_session)}
SignedIn = NamedDependency[AdminSession]
ANSWERS_JSON = {"signed_out": "json"}


def login_form_token(request: Request) -> tuple[str, Cookie | None]:
    """A token for the sign-in form, doubled in a cookie (there is no session yet to hold it)."""
    existing = request.cookies.get(LOGIN_CSRF_COOKIE)
    if existing and len(existing) >= 20:
        return existing, None
    token = secrets.token_urlsafe(24)
    return token, _cookie(request, LOGIN_CSRF_COOKIE, token, 3600)


def check_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/").lower() != own_origin(request):
        raise RejoinderError(
            Problem.FORBIDDEN,
            "origin_not_allowed",
            phrase("Forms may only be sent from this site."),
        )


async def checked_form(request: Request, session: AdminSession) -> Any:
    """The posted form, once it is known to come from our page in this session."""
    form = await request.form()
    check_origin(request)
    check_csrf(session.csrf, form.get("csrf"))
    return form


def check_csrf(expected: str | None, sent: object) -> None:
    # Compared as bytes: compare_digest refuses a str with non-ASCII characters (a forged
    # field), and a field sent as a file is no token either.
    if (
        not expected
        or not isinstance(sent, str)
        or not sent
        or not hmac.compare_digest(expected.encode(), sent.encode(errors="replace"))
    ):
        raise RejoinderError(
            Problem.FORBIDDEN,
            "csrf_failed",
            phrase(
                "This form has expired or did not come from this site. "
                "Reload the page and try again."
            ),
            "csrf",
        )


def require_admin(session: AdminSession) -> None:
    """Pages that change the whole site's content (importing an archive) are for admins;
    a moderator who is not one gets 403."""
    if Role.ADMIN not in session.user.roles:
        raise RejoinderError(
            Problem.FORBIDDEN, "admins_only", phrase("Only an admin may open this page.")
        )


async def sign_in(request: Request, username: str, password: str) -> tuple[User, Cookie]:
    """Check the password and open a session; refuses after too many attempts (429)."""
    app = services(request)
    address = app.signer.address_hash(client_address(request))
    user, token = await accounts.sign_in(app, username, password, address)
    max_age = int(SESSION_LIFETIME.total_seconds())
    return user, _cookie(request, SESSION_COOKIE, token, max_age)


async def sign_out(request: Request) -> Cookie:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await accounts.end_session(services(request), token)
    return _cookie(request, SESSION_COOKIE, "", 0)
