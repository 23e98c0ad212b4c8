"""Who is commenting: roles, and what a reader's identity lets the widget show them.

Guests have no role and no account; the reader token their browser keeps is what ties their
comments, votes and reports together. Signed-in readers come from the publisher's single
sign-on and carry roles.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

import msgspec

from rejoinder.domain.sso import SsoUser


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


class IdentityKind(StrEnum):
    """How the server knows the reader asking: the strongest thing the request carries."""

    # The publisher's signed-in reader: a verified single sign-on token.
    USER = "user"
    # A reader token the server signed (header, or the same-site cookie): one browser.
    READER = "reader"
    # Nothing but the client's address: a first visit, or a script.
    ADDRESS = "address"


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    """Who is asking, resolved once per request and used by every rule that needs a person.

    ``key`` is the SSO subject for a user and the reader token's random id for a reader;
    the address hash (an IPv6 /64, keyed) is known for everyone. ``minted`` is the token
    made for this request, for a reader who wrote before they had one: the response hands it
    back, and from then on the reader is a READER.
    """

    kind: IdentityKind
    address_hash: str
    key: str | None = None
    sso: SsoUser | None = None
    minted: str | None = None

    @property
    def client(self) -> str:
        """What scopes an idempotency key: the person the request named, else its address
        (a retry of a first write carries no token either, and must find its first answer)."""
        if self.key is None or self.minted is not None:
            return f"address:{self.address_hash}"
        return f"{self.kind.value}:{self.key}"


class Author(msgspec.Struct, frozen=True):
    """An identity's stored rows: the user (signed-in readers) and the voter row that ties
    their comments, votes and reports together; None where nothing is stored yet."""

    user_id: int | None = None
    voter_id: int | None = None

    @property
    def reporter(self) -> str:
        return f"user:{self.user_id}" if self.user_id is not None else f"voter:{self.voter_id}"

    def viewer(self) -> Viewer:
        return Viewer(self.user_id, self.voter_id)


def ban_handles(identity: Identity, author: Author, email: str | None) -> list[tuple[str, str]]:
    """Every (kind, value) a ban can hold this writer by: address, e-mail, user, reader."""
    found = [("address", identity.address_hash)]
    if email:
        found.append(("email", email.casefold()))
    if author.user_id is not None:
        found.append(("user", str(author.user_id)))
    if author.voter_id is not None:
        found.append(("voter", str(author.voter_id)))
    return found
