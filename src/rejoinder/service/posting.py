"""Posting comments: the rules a comment meets on its way in (editing and deleting one's
own are in service/editing.py).

A new comment is screened before its write (``pipeline.prescreen`` and ``look_up``), so
SQLite's one writer never waits on the toxicity model or on ban and campaign reads; inside
the write it gets its thread (made on first comment), the thread's rules (closed, the
moderation mode) and its reply parent, all in one transaction with the idempotency record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import msgspec

from rejoinder.domain.comments import draft_comment
from rejoinder.domain.errors import Problem, RejoinderError, invalid
from rejoinder.domain.events import (
    CommentCreated,
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
from rejoinder.service.announcing import (
    hidden_events,
    notice_for,
    queue_hidden_events,
    status_for_author,
)
from rejoinder.service.limits import enforce
from rejoinder.service.outcomes import Outcome
from rejoinder.service.pipeline import (
    conclude,
    look_up,
    newcomer_standing,
    prescreen,
    record,
)
from rejoinder.service.services import Services
from rejoinder.store import comments as comment_store
from rejoinder.store import idempotency
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
        await queue_hidden_events(connection, app, hidden, draft.thread_key, now)
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
                status=status_for_author(stored.status),
                notice=notice_for(stored.status),
                mail=mailing,
            )
        )
        if retry is not None:
            await idempotency.remember(connection, retry.key, CREATED, body)
        count = await thread_store.visible_count(connection, thread.id)
    POSTS.labels(_OUTCOMES[stored.status]).inc()  # committed: a retry's replay is not counted
    events = _arrival(draft.thread_key, stored, screening.findings, count)
    for other in hidden:
        events += hidden_events(draft.thread_key, other, count, "campaign")
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
