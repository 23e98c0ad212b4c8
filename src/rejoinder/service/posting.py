"""Posting, editing and deleting comments: the rules a comment meets on its way in.

A new comment is screened before its write (``pipeline.prescreen`` and ``look_up``), so
SQLite's one writer never waits on the toxicity model or on ban and campaign reads; inside
the write it gets its thread (made on first comment), the thread's rules (closed, the
moderation mode) and its reply parent, all in one transaction with the idempotency record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import msgspec

from rejoinder.domain import markup
from rejoinder.domain.comments import check_body, check_still_editable, draft_comment
from rejoinder.domain.errors import Problem, RejoinderError, invalid, no_comment
from rejoinder.domain.events import (
    CommentCreated,
    CommentDeleted,
    CommentEdited,
    CommentHidden,
    Event,
    QueueChanged,
)
from rejoinder.domain.identity import Identity, IdentityKind, badge_for, ban_handles
from rejoinder.domain.models import Comment, CommentDraft, Status, StoredComment
from rejoinder.domain.moderation.pipeline import Finding
from rejoinder.domain.names import check_guest_name
from rejoinder.domain.outgoing import comment_events
from rejoinder.domain.text import check_single_line
from rejoinder.metrics import POSTS
from rejoinder.service import mail, staff_mail, webhooks
from rejoinder.service.limits import enforce
from rejoinder.service.outcomes import Outcome
from rejoinder.service.pipeline import (
    conclude,
    look_up,
    newcomer_standing,
    prescreen,
    record,
    stricter,
)
from rejoinder.service.services import Services
from rejoinder.store import comments as comment_store
from rejoinder.store import idempotency
from rejoinder.store import moderation as moderation_store
from rejoinder.store import threads as thread_store
from rejoinder.store import users as user_store
from rejoinder.store.authors import find_author, writer_for
from rejoinder.store.database import Connection

CREATED = 201
MAX_IDEMPOTENCY_KEY = 255
# The ``rejoinder_posts_total`` label of each status a new comment can be stored with.
_OUTCOMES = {
    Status.VISIBLE: "published",
    Status.PENDING: "pending",
    Status.REJECTED: "rejected",
    Status.SHADOW: "shadow",
}


class CreatedComment(msgspec.Struct):
    comment: Comment
    edit_token: str
    # Until when the edit token works, so the widget can offer Edit and Delete only then.
    editable_until: datetime
    # "visible", or "pending" while it waits for a moderator, or "rejected".
    status: str = "visible"
    notice: str | None = None
    # When notify_replies was asked: "confirmation_sent", "confirmation_waiting" or
    # "following" (service/mail.py).
    mail: str | None = None


class EditedComment(msgspec.Struct):
    comment: Comment
    status: str = "visible"
    notice: str | None = None


@dataclass(frozen=True)
class Submission:
    """A new comment or reply as its writer sent it, not yet checked."""

    thread: str
    body: str
    author_name: str | None = None
    thread_title: str | None = None
    thread_url: str | None = None
    parent_id: int | None = None
    author_email: str | None = None
    spoiler: bool = False
    # The writer was nudged about this text and sends it anyway (domain/moderation/nudge.py).
    nudge_acknowledged: bool = False
    # Mail replies to author_email (double opt-in: service/mail.py), in this language.
    notify_replies: bool = False
    language: str | None = None


@dataclass(frozen=True)
class Retry:
    """An ``Idempotency-Key`` as sent (checked with the rest of the post) and a digest of the
    request it came with: a retry of the same request gets the first answer, another request
    under the same key is refused."""

    key: str
    request_hash: str


@dataclass(frozen=True)
class Answer:
    """The JSON answer to a post, as sent (a retry gets the stored bytes of the first)."""

    status_code: int
    body: bytes
    replayed: bool = False  # the first answer again, to a retry


async def post_comment(
    app: Services,
    identity: Identity,
    submission: Submission,
    *,
    page_origins: tuple[str, ...] = (),
    retry: Retry | None = None,
    link_base: str = "",
) -> Outcome[Answer]:
    """Check, screen and store a new comment. ``page_origins`` are the origins of this
        server's own pages, whose thread titles and addresses are believed; ``link_base`` the
    origin the links in this writer's mail start with (``public_url``, else the request's).

        A nudge (422) is raised inside the write, after every other check, so the writer is
        never nudged about a comment that would be refused anyway; its rollback takes the
        Idempotency-Key claim with it, so the revised or acknowledged post is a new request."""
    now = app.clock()
    draft = _draft(identity, submission)
    if submission.notify_replies:
        mail.check_request(app.settings, draft.author_email)
    if retry is not None:
        key = check_single_line(
            retry.key, "Idempotency-Key", max_length=MAX_IDEMPOTENCY_KEY, label="Idempotency-Key"
        )
        retry = Retry(key, retry.request_hash)
    await _check_rate(app, identity)
    pre = await prescreen(app, draft.body_markdown)
    async with app.db.read() as connection:
        author = await find_author(connection, identity)
        evidence = await look_up(
            connection,
            app,
            pre,
            text=draft.body_markdown,
            author_name=draft.author_name,
            identities=ban_handles(identity, author, draft.author_email),
            now=now,
        )
    async with app.db.write() as connection:
        if retry is not None:
            replay = await idempotency.claim(
                connection,
                retry.key,
                identity.client,
                retry.request_hash,
                now,
                also=f"address:{identity.address_hash}",
            )
            if replay is not None:
                return Outcome(Answer(replay.status_code, replay.body, replayed=True))
        if identity.sso is None:
            check_guest_name(draft.author_name, await user_store.staff_names(connection))
        writer = await writer_for(connection, identity, now)
        user = writer.user
        title, url = _vouched_title_and_url(app, draft, identity.sso is not None, page_origins)
        thread = await thread_store.thread_for_new_comment(
            connection, draft.thread_key, title, url, now
        )
        if thread.is_closed(now):
            raise RejoinderError(
                Problem.FORBIDDEN, "thread_closed", "This discussion is closed.", "thread"
            )
        root_id = await _root_for_reply(connection, draft.parent_id, thread.id)
        screening = conclude(
            pre,
            evidence,
            thread=thread,
            guest=user is None,
            newcomer=await newcomer_standing(connection, app, thread, writer.voter_id),
            acknowledged=submission.nudge_acknowledged,
        )
        edit_key = app.signer.new_edit_key()
        stored = await comment_store.insert_comment(
            connection,
            thread_id=thread.id,
            draft=draft,
            root_id=root_id,
            author_guest=user is None,
            author_badge=badge_for(user.roles) if user else None,
            voter_id=writer.voter_id,
            user_id=user.id if user else None,
            ip_hash=identity.address_hash,
            status=screening.status,
            now=now,
            findings=screening.findings,
            toxicity=screening.toxicity,
            edit_key=edit_key,
        )
        hidden = await record(connection, app, stored, screening, now)
        await webhooks.queue_comment_events(
            connection, app, comment_events(None, stored), stored, draft.thread_key, now
        )
        await _queue_hidden_events(connection, app, hidden, draft.thread_key, now)
        await mail.queue_reply(connection, app, stored, now)
        await staff_mail.queue_story_comment(connection, app, stored, now)
        mailing = None
        if submission.notify_replies:
            language = submission.language or app.settings.language
            mailing = await mail.ask_for_replies(connection, app, stored, language, link_base, now)
        body = msgspec.json.encode(
            CreatedComment(
                stored.for_readers(),
                app.signer.edit_token(stored.id, edit_key),
                stored.created_at + timedelta(seconds=app.settings.edit_window),
                status=_status_for_author(stored.status),
                notice=_notice_for(stored.status),
                mail=mailing,
            )
        )
        if retry is not None:
            await idempotency.remember(connection, retry.key, CREATED, body)
        count = await thread_store.visible_count(connection, thread.id)
    POSTS.labels(_OUTCOMES[stored.status]).inc()  # committed: a retry's replay is not counted
    events = _arrival(draft.thread_key, stored, screening.findings, count)
    for other in hidden:
        events += _hidden(draft.thread_key, other, count, "campaign")
    return Outcome(Answer(CREATED, body), events)


def _draft(identity: Identity, submission: Submission) -> CommentDraft:
    """Every field checked; a signed-in reader's name and e-mail come from their sign-on."""
    sso = identity.sso
    if sso is None and submission.author_name is None:
        raise invalid("required", "Please give a name.", "author_name")
    return draft_comment(
        thread=submission.thread,
        thread_title=submission.thread_title,
        thread_url=submission.thread_url,
        parent_id=submission.parent_id,
        author_name=sso.name if sso else submission.author_name or "",
        author_email=(sso.email if sso else submission.author_email),
        body=submission.body,
        spoiler=submission.spoiler,
    )


