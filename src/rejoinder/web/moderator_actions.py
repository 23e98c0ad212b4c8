"""What a moderator can do to a comment, each action audited and announced.

One function per action would repeat the same five steps (lock, change, audit, commit,
announce); ``apply`` does those steps once and the action table says what changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import msgspec
from litestar import Request

from rejoinder.domain import markup
from rejoinder.domain.comments import check_body
from rejoinder.domain.errors import Problem, RejoinderError, invalid
from rejoinder.domain.events import (
    CommentCreated,
    CommentEdited,
    CommentHidden,
    QueueChanged,
)
from rejoinder.domain.models import Status, StoredComment
from rejoinder.domain.moderation.pipeline import Action as Verdict
from rejoinder.domain.moderation.pipeline import Finding
from rejoinder.store import audit
from rejoinder.store import bans as ban_store
from rejoinder.store import comments as comment_store
from rejoinder.store import moderation as moderation_store
from rejoinder.store import reports as report_store
from rejoinder.store import threads as thread_store
from rejoinder.store.database import Connection
from rejoinder.web.admin_session import AdminSession
from rejoinder.web.context import services
from rejoinder.web.live import publish, publish_moderation

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


# The decisions that also close the comment's open reports.
_VERDICTS = {
    Action.APPROVE: (Status.VISIBLE, Verdict.NOTE, "approved"),
    Action.REJECT: (Status.REJECTED, Verdict.REJECT, "rejected"),
}


def parse_action(value: str | None) -> Action:
    try:
        return Action(value or "")
    except ValueError:
        raise invalid("unknown_action", f"There is no action {value!r}.", "action") from None


def parse_ban(form: Any) -> BanRequest:
    by = form.get("ban_by") or "author"
    if by not in ("author", "email", "address"):
        raise invalid("invalid_ban", "Ban by author, email or address.", "ban_by")
    try:
        days = int(form.get("days") or 0)
    except ValueError:
        raise invalid("invalid_days", "Days must be a whole number.", "days") from None
    if not 0 <= days <= MAX_BAN_DAYS:
        raise invalid("invalid_days", f"Days must be between 0 and {MAX_BAN_DAYS}.", "days")
    reason = (form.get("reason") or "").strip() or None
    if reason and len(reason) > 500:
        raise invalid("too_long", "A ban reason can be at most 500 characters.", "reason")
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
            raise invalid("no_email", "This author gave no email address to ban.", "ban_by")
        return "email", comment.author_email.casefold()
    if by == "address":
        if not comment.author_ip_hash:
            raise invalid("no_address", "No address is stored for this comment.", "ban_by")
        return "address", comment.author_ip_hash
    if comment.user_id is not None:
        return "user", str(comment.user_id)
    if comment.voter_id is not None:
        return "voter", str(comment.voter_id)
    raise invalid("no_author", "This comment's author cannot be told apart; ban by address.")


async def _change(
    connection: Connection,
    comment: StoredComment,
    action: Action,
    session: AdminSession,
    now: datetime,
    *,
    body: str | None,
    ban: BanRequest | None,
) -> StoredComment:
    by = session.user.label
    if action in _VERDICTS:
        status, verdict, word = _VERDICTS[action]
        await report_store.resolve_reports(connection, comment.id, now)
        return await moderation_store.set_status(
            connection,
            comment,
            status,
            now=now,
            by=by,
            finding=Finding("moderator", verdict, f"{word} by {by}"),
        )
    if action in (Action.SPOILER, Action.UNSPOILER):
        return await moderation_store.set_flags(
            connection, comment.id, spoiler=action is Action.SPOILER, now=now, by=by
        )
    if action in (Action.FEATURE, Action.UNFEATURE):
        if comment.parent_id is not None and action is Action.FEATURE:
            raise invalid("not_top_level", "Only top-level comments can be editor's picks.")
        if action is Action.FEATURE and comment.status is not Status.VISIBLE:
            comment = await moderation_store.set_status(
                connection, comment, Status.VISIBLE, now=now, by=by
            )
        return await moderation_store.set_flags(
            connection, comment.id, featured=action is Action.FEATURE, now=now, by=by
        )
    if action is Action.EDIT:
        text = check_body(body or "")
        return await comment_store.update_text(
            connection,
            comment.id,
            markdown=text,
            html=markup.render(text),
            spoiler=comment.spoiler,
            now=now,
        )
    assert ban is not None
    kind, value = _ban_identity(comment, ban.by)
    shadow = action is Action.SHADOWBAN
    await ban_store.add_ban(
        connection,
        kind=kind,
        value=value,
        shadow=shadow,
        reason=ban.reason,
        created_by=by,
        now=now,
        expires_at=now + timedelta(days=ban.days) if ban.days else None,
    )
    await report_store.resolve_reports(connection, comment.id, now)
    status = Status.SHADOW if shadow else Status.REJECTED
    word = "shadow-banned" if shadow else "banned"
    return await moderation_store.set_status(
        connection,
        comment,
        status,
        now=now,
        by=by,
        finding=Finding("moderator", Verdict.NOTE, f"author {word} by {by} ({kind})"),
    )


async def apply(
    request: Request,
    session: AdminSession,
    comment_id: int,
    action: Action,
    *,
    body: str | None = None,
    ban: BanRequest | None = None,
) -> StoredComment:
    """Apply one action in one transaction with its audit entry; then tell readers and
    moderators what changed."""
    app = services(request)
    now = app.clock()
    async with app.db.write() as connection:
        comment = await moderation_store.get_for_update(connection, comment_id)
        if comment is None or comment.status is Status.DELETED:
            raise RejoinderError(
                Problem.NOT_FOUND, "not_found", f"There is no comment {comment_id}."
            )
        changed = await _change(connection, comment, action, session, now, body=body, ban=ban)
        target = f"comment:{comment_id}"
        if ban is not None and action in (Action.BAN, Action.SHADOWBAN):
            target += f" author:{_ban_identity(comment, ban.by)[0]}"
        await audit.record(
            connection,
            actor=session.user.label,
            action=action.value,
            target=target,
            before=snapshot(comment),
            after=snapshot(changed),
            now=now,
        )
        thread_key = await thread_store.thread_key(connection, comment.thread_id)
        count = await thread_store.visible_count(connection, comment.thread_id)
    _announce(request, thread_key, comment, changed, count, action)
    return changed


def _announce(
    request: Request,
    thread_key: str,
    before: StoredComment,
    after: StoredComment,
    count: int,
    action: Action,
) -> None:
    was, now_shown = before.status is Status.VISIBLE, after.status is Status.VISIBLE
    if now_shown and not was:
        publish(
            request,
            CommentCreated(thread=thread_key, comment=after.for_readers(), comment_count=count),
        )
    elif was and not now_shown:
        publish(request, CommentHidden(thread=thread_key, id=after.id, comment_count=count))
    elif now_shown:
        publish(request, CommentEdited(thread=thread_key, comment=after.for_readers()))
    publish_moderation(
        request, QueueChanged(comment_id=after.id, status=after.status.value, reason=action.value)
    )
