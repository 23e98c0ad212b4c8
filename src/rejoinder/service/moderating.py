"""What a moderator can do to a comment, each action audited and announced.

One function per action would repeat the same five steps (lock, change, audit, commit,
announce); ``apply`` does those steps once and the action table (``_CHANGES``) says what
each action changes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import msgspec

from rejoinder.domain import markup
from rejoinder.domain.comments import check_body
from rejoinder.domain.errors import Problem, RejoinderError, invalid, no_comment
from rejoinder.domain.events import (
    CommentCreated,
    CommentEdited,
    CommentHidden,
    Event,
    QueueChanged,
)
from rejoinder.domain.models import Status, StoredComment
from rejoinder.domain.moderation.pipeline import Action as Verdict
from rejoinder.domain.moderation.pipeline import Finding
from rejoinder.domain.outgoing import comment_events
from rejoinder.domain.phrases import phrase
from rejoinder.service import mail, staff_mail, webhooks
from rejoinder.service.outcomes import Outcome
from rejoinder.service.services import Services
from rejoinder.store import audit
from rejoinder.store import bans as ban_store
from rejoinder.store import comments as comment_store
from rejoinder.store import moderation as moderation_store
from rejoinder.store import reports as report_store
from rejoinder.store import threads as thread_store
from rejoinder.store.database import Connection

MAX_BAN_DAYS = 3650


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SPOILER = "spoiler"
    UNSPOILER = "unspoiler"
    FEATURE = "feature"
    UNFEATURE = "unfeature"
    EDIT = "edit"
    BAN = "ban"
    SHADOWBAN = "shadowban"


class BanRequest(msgspec.Struct, frozen=True):
    by: str = "author"  # author (user or guest browser), email or address
    days: int = 0  # 0: until lifted
    reason: str | None = None


BAN_BY = ("author", "email", "address")
MAX_BAN_REASON = 500


def ban_request(by: str, days: int, reason: str | None) -> BanRequest:
    """A ban as a moderator asked for it, checked: whoever calls ``apply`` gets the same
    limits, not only the admin form."""
    if by not in BAN_BY:
        raise invalid("invalid_ban", phrase("Ban by author, email or address."), "ban_by")
    if not 0 <= days <= MAX_BAN_DAYS:
        raise invalid(
            "invalid_days", phrase("Days must be between 0 and {most}.", most=MAX_BAN_DAYS), "days"
        )
    reason = (reason or "").strip() or None
    if reason and len(reason) > MAX_BAN_REASON:
        raise invalid(
            "too_long",
            phrase("A ban reason can be at most {most} characters.", most=MAX_BAN_REASON),
            "reason",
        )
    return BanRequest(by, days, reason)


def snapshot(comment: StoredComment) -> dict[str, Any]:
    return {
        "status": comment.status.value,
        "spoiler": comment.spoiler,
        "featured": comment.featured,
        "body": comment.body_markdown,
    }


def _ban_identity(comment: StoredComment, by: str) -> tuple[str, str]:
    """What a ban holds: a signed-in author by their account, a guest by their reader
    identity (the token their browser keeps, on any site), or the e-mail or address named.

    A ban on a guest's reader identity does not reach the other readers at their address;
    a moderator who wants that bans by address (an IPv6 /64), for a while.
    """
    if by == "email":
        if not comment.author_email:
            raise invalid("no_email", phrase("This author gave no email address to ban."), "ban_by")
        return "email", comment.author_email.casefold()
    if by == "address":
        if not comment.author_ip_hash:
            raise invalid("no_address", phrase("No address is stored for this comment."), "ban_by")
        return "address", comment.author_ip_hash
    if comment.user_id is not None:
        return "user", str(comment.user_id)
    if comment.voter_id is not None:
        return "voter", str(comment.voter_id)
    raise invalid(
        "no_author", phrase("This comment's author cannot be told apart; ban by address.")
    )


@dataclass(frozen=True)
class _Step:
    """One action's change to a locked comment, made inside ``apply``'s transaction."""

    connection: Connection
    comment: StoredComment
    by: str
    now: datetime
    body: str | None
    ban: BanRequest | None


async def _verdict(step: _Step, status: Status, verdict: Verdict, word: str) -> StoredComment:
    """Approve or reject: the decision also closes the comment's open reports."""
    await report_store.resolve_reports(step.connection, step.comment.id, step.now)
    return await moderation_store.set_status(
        step.connection,
        step.comment,
        status,
        now=step.now,
        by=step.by,
        finding=Finding("moderator", verdict, f"{word} by {step.by}"),
    )


async def _approve(step: _Step) -> StoredComment:
    return await _verdict(step, Status.VISIBLE, Verdict.NOTE, "approved")


async def _reject(step: _Step) -> StoredComment:
    return await _verdict(step, Status.REJECTED, Verdict.REJECT, "rejected")


async def _spoiler(step: _Step, on: bool) -> StoredComment:
    return await moderation_store.set_flags(
        step.connection, step.comment.id, spoiler=on, now=step.now, by=step.by
    )


