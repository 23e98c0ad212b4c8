"""Who is commenting: roles, and what a reader's identity lets the widget show them.

Guests have no role and no account; their browser's voter cookie is what ties their comments
together. Signed-in readers come from the publisher's single sign-on and carry roles.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

import msgspec


class Role(StrEnum):
    ADMIN = "admin"
    MODERATOR = "moderator"
    STAFF = "staff"
    COMMENTER = "commenter"


# Roles whose names guests may not imitate and whose comments carry the "Staff" badge.
STAFF_ROLES = frozenset({Role.ADMIN, Role.MODERATOR, Role.STAFF})
# Roles that may open /admin.
MODERATING_ROLES = frozenset({Role.ADMIN, Role.MODERATOR})


def parse_roles(value: str | Iterable[str]) -> frozenset[Role]:
    """Known roles from a stored "admin moderator" string or a token's list; others ignored."""
    words = value.split() if isinstance(value, str) else value
    known = {role.value for role in Role}
    return frozenset(Role(word) for word in words if word in known)


def format_roles(roles: Iterable[Role]) -> str:
    return " ".join(sorted(role.value for role in roles))


def badge_for(roles: Iterable[Role]) -> str | None:
    return "staff" if STAFF_ROLES & set(roles) else None


class Viewer(msgspec.Struct, frozen=True):
    """The reader asking, as far as the server knows: their own shadow-banned comments are
    shown back to them, and nobody else's."""

    user_id: int | None = None
    voter_id: int | None = None

    @property
    def known(self) -> bool:
        return self.user_id is not None or self.voter_id is not None
