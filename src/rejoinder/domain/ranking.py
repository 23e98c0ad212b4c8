"""How comments are ordered, and the opaque cursors that page through an order.

"Best" is the lower bound of the 95% Wilson score interval of up and down votes: a comment
with 9 up and 1 down outranks one with 1 up and 0 down, because we are more sure of it.
Cursors carry the sort keys of the last comment of a page (keyset paging), so pages stay
correct while comments are being added: nothing is skipped or shown twice.
"""

from __future__ import annotations

import base64
import binascii
import math
from datetime import datetime

import msgspec

from rejoinder.domain.comments import MAX_ID
from rejoinder.domain.errors import invalid
from rejoinder.domain.models import Sort

Z_95 = 1.959963984540054


def wilson_lower_bound(up: int, down: int, z: float = Z_95) -> float:
    n = up + down
    if up <= 0:
        # The formula gives about 0 here, off by float rounding on either side (-6e-18 for
        # 0 up / 47 down), which would break ties between unvoted and disliked comments.
        return 0.0
    phat = up / n
    z2 = z * z
    centre = phat + z2 / (2 * n)
    margin = z * math.sqrt((phat * (1 - phat) + z2 / (4 * n)) / n)
    return min(max((centre - margin) / (1 + z2 / n), 0.0), 1.0)


class Cursor(msgspec.Struct, array_like=True, forbid_unknown_fields=True):
    """Where the previous page ended, in the order it was sorted by."""

    sort: Sort
    created_at: datetime
    id: int
    score: float = 0.0


def encode_cursor(cursor: Cursor) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(cursor)).rstrip(b"=").decode("ascii")


def decode_cursor(token: str, sort: Sort, field: str = "cursor") -> Cursor:
    """The cursor inside ``token``; refused if it was not made by us for this ``sort``."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        cursor = msgspec.json.decode(raw, type=Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise invalid("invalid_cursor", "This cursor is not valid.", field) from None
    if cursor.sort is not sort:
        raise invalid(
            "invalid_cursor", "This cursor belongs to another sort order; start again.", field
        )
    # Ours always hold a stored id and a finite score; anything else was made up, and an id
    # past 64 bits would reach the database only to overflow there.
    out_of_range = not -MAX_ID <= cursor.id <= MAX_ID or not math.isfinite(cursor.score)
    if cursor.created_at.tzinfo is None or out_of_range:
        raise invalid("invalid_cursor", "This cursor is not valid.", field)
    return cursor
