"""Users and admin sessions: staff who sign in to /admin, and readers known through SSO."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import delete, insert, select, update

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.identity import STAFF_ROLES, Role, format_roles, parse_roles
from rejoinder.store._sql import Prepared, insert_ignoring_conflicts
from rejoinder.store.database import AnyRow, Connection
from rejoinder.store.schema import sessions, staff_mail, users


class User(msgspec.Struct, frozen=True):
    id: int
    username: str | None
    sso_subject: str | None
    display_name: str
    email: str | None
    roles: frozenset[Role]
    created_at: datetime

    @property
    def label(self) -> str:
        """How the audit log names this user."""
        return self.username or self.display_name


class Credentials(msgspec.Struct, frozen=True):
    user: User
    password_hash: str | None


_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.sso_subject,
    users.c.display_name,
    users.c.email,
    users.c.roles,
    users.c.created_at,
)


def _user(row: AnyRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        sso_subject=row.sso_subject,
        display_name=row.display_name,
        email=row.email,
        roles=parse_roles(row.roles),
        created_at=row.created_at,
    )


async def add_user(
    connection: Connection,
    *,
    username: str,
    display_name: str,
    roles: frozenset[Role],
    password_hash: str,
    now: datetime,
) -> User:
    taken = await connection.scalar(select(users.c.id).where(users.c.username == username))
    if taken is not None:
        raise RejoinderError(
            Problem.CONFLICT, "username_taken", f"There is already a user {username!r}.", "username"
        )
    new_id = await connection.scalar(
        insert(users)
        .values(
            username=username,
            display_name=display_name,
            roles=format_roles(roles),
            password_hash=password_hash,
            created_at=now,
        )
        .returning(users.c.id)
    )
    found = await get_user(connection, int(new_id))
    assert found is not None
    return found


async def set_password(connection: Connection, user_id: int, password_hash: str) -> None:
    await connection.execute(
        update(users).where(users.c.id == user_id).values(password_hash=password_hash)
    )


async def get_user(connection: Connection, user_id: int) -> User | None:
    row = (await connection.execute(select(*_COLUMNS).where(users.c.id == user_id))).first()
    return _user(row) if row else None


async def user_by_subject(connection: Connection, subject: str) -> User | None:
    row = (
        await connection.execute(select(*_COLUMNS).where(users.c.sso_subject == subject))
    ).first()
    return _user(row) if row else None


async def credentials(connection: Connection, username: str) -> Credentials | None:
    row = (
        await connection.execute(
            select(*_COLUMNS, users.c.password_hash).where(users.c.username == username)
        )
    ).first()
    return Credentials(_user(row), row.password_hash) if row else None


async def list_users(connection: Connection) -> list[User]:
    rows = await connection.execute(select(*_COLUMNS).order_by(users.c.id))
    return [_user(row) for row in rows]


async def sso_user(
    connection: Connection,
    *,
    subject: str,
    display_name: str,
    email: str | None,
    roles: frozenset[Role],
    now: datetime,
) -> User:
    """The stored user for an SSO identity, created on first sight and kept up to date with
    what the publisher's latest token says (names and roles change on the publisher's side)."""
    await connection.execute(
        insert_ignoring_conflicts(connection, users).values(
            sso_subject=subject,
            display_name=display_name,
            email=email,
            roles=format_roles(roles),
            created_at=now,
        )
    )
    await connection.execute(
        update(users)
        .where(users.c.sso_subject == subject)
        .values(display_name=display_name, email=email, roles=format_roles(roles), last_seen_at=now)
    )
    row = (await connection.execute(select(*_COLUMNS).where(users.c.sso_subject == subject))).one()
    return _user(row)


# Readers have no roles: only the few staff rows are read.
_NAMES = Prepared(
    select(users.c.username, users.c.display_name, users.c.roles).where(users.c.roles != "")
)


async def staff_names(connection: Connection) -> list[str]:
    """Display names of staff, which guests may not imitate. Not their usernames: readers
    never see those, and refusing a guest who happens on one would tell anybody which
    sign-in names exist (issue 13)."""
    rows = await _NAMES.rows(connection)
    return [display_name for _, display_name, roles in rows if STAFF_ROLES & parse_roles(roles)]


async def delete_user(connection: Connection, user_id: int) -> None:
    await connection.execute(delete(sessions).where(sessions.c.user_id == user_id))
    await connection.execute(delete(staff_mail).where(staff_mail.c.user_id == user_id))
    await connection.execute(delete(users).where(users.c.id == user_id))


async def start_session(
    connection: Connection,
    *,
    session_hash: str,
    user_id: int,
    csrf: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    await connection.execute(
        insert(sessions).values(
            id=session_hash, user_id=user_id, csrf=csrf, created_at=now, expires_at=expires_at
        )
    )
    await connection.execute(delete(sessions).where(sessions.c.expires_at < now))


async def session_user(
    connection: Connection, session_hash: str, now: datetime
) -> tuple[User, str] | None:
    """The signed-in user and their CSRF token, if the session exists and has not expired."""
    row = (
        await connection.execute(
            select(*_COLUMNS, sessions.c.csrf)
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(sessions.c.id == session_hash, sessions.c.expires_at > now)
        )
    ).first()
    return (_user(row), row.csrf) if row else None


async def end_session(connection: Connection, session_hash: str) -> None:
    await connection.execute(delete(sessions).where(sessions.c.id == session_hash))
