"""``/api/comments``: read a thread, post, edit and delete comments."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

import msgspec
from litestar import Request, Response, delete, patch, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from rejoinder.domain import markup
from rejoinder.domain.comments import (
    check_body,
    check_still_editable,
    draft_comment,
)
from rejoinder.domain.errors import Problem, RejoinderError, invalid
from rejoinder.domain.events import (
    CommentCreated,
    CommentDeleted,
    CommentEdited,
    CommentHidden,
    QueueChanged,
)
from rejoinder.domain.identity import Identity, IdentityKind, badge_for, ban_handles
from rejoinder.domain.models import CommentDraft, Status, StoredComment
from rejoinder.domain.names import check_guest_name
from rejoinder.domain.text import check_single_line
from rejoinder.store import comments as comment_store
from rejoinder.store import idempotency
from rejoinder.store import moderation as moderation_store
from rejoinder.store import threads as thread_store
from rejoinder.store import users as user_store
from rejoinder.store.authors import find_author, writer_for
from rejoinder.store.database import Connection
from rejoinder.web.api.refusals import refusals
from rejoinder.web.context import services
from rejoinder.web.identity import hand_back, identify, writer_identity
from rejoinder.web.live import publish, publish_moderation
from rejoinder.web.pipeline import conclude, look_up, prescreen, record, stricter
from rejoinder.web.ratelimit import enforce
from rejoinder.web.schemas import CommentEdit, CreatedComment, EditedComment, NewComment
from rejoinder.web.security import guard_write, own_origin, public_origin

MAX_IDEMPOTENCY_KEY = 255


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    return check_single_line(
        key, "Idempotency-Key", max_length=MAX_IDEMPOTENCY_KEY, label="Idempotency-Key"
    )


@post(
    "/api/comments",
    guards=[guard_write],
    opt={"body": NewComment},
    status_code=HTTP_201_CREATED,
    summary="Post a comment or a reply",
    description="An Idempotency-Key header makes a retry return the first result. Readers "
    "signed in through the publisher send their token as `Authorization: Bearer <JWT>`.",
    responses=refusals(401, 404, 409, write=True),
)
async def create_comment(request: Request, data: JSONBody[NewComment]) -> Response[CreatedComment]:
    app = services(request)
    now = app.clock()
    identity = writer_identity(request)
    sso = identity.sso
    if sso is None and data.author_name is None:
        raise invalid("required", "Please give a name.", "author_name")
    draft = draft_comment(
        thread=data.thread,
        thread_title=data.thread_title,
        thread_url=data.thread_url,
        parent_id=data.parent_id,
        author_name=sso.name if sso else data.author_name or "",
        author_email=(sso.email if sso else data.author_email),
        body=data.body,
        spoiler=data.spoiler,
    )
    key = _idempotency_key(request)
    await _check_rate(request, identity)
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
        if key is not None:
            request_hash = hashlib.sha256(await request.body()).hexdigest()
            replay = await idempotency.claim(
                connection,
                key,
                identity.client,
                request_hash,
                now,
                also=f"address:{identity.address_hash}",
            )
            if replay is not None:
                return Response(
                    replay.body, status_code=replay.status_code, media_type="application/json"
                )
        if sso is None:
            check_guest_name(draft.author_name, await user_store.staff_names(connection))
        writer = await writer_for(connection, identity, now)
        user = writer.user
        title, url = _vouched_title_and_url(request, draft, sso is not None)
        thread = await thread_store.thread_for_new_comment(
            connection, draft.thread_key, title, url, now
        )
        if thread.is_closed(now):
            raise RejoinderError(
                Problem.FORBIDDEN, "thread_closed", "This discussion is closed.", "thread"
            )
        root_id = await _root_for_reply(connection, draft.parent_id, thread.id)
        screening = conclude(pre, evidence, thread=thread, guest=user is None)
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
        body = msgspec.json.encode(
            CreatedComment(
                stored.for_readers(),
                app.signer.edit_token(stored.id, edit_key),
                stored.created_at + timedelta(seconds=app.settings.edit_window),
                status=_status_for_author(stored.status),
                notice=_notice_for(stored.status),
            )
        )
        if key is not None:
            await idempotency.remember(connection, key, HTTP_201_CREATED, body)
        count = await thread_store.visible_count(connection, thread.id)
    _announce(request, draft.thread_key, stored, screening.findings, count)
    for other in hidden:
        _announce_hidden(request, draft.thread_key, other, count)
    response = Response(body, status_code=HTTP_201_CREATED, media_type="application/json")
    return hand_back(response, request, identity)


async def _check_rate(request: Request, identity: Identity) -> None:
    app = services(request)
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
    return Status.VISIBLE.value if status is Status.SHADOW else status.value


def _notice_for(status: Status) -> str | None:
    if status is Status.PENDING:
        return "Thanks! Your comment will appear once a moderator has read it."
    if status is Status.REJECTED:
        return "Your comment was not published because it breaks this site's rules."
    return None


def _announce(
    request: Request, thread_key: str, stored: StoredComment, findings: list, count: int
) -> None:
    if stored.status is Status.VISIBLE:
        publish(
            request,
            CommentCreated(thread=thread_key, comment=stored.for_readers(), comment_count=count),
        )
    if stored.status in (Status.PENDING, Status.REJECTED) or findings:
        reasons = "; ".join(f.reason for f in findings) or "published"
        publish_moderation(
            request, QueueChanged(comment_id=stored.id, status=stored.status.value, reason=reasons)
        )


def _announce_hidden(request: Request, thread_key: str, stored: StoredComment, count: int) -> None:
    publish(request, CommentHidden(thread=thread_key, id=stored.id, comment_count=count))
    publish_moderation(
        request,
        QueueChanged(comment_id=stored.id, status=stored.status.value, reason="campaign"),
    )


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
    request: Request, draft: CommentDraft, signed_in: bool
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
    allowed = services(request).settings.allowed_origins
    if origin in allowed or origin in (own_origin(request), public_origin(request)):
        return draft.thread_title, draft.thread_url
    return None, None


async def _editable(request: Request, comment_id: int, connection: Connection) -> StoredComment:
    """The comment, if its author asks (by its edit token, or as the reader or signed-in user
    who wrote it, from any device) and the edit window is still open."""
    app = services(request)
    comment = await comment_store.get_comment(connection, comment_id, for_update=True)
    if comment is None or comment.status is Status.DELETED:
        raise RejoinderError(Problem.NOT_FOUND, "not_found", f"There is no comment {comment_id}.")
    token = request.headers.get("x-edit-token", "")
    by_token = bool(token) and app.signer.verify_edit_token(
        comment_id, await comment_store.edit_key(connection, comment_id), token
    )
    if not by_token and not await _written_by_asker(request, connection, comment):
        raise RejoinderError(
            Problem.FORBIDDEN,
            "edit_token_invalid",
            "Only the author can change this comment (the X-Edit-Token is missing or wrong).",
            "X-Edit-Token",
        )
    check_still_editable(comment.created_at, app.clock(), app.settings.edit_window)
    return comment


async def _written_by_asker(
    request: Request, connection: Connection, comment: StoredComment
) -> bool:
    author = await find_author(connection, identify(request))
    if author.user_id is not None:
        return comment.user_id == author.user_id
    return author.voter_id is not None and comment.voter_id == author.voter_id


@patch(
    "/api/comments/{comment_id:int}",
    guards=[guard_write],
    opt={"body": CommentEdit},
    summary="Edit your comment",
    responses=refusals(401, 404, write=True),
)
async def edit_comment(
    request: Request, comment_id: FromPath[int], data: JSONBody[CommentEdit]
) -> EditedComment:
    text = check_body(data.body)
    app = services(request)
    now = app.clock()
    pre = await prescreen(app, text)
    async with app.db.write() as connection:
        comment = await _editable(request, comment_id, connection)
        thread = await thread_store.thread_by_id(connection, comment.thread_id)
        assert thread is not None
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
        screening = conclude(pre, evidence, thread=thread, guest=comment.author_guest)
        spoiler = comment.spoiler if data.spoiler is None else data.spoiler
        updated = await comment_store.update_text(
            connection,
            comment_id,
            markdown=text,
            html=markup.render(text),
            spoiler=spoiler,
            now=now,
        )
        status = stricter(updated.status, screening.status)
        if status is not updated.status:
            updated = await moderation_store.set_status(
                connection, updated, status, now=now, by=None
            )
        hidden = await record(connection, app, updated, screening, now, edited=True)
        updated = await moderation_store.withdraw_review(connection, comment_id)
        count = await thread_store.visible_count(connection, comment.thread_id)
    if updated.status is Status.VISIBLE:
        publish(request, CommentEdited(thread=thread.key, comment=updated.for_readers()))
    elif comment.status is Status.VISIBLE:
        _announce_hidden(request, thread.key, updated, count)
    for other in hidden:
        _announce_hidden(request, thread.key, other, count)
    return EditedComment(
        updated.for_readers(),
        status=_status_for_author(updated.status),
        notice=_notice_for(updated.status),
    )


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


@delete(
    "/api/comments/{comment_id:int}",
    guards=[guard_write],
    status_code=HTTP_204_NO_CONTENT,
    summary="Delete your comment",
    responses=refusals(401, 404, write=True),
)
async def delete_comment(request: Request, comment_id: FromPath[int]) -> None:
    app = services(request)
    async with app.db.write() as connection:
        comment = await _editable(request, comment_id, connection)
        await comment_store.mark_deleted(connection, comment, app.clock())
        key = await thread_store.thread_key(connection, comment.thread_id)
        count = await thread_store.visible_count(connection, comment.thread_id)
    publish(request, CommentDeleted(thread=key, id=comment_id, comment_count=count))
