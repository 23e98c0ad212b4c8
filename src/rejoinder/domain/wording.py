"""The words moderators read for the values Rejoinder keeps (a comment's status, a moderation
mode, an action in the audit log, a kind of ban).

The stored values (``pre_guests``, ``visible``, ``lift_ban``) are names for code and for the
exports; a page shows these words instead, so that a moderator never has to know the names.
"""

from __future__ import annotations

from rejoinder.domain.models import Status
from rejoinder.domain.moderation.pipeline import Mode

STATUS_WORDS: dict[str, str] = {
    Status.VISIBLE: "published",
    Status.PENDING: "pending",
    Status.REJECTED: "rejected",
    Status.DELETED: "deleted",
    Status.SHADOW: "shown to its author only",
}

MODE_WORDS: dict[str, str] = {
    Mode.POST: "Comments appear at once; moderators check them after",
    Mode.PRE: "Every comment waits for a moderator",
    Mode.PRE_GUESTS: "Guests' comments wait for a moderator",
    Mode.PRE_LINKS: "Comments with links wait for a moderator",
}

ACTION_WORDS: dict[str, str] = {
    "approve": "Approved",
    "reject": "Rejected",
    "spoiler": "Marked as a spoiler",
    "unspoiler": "Unmarked as a spoiler",
    "feature": "Made an editor's pick",
    "unfeature": "No longer an editor's pick",
    "edit": "Edited the text",
    "ban": "Banned the author",
    "shadowban": "Shadow-banned the author",
    "lift_ban": "Lifted a ban",
    "settings": "Changed the discussion rules",
}

BAN_KIND_WORDS: dict[str, str] = {
    "user": "signed-in reader",
    "voter": "guest",
    "email": "email address",
    "address": "network address",
}


def _word(words: dict[str, str], value: str) -> str:
    """The word for ``value``, or the value made readable when a newer one has no word yet."""
    return words.get(value) or value.replace("_", " ")


def status_word(value: str) -> str:
    return _word(STATUS_WORDS, str(value))


def mode_word(value: str) -> str:
    return _word(MODE_WORDS, str(value))


def action_word(value: str) -> str:
    return _word(ACTION_WORDS, value)


def ban_kind_word(value: str) -> str:
    return _word(BAN_KIND_WORDS, value)