async def _feature(step: _Step, on: bool) -> StoredComment:
    """An editor's pick is a top-level comment, and it is shown: featuring one that waits
    approves it."""
    comment = step.comment
    if on and comment.parent_id is not None:
        raise invalid("not_top_level", phrase("Only top-level comments can be editor's picks."))
    if on and comment.status is not Status.VISIBLE:
        comment = await moderation_store.set_status(
            step.connection, comment, Status.VISIBLE, now=step.now, by=step.by
        )
    return await moderation_store.set_flags(
        step.connection, comment.id, featured=on, now=step.now, by=step.by
    )


async def _edit(step: _Step) -> StoredComment:
    text = check_body(step.body or "")
    return await comment_store.update_text(
        step.connection,
        step.comment.id,
        markdown=text,
        html=markup.render(text),
        spoiler=step.comment.spoiler,
        now=step.now,
    )


async def _ban(step: _Step, shadow: bool) -> StoredComment:
    """Ban the author (loudly or in the shadows) and take this comment off the page."""
    if step.ban is None:
        raise invalid(
            "invalid_ban", phrase("Say how to ban: by author, email or address."), "ban_by"
        )
    kind, value = _ban_identity(step.comment, step.ban.by)
    days = step.ban.days
    await ban_store.add_ban(
        step.connection,
        kind=kind,
        value=value,
        shadow=shadow,
        reason=step.ban.reason,
        created_by=step.by,
        now=step.now,
        expires_at=step.now + timedelta(days=days) if days else None,
    )
    await report_store.resolve_reports(step.connection, step.comment.id, step.now)
    word = "shadow-banned" if shadow else "banned"
    return await moderation_store.set_status(
        step.connection,
        step.comment,
        Status.SHADOW if shadow else Status.REJECTED,
        now=step.now,
        by=step.by,
        finding=Finding("moderator", Verdict.NOTE, f"author {word} by {step.by} ({kind})"),
    )


_CHANGES: Mapping[Action, Callable[[_Step], Awaitable[StoredComment]]] = {
    Action.APPROVE: _approve,
    Action.REJECT: _reject,
    Action.SPOILER: lambda step: _spoiler(step, True),
    Action.UNSPOILER: lambda step: _spoiler(step, False),
    Action.FEATURE: lambda step: _feature(step, True),
    Action.UNFEATURE: lambda step: _feature(step, False),
    Action.EDIT: _edit,
    Action.BAN: lambda step: _ban(step, False),
    Action.SHADOWBAN: lambda step: _ban(step, True),
}


async def apply(
    app: Services,
    moderator: str,
    comment_id: int,
    action: Action,
    *,
    body: str | None = None,
    ban: BanRequest | None = None,
    only_if: Status | None = None,
) -> Outcome[StoredComment]:
    """Apply one action in one transaction with its audit entry, for the moderator named
    ``moderator``; the events tell readers and moderators what changed.

    ``only_if``: act only on a comment in that standing, else 409 (an outside service's
    decision on a comment a moderator has already decided)."""
    if ban is not None:
        ban = ban_request(ban.by, ban.days, ban.reason)
    now = app.clock()
    async with app.db.write() as connection:
        comment = await moderation_store.get_for_update(connection, comment_id)
        if comment is None or comment.status is Status.DELETED:
            raise no_comment(comment_id)
        if only_if is not None and comment.status is not only_if:
            raise RejoinderError(
                Problem.CONFLICT,
                "already_decided",
                phrase(
                    "Comment {number} no longer waits for a decision: it is {status}.",
                    number=comment_id,
                    status=comment.status.value,
                ),
            )
        step = _Step(connection, comment, moderator, now, body, ban)
        changed = await _CHANGES[action](step)
        target = f"comment:{comment_id}"
        if ban is not None and action in (Action.BAN, Action.SHADOWBAN):
            target += f" author:{_ban_identity(comment, ban.by)[0]}"
        await audit.record(
            connection,
            actor=moderator,
            action=action.value,
            target=target,
            before=snapshot(comment),
            after=snapshot(changed),
            now=now,
        )
        thread_key = await thread_store.thread_key(connection, comment.thread_id)
        count = await thread_store.visible_count(connection, comment.thread_id)
        hooks = comment_events(comment, changed, edited=action is Action.EDIT)
        await webhooks.queue_comment_events(connection, app, hooks, changed, thread_key, now)
        if comment.status is not Status.VISIBLE and changed.status is Status.VISIBLE:
            await mail.queue_reply(connection, app, changed, now)  # a reply published late
            await staff_mail.queue_story_comment(connection, app, changed, now)
    return Outcome(changed, _announcements(thread_key, comment, changed, count, action))


def _announcements(
    thread_key: str, before: StoredComment, after: StoredComment, count: int, action: Action
) -> list[Event]:
    was, now_shown = before.status is Status.VISIBLE, after.status is Status.VISIBLE
    events: list[Event] = []
    if now_shown and not was:
        events.append(
            CommentCreated(thread=thread_key, comment=after.for_readers(), comment_count=count)
        )
    elif was and not now_shown:
        events.append(CommentHidden(thread=thread_key, id=after.id, comment_count=count))
    elif now_shown:
        events.append(CommentEdited(thread=thread_key, comment=after.for_readers()))
    events.append(QueueChanged(comment_id=after.id, status=after.status.value, reason=action.value))
    return events
