"""Putting the pipeline's findings together into one decision about a new or edited comment.

Each step (words, links, toxicity, campaigns, the thread's mode, bans) reports findings; this
module only weighs them, so the order of the steps never changes the outcome and every reason
is kept on the comment for the moderator who looks at it later.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from rejoinder.domain.models import Status
from rejoinder.domain.plurals import plural


class Mode(StrEnum):
    """How a site or thread publishes: moderate after (default) or before publication."""

    POST = "post"
    PRE = "pre"
    PRE_GUESTS = "pre_guests"
    PRE_LINKS = "pre_links"
    # A writer's first comments wait until a moderator has published enough of them.
    PRE_NEWCOMERS = "pre_newcomers"


class Action(StrEnum):
    REJECT = "reject"
    QUEUE = "queue"
    SHADOW = "shadow"
    NOTE = "note"


class Finding(msgspec.Struct, frozen=True):
    """One step's verdict and why, in words a moderator reads in the queue."""

    step: str
    action: Action
    reason: str


def mode_findings(
    mode: Mode, *, guest: bool, link_count: int, newcomer: bool = False
) -> list[Finding]:
    """``newcomer``: fewer of the writer's comments are published than the site asks
    (``service.pipeline.newcomer_standing``); it only matters in ``pre_newcomers``."""
    if mode is Mode.PRE:
        return [Finding("mode", Action.QUEUE, "this discussion is pre-moderated")]
    if mode is Mode.PRE_GUESTS and guest:
        return [Finding("mode", Action.QUEUE, "guest comments are pre-moderated here")]
    if mode is Mode.PRE_LINKS and link_count > 0:
        return [Finding("mode", Action.QUEUE, "comments with links are pre-moderated here")]
    if mode is Mode.PRE_NEWCOMERS and newcomer:
        return [Finding("mode", Action.QUEUE, "a new commenter's first comments are pre-moderated")]
    return []


def link_findings(link_count: int, max_links: int) -> list[Finding]:
    if link_count > max_links:
        return [
            Finding(
                "links",
                Action.QUEUE,
                plural(link_count, "{n} link", "{n} links") + f" (more than {max_links} allowed)",
            )
        ]
    return []


def word_findings(banned: list[str], suspect: list[str]) -> list[Finding]:
    found = []
    if banned:
        found.append(Finding("words", Action.REJECT, "banned words: " + ", ".join(banned)))
    if suspect:
        found.append(Finding("words", Action.QUEUE, "suspect words: " + ", ".join(suspect)))
    return found


def decide(findings: list[Finding]) -> Status:
    """Reject beats shadow beats queue; with nothing against it, a comment is published.

    A shadow-banned author's comment is stored as SHADOW even when another step would queue
    it: nobody but its author will see it, so there is nothing for a moderator to clear.
    """
    actions = {finding.action for finding in findings}
    if Action.REJECT in actions:
        return Status.REJECTED
    if Action.SHADOW in actions:
        return Status.SHADOW
    if Action.QUEUE in actions:
        return Status.PENDING
    return Status.VISIBLE


def encode_findings(findings: list[Finding]) -> str:
    return msgspec.json.encode(findings).decode()


def decode_findings(stored: str | None) -> list[Finding]:
    if not stored:
        return []
    return msgspec.json.decode(stored, type=list[Finding])
