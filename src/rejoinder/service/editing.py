"""Editing and deleting one's own comment, while the edit window is open: the author is
known by the comment's edit token, or as the reader or signed-in user who wrote it, and an
edited text is screened again as a new comment is (service/posting.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from rejoinder.domain import markup
from rejoinder.domain.comments import check_body, check_still_editable
from rejoinder.domain.errors import Problem, RejoinderError, no_comment
from rejoinder.domain.events import CommentDeleted, CommentEdited, Event
from rejoinder.domain.identity import Identity
from rejoinder.domain.models import Comment, Status, StoredComment
from rejoinder.domain.outgoing import comment_events
from rejoinder.service import webhooks
from rejoinder.service.announcing import (
    hidden_events,
    notice_for,
    queue_hidden_events,
    status_for_author,
)
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
from rejoinder.store import moderation as moderation_store
from rejoinder.store import threads as thread_store
from rejoinder.store.authors import find_author
from rejoinder.store.database import Connection


class EditedComment(msgspec.Struct):
    comment: Comment
    status: str = "visible"
    notice: str | None = None


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
        await queue_hidden_events(connection, app, hidden, thread.key, now)
        count = await thread_store.visible_count(connection, comment.thread_id)
    events: list[Event] = []
    if updated.status is Status.VISIBLE:
        events.append(CommentEdited(thread=thread.key, comment=updated.for_readers()))
    elif comment.status is Status.VISIBLE:
        events += hidden_events(thread.key, updated, count, "campaign")
    for other in hidden:
        events += hidden_events(thread.key, other, count, "campaign")
    answer = EditedComment(
        updated.for_readers(),
        status=status_for_author(updated.status),
        notice=notice_for(updated.status),
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