async def _check_rate(app: Services, identity: Identity) -> None:
    await enforce(
        app.counter,
        f"post:address:{identity.address_hash}",
        app.settings.rate_posts_per_address,
        "comments",
    )
    if identity.kind is IdentityKind.USER:
        await enforce(
            app.counter,
            f"post:user:{identity.key}",
            app.settings.rate_posts_per_user,
            "comments",
        )


def _status_for_author(status: Status) -> str:
    """A shadow-banned author is told their comment is up, which for them it is."""
    return status.as_seen_by_author().value


def _notice_for(status: Status) -> str | None:
    if status is Status.PENDING:
        return "Thanks! Your comment will appear once a moderator has read it."
    if status is Status.REJECTED:
        return "Your comment was not published because it breaks this site's rules."
    return None


def _arrival(
    thread_key: str, stored: StoredComment, findings: list[Finding], count: int
) -> list[Event]:
    """Readers hear of a comment on show; moderators of one held, refused or flagged."""
    events: list[Event] = []
    if stored.status is Status.VISIBLE:
        events.append(
            CommentCreated(thread=thread_key, comment=stored.for_readers(), comment_count=count)
        )
    if stored.status in (Status.PENDING, Status.REJECTED) or findings:
        reasons = "; ".join(f.reason for f in findings) or "published"
        events.append(
            QueueChanged(comment_id=stored.id, status=stored.status.value, reason=reasons)
        )
    return events


