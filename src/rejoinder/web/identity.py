"""Who is writing: a publisher's signed-in reader (SSO token) or a guest (voter cookie).

The widget sends the publisher's token as ``Authorization: Bearer <JWT>``. A request with a
token that does not verify is refused outright (401), never quietly treated as a guest: a
reader whose login broke must find out, not post under a guest name.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection

from rejoinder.config import Settings
from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.identity import Viewer, parse_roles
from rejoinder.domain.sso import SsoConfig, SsoUser, verify_sso_token
from rejoinder.store import users as user_store
from rejoinder.store.database import Connection
from rejoinder.store.users import User
from rejoinder.store.votes import find_voter, voter_id
from rejoinder.web.context import services
from rejoinder.web.security import VOTER_COOKIE


def sso_config(settings: Settings) -> SsoConfig:
    return SsoConfig(
        secret=settings.sso_secret,
        public_key=settings.sso_public_key,
        audience=settings.sso_audience,
        issuer=settings.sso_issuer,
    )


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


def signed_in(connection: ASGIConnection, now: datetime) -> SsoUser | None:
    """The publisher's reader named by a valid token, None for guests; 401 for a bad token."""
    token = bearer_token(connection)
    if token is None:
        return None
    return verify_sso_token(token, services(connection).sso, now)


def subject_of(sso: SsoUser) -> str:
    """The stored key of an SSO identity: the user id, scoped by issuer when there is one."""
    return f"{sso.issuer}|{sso.id}" if sso.issuer else sso.id


async def stored_user(connection: Connection, sso: SsoUser, now: datetime) -> User:
    return await user_store.sso_user(
        connection,
        subject=subject_of(sso),
        display_name=sso.name,
        email=sso.email,
        roles=parse_roles(sso.roles),
        now=now,
    )


async def user_voter(connection: Connection, user: User, now: datetime) -> int:
    return await voter_id(connection, "user", str(user.id), now)


async def viewer(request: Request, connection: Connection) -> Viewer:
    """The reader as far as reading needs: nothing is created, a bad token reads as a guest.

    Reading never fails on identity; only writes insist on a valid token.
    """
    app = services(request)
    user_id = voter = None
    try:
        sso = signed_in(request, app.clock())
    except RejoinderError:
        sso = None
    if sso is not None:
        found = await user_store.user_by_subject(connection, subject_of(sso))
        if found is not None:
            user_id = found.id
            voter = await find_voter(connection, "user", str(found.id))
    else:
        key = app.signer.voter_from_cookie(request.cookies.get(VOTER_COOKIE))
        if key is not None:
            voter = await find_voter(connection, "guest", key)
    return Viewer(user_id=user_id, voter_id=voter)


class Writer(msgspec.Struct, frozen=True):
    """The author of a write, resolved inside its transaction."""

    user: User | None
    voter_id: int

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.user.id if self.user else None, self.voter_id)


async def resolve_writer(
    connection: Connection, sso: SsoUser | None, guest_key: str | None, now: datetime
) -> Writer:
    """The stored user (made or refreshed from the token) or the guest browser's voter row."""
    if sso is not None:
        user = await stored_user(connection, sso, now)
        return Writer(user, await user_voter(connection, user, now))
    return Writer(None, await voter_id(connection, "guest", guest_key or "", now))
