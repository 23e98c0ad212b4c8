"""Who is asking, resolved once per request: a signed-in reader, a reader token, or an address.

The widget runs on the publisher's site, where Rejoinder's cookies are third-party and often
blocked, so a reader's identity is a token the server signs (an opaque random id) that the
widget keeps in its own storage and sends as ``X-Rejoinder-Reader`` on every call. The
same-site cookie carries the same token where cookies work. A reader who writes without a
token is given one with the response (``minted``), so every write has a person behind it.

A sign-on token that does not verify is refused outright on writes (401), never quietly
treated as a guest: a reader whose login broke must find out, not post under a guest name.
Reading never fails on identity: a bad sign-on token reads as the reader's token or address.
"""

from __future__ import annotations

from litestar import Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.identity import Identity, IdentityKind
from rejoinder.domain.sso import SsoUser, verify_sso_token
from rejoinder.web.carriers import READER_HEADER, VOTER_COOKIE, VOTER_COOKIE_MAX_AGE
from rejoinder.web.context import services
from rejoinder.web.security import client_address, is_secure

_RESOLVED = "rejoinder.identity"
_READING = "rejoinder.reading_identity"


def bearer_token(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RejoinderError(
            Problem.UNAUTHORISED,
            "token_malformed",
            "Send the sign-in token as 'Authorization: Bearer <token>'.",
            "sso_token",
        )
    return token.strip()


def subject_of(sso: SsoUser) -> str:
    """The stored key of an SSO identity: the user id, scoped by issuer when there is one."""
    return f"{sso.issuer}|{sso.id}" if sso.issuer else sso.id


def carries_identity(connection: ASGIConnection) -> bool:
    """Whether the request names a reader at all (its answers are then that reader's own)."""
    headers = connection.headers
    return (
        READER_HEADER in headers or "authorization" in headers or VOTER_COOKIE in connection.cookies
    )


def identify(connection: ASGIConnection) -> Identity:
    """The identity a write acts as; a bad sign-on token is a 401. Resolved once a request."""
    state = connection.scope.setdefault("state", {})
    found: Identity | None = state.get(_RESOLVED)
    if found is None:
        app = services(connection)
        token = bearer_token(connection)
        sso = verify_sso_token(token, app.sso, app.clock()) if token is not None else None
        found = _identity(connection, sso)
        state[_RESOLVED] = found
    return found


def reading_identity(connection: ASGIConnection) -> Identity:
    """The identity a read is answered for: like ``identify``, but never refused."""
    state = connection.scope.setdefault("state", {})
    found: Identity | None = state.get(_RESOLVED) or state.get(_READING)
    if found is None:
        try:
            found = identify(connection)
        except RejoinderError:
            found = state[_READING] = _identity(connection, None)
    return found


def _identity(connection: ASGIConnection, sso: SsoUser | None) -> Identity:
    app = services(connection)
    address = app.signer.address_hash(client_address(connection))
    if sso is not None:
        return Identity(kind=IdentityKind.USER, address_hash=address, key=subject_of(sso), sso=sso)
    token = connection.headers.get(READER_HEADER) or connection.cookies.get(VOTER_COOKIE)
    key = app.signer.reader_from_token(token)
    if key is not None:
        return Identity(kind=IdentityKind.READER, address_hash=address, key=key)
    return Identity(kind=IdentityKind.ADDRESS, address_hash=address)


def writer_identity(connection: ASGIConnection) -> Identity:
    """The identity of a write, with a reader token made for a reader who had none."""
    found = identify(connection)
    if found.kind is not IdentityKind.ADDRESS:
        return found
    key, token = services(connection).signer.new_reader_token()
    made = Identity(
        kind=IdentityKind.READER, address_hash=found.address_hash, key=key, minted=token
    )
    connection.scope["state"][_RESOLVED] = made
    return made


def hand_back(response: Response, connection: ASGIConnection, identity: Identity) -> Response:
    """Give a reader the token made for them: in the header the widget stores, and as the
    cookie (SameSite=None on HTTPS, so it also works embedded where cookies are allowed)."""
    if identity.minted is None:
        return response
    response.headers[READER_HEADER] = identity.minted
    secure = is_secure(connection)
    response.set_cookie(
        Cookie(
            key=VOTER_COOKIE,
            value=identity.minted,
            path="/api",
            max_age=VOTER_COOKIE_MAX_AGE,
            httponly=True,
            secure=secure,
            samesite="none" if secure else "lax",
        )
    )
    return response
