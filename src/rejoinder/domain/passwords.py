"""Password hashing for local accounts: argon2id, with argon2-cffi's default parameters.

The library's defaults follow RFC 9106's recommendations and move with new releases; storing
parameters in each hash and checking ``needs_rehash`` at sign-in lets old hashes catch up
without a migration.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rejoinder.domain.errors import invalid

MIN_PASSWORD_LENGTH = 10
# Long enough for any passphrase or manager; short enough that hashing stays cheap.
MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An encoded argon2id hash (``$argon2id$...``) with its own salt and parameters."""
    return _hasher.hash(password)


def verify_password(encoded: str, password: str) -> bool:
    """True only for the right password; a wrong one or an unreadable hash is just False.

    Sign-in treats every failure alike, so nothing here raises. Passwords over the limit
    could never have been set, so they are refused before any hashing work.
    """
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(encoded, password)
    except (VerificationError, InvalidHashError, ValueError, TypeError):
        return False


def needs_rehash(encoded: str) -> bool:
    """True when the hash was made with weaker parameters than today's, or is not argon2."""
    try:
        return _hasher.check_needs_rehash(encoded)
    except (InvalidHashError, ValueError, TypeError):
        return True


def check_new_password(password: str) -> None:
    """Refuse a new password that is too short to resist guessing, or absurdly long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise invalid(
            "weak_password",
            f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.",
            "password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise invalid(
            "weak_password",
            f"Passwords can be at most {MAX_PASSWORD_LENGTH} characters.",
            "password",
        )
