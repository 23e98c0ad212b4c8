"""The instance's signed tokens: edit tokens, reader tokens and keyed address hashes.

Edit tokens and reader tokens are HMAC-signed with the instance secret, so the server keeps
no session table for guests, and a token minted here is checked the same way by every process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from rejoinder.domain.addresses import address_group


class Signer:
    """HMAC-SHA256 with one secret, a distinct purpose per kind of token."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(secret.encode("utf-8")).digest()

    def sign(self, purpose: str, value: str) -> str:
        digest = hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def verify(self, purpose: str, value: str, signature: str) -> bool:
        # As bytes: compare_digest refuses a str with non-ASCII characters, and a signature
        # comes from whoever sends it.
        sent = signature.encode("utf-8", errors="replace")
        return hmac.compare_digest(self.sign(purpose, value).encode(), sent)

    def edit_token(self, comment_id: int, edit_key: str | None = None) -> str:
        """The token that lets a comment's author change it: the id and the comment's stored
        random key, signed. Comments from before edit keys (``edit_key`` None) sign the id
        alone."""
        return self.sign("edit", _edited(comment_id, edit_key))

    def verify_edit_token(self, comment_id: int, edit_key: str | None, token: str) -> bool:
        return bool(token) and self.verify("edit", _edited(comment_id, edit_key), token)

    @staticmethod
    def new_edit_key() -> str:
        return secrets.token_hex(16)

    def address_hash(self, address: str) -> str:
        """A keyed hash of a client address: enough to match repeat visitors, not to reveal them.

        An IPv6 client is hashed by its /64 (``address_group``), the block one subscriber holds.
        """
        return self.sign("address", address_group(address))[:32]

    def new_reader_token(self) -> tuple[str, str]:
        """A fresh (reader key, token) pair for a reader who has none: a random id and its
        signature, nothing personal. The token is also the same-site cookie's value (the
        purpose stays "voter", so cookies issued before reader tokens remain valid)."""
        key = secrets.token_urlsafe(18)
        return key, f"{key}.{self.sign('voter', key)}"

    def reader_from_token(self, token: str | None) -> str | None:
        if not token or "." not in token:
            return None
        key, _, signature = token.partition(".")
        return key if key and self.verify("voter", key, signature) else None


def _edited(comment_id: int, edit_key: str | None) -> str:
    return str(comment_id) if edit_key is None else f"{comment_id}:{edit_key}"