async def _queue_hidden_events(
    connection: Connection,
    app: Services,
    hidden: list[StoredComment],
    thread_key: str,
    now: datetime,
) -> None:
    """The webhooks of comments a campaign took off the page: each was on show before."""
    for other in hidden:
        before = msgspec.structs.replace(other, status=Status.VISIBLE)
        await webhooks.queue_comment_events(
            connection, app, comment_events(before, other), other, thread_key, now
        )


def _hidden(thread_key: str, stored: StoredComment, count: int, reason: str) -> list[Event]:
    return [
        CommentHidden(thread=thread_key, id=stored.id, comment_count=count),
        QueueChanged(comment_id=stored.id, status=stored.status.value, reason=reason),
    ]


async def _root_for_reply(
    connection: Connection, parent_id: int | None, thread_id: int
) -> int | None:
    """The top-level ancestor a reply hangs under; the parent must be on show in this thread."""
    if parent_id is None:
        return None
    parent = await comment_store.get_comment(connection, parent_id, for_update=True)
    if parent is None or parent.status in (Status.PENDING, Status.REJECTED, Status.SHADOW):
        raise invalid(
            "parent_not_found", f"There is no comment {parent_id} to reply to.", "parent_id"
        )
    if parent.thread_id != thread_id:
        raise invalid(
            "parent_in_other_thread",
            "You can only reply to a comment in the same discussion.",
            "parent_id",
        )
    if parent.status is Status.DELETED:
        raise invalid("parent_deleted", "That comment has been deleted.", "parent_id")
    return parent.root_id or parent.id


def _vouched_title_and_url(
    app: Services, draft: CommentDraft, signed_in: bool, page_origins: tuple[str, ...]
) -> tuple[str | None, str | None]:
    """The title and address a new thread takes from its first comment, when they can be
    believed: the page is on the publisher's site (an allowed origin, or this server's own),
    or the publisher vouched for the writer (single sign-on). Else neither: a guest's post
    must not name a discussion, nor hand moderators a link to a page of their choosing (the
    publisher's articles API and admin set them instead)."""
    if draft.thread_url is None and not signed_in:
        return None, None
    if signed_in:
        return draft.thread_title, draft.thread_url
    parts = urlsplit(draft.thread_url or "")
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    if origin in app.settings.allowed_origins or origin in page_origins:
        return draft.thread_title, draft.thread_url
    return None, None


@dataclass(frozen=True)
class Asker:
    """Who asks to change a comment: the edit token they hold, if any, and how to tell who
    they are, asked only when the token does not settle it (a sign-on token that does not
    verify is refused then, and only then)."""

    identify: Callable[[], Identity]
    edit_token: str = ""


