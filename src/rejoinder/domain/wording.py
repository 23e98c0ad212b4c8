"""The words moderators read for the values Rejoinder keeps (a comment's status, a moderation
mode, a queue, an action in the audit log, a kind of ban).

The stored values (``pre_guests``, ``visible``, ``lift_ban``) are names for code and for the
exports; a page shows these words instead, so that a moderator never has to know the names.
Each word is a ``Phrase``: English where it is made, in the moderator's language on the page.
"""

from __future__ import annotations

from rejoinder.domain.models import Status
from rejoinder.domain.moderation.pipeline import Mode
from rejoinder.domain.phrases import Phrase, phrase, phrase_in

STATUS_WORDS: dict[str, Phrase] = {
    Status.VISIBLE: phrase("published"),
    Status.PENDING: phrase("pending"),
    Status.REJECTED: phrase("rejected"),
    Status.DELETED: phrase("deleted"),
    Status.SHADOW: phrase("shown to its author only"),
}

MODE_WORDS: dict[str, Phrase] = {
    Mode.POST: phrase("Comments appear at once; moderators check them after"),
    Mode.PRE: phrase("Every comment waits for a moderator"),
    Mode.PRE_GUESTS: phrase("Guests' comments wait for a moderator"),
    Mode.PRE_LINKS: phrase("Comments with links wait for a moderator"),
    Mode.PRE_NEWCOMERS: phrase("A new commenter's first comments wait for a moderator"),
}

ACTION_WORDS: dict[str, Phrase] = {
    "approve": phrase("Approved"),
    "reject": phrase("Rejected"),
    "spoiler": phrase("Marked as a spoiler"),
    "unspoiler": phrase("Unmarked as a spoiler"),
    "feature": phrase("Made an editor's pick"),
    "unfeature": phrase("No longer an editor's pick"),
    "edit": phrase("Edited the text"),
    "ban": phrase("Banned the author"),
    "shadowban": phrase("Shadow-banned the author"),
    "lift_ban": phrase("Lifted a ban"),
    "settings": phrase("Changed the discussion rules"),
    "import": phrase("Imported an archive"),
}

# A queue's name (``store.moderation.Queue``'s values), as its tab says it.
QUEUE_WORDS: dict[str, Phrase] = {
    "pending": phrase_in("queue", "Pending"),
    "reported": phrase_in("queue", "Reported"),
    "recent": phrase_in("queue", "Recent"),
    "approved": phrase_in("queue", "Approved"),
    "rejected": phrase_in("queue", "Rejected"),
}

BAN_KIND_WORDS: dict[str, Phrase] = {
    "user": phrase("signed-in reader"),
    "voter": phrase("guest"),
    "email": phrase("email address"),
    "address": phrase("network address"),
}


def _word(words: dict[str, Phrase], value: str) -> Phrase:
    """The word for ``value``, or the value made readable when a newer one has no word yet."""
    return words.get(value) or Phrase(value.replace("_", " "))


def status_word(value: str) -> Phrase:
    return _word(STATUS_WORDS, str(value))


def mode_word(value: str) -> Phrase:
    return _word(MODE_WORDS, str(value))


def action_word(value: str) -> Phrase:
    return _word(ACTION_WORDS, value)


def queue_word(value: str) -> Phrase:
    return _word(QUEUE_WORDS, str(value))


def ban_kind_word(value: str) -> Phrase:
    return _word(BAN_KIND_WORDS, value)
