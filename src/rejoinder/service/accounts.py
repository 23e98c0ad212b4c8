"""Moderators' accounts: password sign-in, and the sessions it opens.

The database keeps only a hash of a session's token, so a copy of it signs nobody in.
Sign-in attempts are rate limited per address and per username, and a wrong username costs
the same argon2 work as a wrong password, so timing does not tell which names exist. Only
staff with a moderating role get a session. (The cookie that carries the token, and the
CSRF checks on forms, are ``web/admin_session.py``'s.)
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import msgspec

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.identity import MODERATING_ROLES
from rejoinder.domain.passwords import hash_password, needs_rehash, verify_password
from rejoinder.domain.phrases import phrase
from rejoinder.service.limits import enforce
from rejoinder.service.services import Services
from rejoinder.store import users as user_store
from rejoinder.store.users import User as User  # handed to web/ as the session's user

SESSION_LIFETIME = timedelta(hours=12)
# Verified against when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = hash_password("not-a-real-password-" + secrets.token_hex(8))


class AdminSession(msgspec.Struct, frozen=True):
    user: User
    csrf: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def find_session(app: Services, token: str) -> AdminSession | None:
    """The moderator whose session ``token`` opened, while it lasts and they may moderate."""
    async with app.db.read() as connection:
        found = await user_store.session_user(connection, _token_hash(token), app.clock())
    if found is None or not (MODERATING_ROLES & found[0].roles):
        return None
    return AdminSession(*found)


async def sign_in(
    app: Services, username: str, password: str, address_hash: str
) -> tuple[User, str]:
    """Check the password and open a session: the moderator and the session's token.

    Refuses after too many attempts (429). A password hashed with weaker parameters than
    today's is hashed again while it is at hand.
    """
    rate = app.settings.rate_logins
    # Per address, and per address for this username: a guesser at one address is stopped
    # after a few tries. Per username from everywhere only at a far higher ceiling: wrong
    # passwords sent from other addresses must not lock the moderator out (issue 13).
    user = username.casefold()
    await enforce(app.counter, f"login:address:{address_hash}", rate, "sign-in attempts")
    await enforce(app.counter, f"login:user:{user}:{address_hash}", rate, "sign-in attempts")
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
            phrase("That username and password do not match a moderator's account."),
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
    return found.user, token


async def end_session(app: Services, token: str) -> None:
    async with app.db.write() as connection:
        await user_store.end_session(connection, _token_hash(token))