async def edit_comment(
    app: Services,
    asker: Asker,
    comment_id: int,
    body: str,
    spoiler: bool | None,
    *,
    nudge_acknowledged: bool = False,
) -> Outcome[EditedComment]:
    """Change the text (and the spoiler cover) of the asker's own comment while the edit
    window is open; the new text is screened again (and nudged about, as a new comment is),
    and an edit can take a comment off the page but never put it back."""
    text = check_body(body)
    now = app.clock()
    pre = await prescreen(app, text)
    async with app.db.write() as connection:
        comment = await _editable(app, connection, asker, comment_id)
        thread = await thread_store.thread_by_id(connection, comment.thread_id)
        assert thread is not None  # a comment's thread is never deleted
        evidence = await look_up(
            connection,
            app,
            pre,
            text=text,
            author_name=comment.author_name,
            identities=_stored_identities(comment),
            now=now,
            exclude_id=comment.id,
        )
        screening = conclude(
            pre,
            evidence,
            thread=thread,
            guest=comment.author_guest,
            newcomer=await newcomer_standing(
                connection, app, thread, comment.voter_id, exclude_id=comment.id
            ),
            acknowledged=nudge_acknowledged,
        )
        updated = await comment_store.update_text(
            connection,
            comment_id,
            markdown=text,
            html=markup.render(text),
            spoiler=comment.spoiler if spoiler is None else spoiler,
            now=now,
        )
        status = stricter(updated.status, screening.status)
        if status is not updated.status:
            updated = await moderation_store.set_status(
                connection, updated, status, now=now, by=None
            )
        hidden = await record(connection, app, updated, screening, now, edited=True)
        updated = await moderation_store.withdraw_review(connection, comment_id)
        await webhooks.queue_comment_events(
            connection, app, comment_events(comment, updated, edited=True), updated, thread.key, now
        )
        await _queue_hidden_events(connection, app, hidden, thread.key, now)
        count = await thread_store.visible_count(connection, comment.thread_id)
    events: list[Event] = []
    if updated.status is Status.VISIBLE:
        events.append(CommentEdited(thread=thread.key, comment=updated.for_readers()))
    elif comment.status is Status.VISIBLE:
        events += _hidden(thread.key, updated, count, "campaign")
    for other in hidden:
        events += _hidden(thread.key, other, count, "campaign")
    answer = EditedComment(
        updated.for_readers(),
        status=_status_for_author(updated.status),
        notice=_notice_for(updated.status),
    )
    return Outcome(answer, events)


async def delete_comment(app: Services, asker: Asker, comment_id: int) -> Outcome[None]:
    """Delete the asker's own comment while the edit window is open."""
    async with app.db.write() as connection:
        comment = await _editable(app, connection, asker, comment_id)
        await comment_store.mark_deleted(connection, comment, app.clock())
        key = await thread_store.thread_key(connection, comment.thread_id)
        count = await thread_store.visible_count(connection, comment.thread_id)
    return Outcome(None, [CommentDeleted(thread=key, id=comment_id, comment_count=count)])


async def _editable(
    app: Services, connection: Connection, asker: Asker, comment_id: int
) -> StoredComment:
    """The comment, if its author asks (by its edit token, or as the reader or signed-in user
    who wrote it, from any device) and the edit window is still open."""
    comment = await comment_store.get_comment(connection, comment_id, for_update=True)
    if comment is None or comment.status is Status.DELETED:
        raise no_comment(comment_id)
    token = asker.edit_token
    by_token = bool(token) and app.signer.verify_edit_token(
        comment_id, await comment_store.edit_key(connection, comment_id), token
    )
    if not by_token and not await _written_by(connection, asker.identify(), comment):
        raise RejoinderError(
            Problem.FORBIDDEN,
            "edit_token_invalid",
            "Only the author can change this comment (the X-Edit-Token is missing or wrong).",
            "X-Edit-Token",
        )
    check_still_editable(comment.created_at, app.clock(), app.settings.edit_window)
    return comment


async def _written_by(connection: Connection, identity: Identity, comment: StoredComment) -> bool:
    author = await find_author(connection, identity)
    if author.user_id is not None:
        return comment.user_id == author.user_id
    return author.voter_id is not None and comment.voter_id == author.voter_id


def _stored_identities(comment: StoredComment) -> list[tuple[str, str]]:
    found = []
    if comment.voter_id is not None:
        found.append(("voter", str(comment.voter_id)))
    if comment.author_ip_hash:
        found.append(("address", comment.author_ip_hash))
    if comment.user_id is not None:
        found.append(("user", str(comment.user_id)))
    if comment.author_email:
        found.append(("email", comment.author_email.casefold()))
    return found
