"""Moderators' sessions: password sign-in, a session cookie, and a CSRF token on every form.

The cookie is HttpOnly, SameSite=Strict and Secure on HTTPS, scoped to /admin; the database
keeps only a hash of its token. Every state-changing form carries the session's CSRF token,
and also must come from our own origin. Sign-in attempts are rate limited per address and per
username, and a wrong username costs the same argon2 work as a wrong password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

import msgspec
from litestar import Request
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.identity import MODERATING_ROLES
from rejoinder.domain.passwords import hash_password, needs_rehash, verify_password
from rejoinder.service.limits import enforce
from rejoinder.store import users as user_store
from rejoinder.store.users import User
from rejoinder.web.context import services
from rejoinder.web.security import client_address, is_secure, own_origin

SESSION_COOKIE = "rj_admin"
LOGIN_CSRF_COOKIE = "rj_login"
SESSION_LIFETIME = timedelta(hours=12)
# Verified against when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = hash_password("not-a-real-password-" + secrets.token_hex(8))


class AdminSession(msgspec.Struct, frozen=True):
    user: User
    csrf: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
    app = services(request)
    async with app.db.read() as connection:
        found = await user_store.session_user(connection, _token_hash(token), app.clock())
    if found is None or not (MODERATING_ROLES & found[0].roles):
        return None
    return AdminSession(*found)


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
            Problem.FORBIDDEN, "origin_not_allowed", "Forms may only be sent from this site."
        )


async def checked_form(request: Request, session: AdminSession) -> Any:
    """The posted form, once it is known to come from our page in this session."""
    form = await request.form()
    check_origin(request)
    check_csrf(session.csrf, form.get("csrf"))
    return form


def check_csrf(expected: str | None, sent: str | None) -> None:
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise RejoinderError(
            Problem.FORBIDDEN,
            "csrf_failed",
            "This form has expired or did not come from this site. Reload the page and try again.",
            "csrf",
        )


async def sign_in(request: Request, username: str, password: str) -> tuple[User, Cookie]:
    """Check the password and open a session; refuses after too many attempts (429)."""
    app = services(request)
    rate = app.settings.rate_logins
    address = app.signer.address_hash(client_address(request))
    # Per address, and per address for this username: a guesser at one address is stopped
    # after a few tries. Per username from everywhere only at a far higher ceiling: wrong
    # passwords sent from other addresses must not lock the moderator out (issue 13).
    user = username.casefold()
    await enforce(app.counter, f"login:address:{address}", rate, "sign-in attempts")
    await enforce(app.counter, f"login:user:{user}:{address}", rate, "sign-in attempts")
    await enforce(
        app.counter, f"login:user:{user}", app.settings.rate_logins_per_username, "sign-in attempts"
    )
    now = app.clock()
    async with app.db.read() as connection:
        found = await user_store.credentials(connection, username)
    stored_hash = found.password_hash if found and found.password_hash else _DUMMY_HASH
    valid = verify_password(stored_hash, password) and found is not None
    if not valid or found is None or not (MODERATING_ROLES & found.user.roles):
        raise RejoinderError(
            Problem.UNAUTHORISED,
            "login_failed",
            "That username and password do not match a moderator's account.",
        )
    token = secrets.token_urlsafe(32)
    async with app.db.write() as connection:
        if needs_rehash(stored_hash):  # made with weaker parameters than today's
            await user_store.set_password(connection, found.user.id, hash_password(password))
        await user_store.start_session(
            connection,
            session_hash=_token_hash(token),
            user_id=found.user.id,
            csrf=secrets.token_urlsafe(24),
            now=now,
            expires_at=now + SESSION_LIFETIME,
        )
    max_age = int(SESSION_LIFETIME.total_seconds())
    return found.user, _cookie(request, SESSION_COOKIE, token, max_age)


async def sign_out(request: Request) -> Cookie:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with services(request).db.write() as connection:
            await user_store.end_session(connection, _token_hash(token))
    return _cookie(request, SESSION_COOKIE, "", 0)
