"""The nudge: a second chance before a comment is held or refused for what its words say.

When the toxicity model or the word lists would hold or refuse a new or edited comment, its
writer is told why first, once, and nothing is stored: they may revise the text, or send it
as it is with ``nudge_acknowledged``. Only the text's own steps nudge; a ban, a rate limit,
links, a campaign or the thread's mode are not the writer's words to reconsider, so they
decide as they always do. A comment sent anyway is never published on that account: the
pipeline holds (or refuses) it as before, with a note for the moderator that its writer
was warned.
"""

from __future__ import annotations

from enum import StrEnum

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.moderation.pipeline import Action, Finding


class Nudge(StrEnum):
    """Why a writer is nudged: the codes the widget shows (and translates) beside the text."""

    TOXICITY = "toxicity"
    SUSPECT_WORDS = "suspect_words"
    BANNED_WORDS = "banned_words"


_SAYS = {
    Nudge.TOXICITY: "may read as abusive or hostile",
    Nudge.SUSPECT_WORDS: "uses words a moderator checks before they are published",
    Nudge.BANNED_WORDS: "uses words this site does not publish",
}


def text_nudges(*, banned: list[str], suspect: list[str], toxic: bool) -> list[Nudge]:
    """What in the text itself would hold or refuse it. ``toxic`` is a score at or over the
    threshold; a toxicity service that failed closed is no reason to ask the writer."""
    found = []
    if toxic:
        found.append(Nudge.TOXICITY)
    if suspect:
        found.append(Nudge.SUSPECT_WORDS)
    if banned:
        found.append(Nudge.BANNED_WORDS)
    return found


def refusal(nudges: list[Nudge]) -> RejoinderError:
    """The 422 the writer gets instead of a stored comment. The words found are not named:
    the writer learns what kind of problem it is, not the lists a moderator keeps."""
    then = (
        "it will not be published unless a moderator approves it"
        if Nudge.BANNED_WORDS in nudges
        else "a moderator will read it before it is published"
    )
    return RejoinderError(
        Problem.UNPROCESSABLE,
        "nudge",
        f"Your comment {' and '.join(_SAYS[n] for n in nudges)}. You can revise it; "
        f"if you send it as it is, {then}.",
        "body",
        reasons=tuple(n.value for n in nudges),
    )


def sent_anyway(nudges: list[Nudge]) -> Finding:
    """The note the moderator reads beside a comment its writer sent after the nudge."""
    return Finding(
        "nudge",
        Action.NOTE,
        f"the writer was warned ({', '.join(n.value for n in nudges)}) and sent it anyway",
    )
