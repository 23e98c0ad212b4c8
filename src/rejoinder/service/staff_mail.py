"""Mail for staff: a moderator's digest of the queue, hourly or daily, by their choice, and
the comments on a writer's stories (articles whose ``author`` is them), gathered like a
reader's replies into one mail per ``mail_digest_minutes``.

Scheduling is durable and safe with several server processes: each user's next due time is
a row (``staff_mail.queue_due_at``); every outbox worker's round looks for due rows and, in
one write transaction that locks them (SKIP LOCKED on PostgreSQL, the single writer on
SQLite), queues one outbox message per user with something new and moves their due time on.
The mail is written when it is sent (service/mail.py's headers, parts and SMTP), from the
items still held then.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from rejoinder.catalogues import LANGUAGES, translations
from rejoinder.domain.errors import invalid
from rejoinder.domain.identity import Role
from rejoinder.domain.models import Status, StoredComment
from rejoinder.domain.moderation.pipeline import decode_findings
from rejoinder.domain.outgoing import OutboxMessage
from rejoinder.domain.phrases import phrase
from rejoinder.service import mail
from rejoinder.service.outbox import Sender
from rejoinder.store import staff_mail as staff_store
from rejoinder.store.database import Connection
from rejoinder.store.mail import queue_mail
from rejoinder.store.outbox import new_message_id

if TYPE_CHECKING:
    from rejoinder.service.services import Services

log = logging.getLogger("rejoinder")

KIND = "staff-mail"
QUEUE = "mail.queue"
STORIES = "mail.stories"
PURPOSE = "staff-mail-link"
UNSUBSCRIBE_PATH = "/mail/staff/unsubscribe"
EVERY = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
EXCERPT = 300
MODERATING = frozenset({Role.ADMIN, Role.MODERATOR})


async def choose(
    app: Services,
    user_id: int,
    roles: frozenset[Role],
    *,
    every: str | None,
    email: str | None,
    language: str,
    link_base: str,
    stories: bool = False,
) -> None:
    """A moderator's choice on /admin/me: a digest every hour or day (or none), in
    ``language`` (their admin pages' language), to their address (set here if it was empty),
    with links to ``link_base`` (the origin they chose on)."""
    if every is not None and every not in EVERY:
        raise invalid("invalid_choice", phrase("Unknown choice."), "queue_every")
    if every is not None and not roles & MODERATING:
        raise invalid("not_moderator", phrase("Only moderators get the queue."), "queue_every")
    now = app.clock()
    async with app.db.write() as connection:
        current = await staff_store.choices(connection, user_id)
        address = email.strip() if email and not current.email else None
        if address is not None and "@" not in address:
            raise invalid("invalid_email", phrase("Give an e-mail address."), "email")
        if (every is not None or stories) and not (current.email or address):
            raise invalid("email_required", phrase("Give an e-mail address."), "email")
        await staff_store.choose(
            connection,
            user_id,
            email=address,
            language=language if language in LANGUAGES else app.settings.language,
            every=every,
            stories=stories,
            link_base=link_base,
            now=now,
            due_at=now + EVERY[every] if every else None,
        )


async def choices(app: Services, user_id: int) -> staff_store.StaffMail:
    async with app.db.read() as connection:
        return await staff_store.choices(connection, user_id)


async def queue_due(app: Services, now: datetime) -> int:
    """Queue the digests whose time has come; how many. Run in every outbox round."""
    async with app.db.read() as connection:
        due = await staff_store.next_due(connection)
    if due is None or due > now or not mail.enabled(app.settings):
        return 0
    async with app.db.write() as connection:
        return await _queue(connection, now)


async def _queue(connection: Connection, now: datetime) -> int:
    queued = 0
    for user in await staff_store.due_digests(connection, now):
        period = EVERY[user.queue_every]
        since = user.queue_since  # nothing new: nothing sent, the next starts from the last
        if await staff_store.anything_held_between(connection, user.queue_since, now):
            payload = {"user": user.user_id, "since": user.queue_since.isoformat()}
            payload["until"] = now.isoformat()
            await queue_mail(
                connection,
                message_id=new_message_id(),
                event=QUEUE,
                payload=json.dumps(payload),
                due_at=now,
                now=now,
                kind=KIND,
            )
            queued += 1
            since = now
        next_at = max(user.queue_due_at + period, now)
        await staff_store.move_on(connection, user.user_id, since, next_at)
    return queued


async def queue_story_comment(
    connection: Connection, app: Services, comment: StoredComment, now: datetime
) -> None:
    """A comment is on show: the writer of its story hears of it in their next digest, which
    opens at once after a quiet spell and gathers what follows for ``mail_digest_minutes``.
    Not their own comments. In the transaction that published it."""
    if comment.status is not Status.VISIBLE or not mail.enabled(app.settings):
        return
    writer = await staff_store.writer_of(connection, comment.thread_id)
    if writer is None or comment.user_id == writer.user_id:
        return
    opened = await mail.add_to_digest(
        connection,
        app,
        waiting=writer.story_outbox_id,
        next_at=writer.story_next_at,
        owner={"user": writer.user_id},
        key="comments",
        item=comment.id,
        now=now,
        event=STORIES,
        kind=KIND,
    )
    if opened is not None:
        await staff_store.set_story_digest(connection, writer.user_id, *opened)


async def unsubscribe(app: Services, token: str) -> str:
    """The one-click link of a digest: that digest is off. The user's language, for the page."""
    user_id, scope = mail.read_token(app, token, PURPOSE)
    if scope not in ("queue", "stories"):
        raise mail.bad_link()
    async with app.db.write() as connection:
        if scope == "queue":
            await staff_store.stop_queue(connection, user_id)
        else:
            await staff_store.stop_stories(connection, user_id)
        return (await staff_store.choices(connection, user_id)).language


async def language_of(app: Services, token: str) -> str:
    user_id, _ = mail.read_token(app, token, PURPOSE)
    return (await choices(app, user_id)).language


class StaffMailSender(Sender):
    """Writes a queue digest and hands it to the SMTP server (service/mail.send)."""

    def __init__(self, app: Services) -> None:
        self.app = app

    async def __call__(self, message: OutboxMessage) -> None:
        content = json.loads(message.payload)
        if message.event == STORIES:
            await self._stories(message, content)
            return
        since = datetime.fromisoformat(content["since"])
        until = datetime.fromisoformat(content["until"])
        async with self.app.db.read() as connection:
            user = await staff_store.choices(connection, content["user"])
            items = await staff_store.held_between(connection, since, until)
        if user.queue_every is None or not user.email:
            return  # switched off since it was queued
        items = [item for item in items if item.status != Status.DELETED.value]
        if not items:
            return  # all dealt with meanwhile
        base = self._base(user)
        if base is None:
            return
        stop = self._stop(base, user.user_id, "queue")
        subject = translations(user.language).ngettext(
            "%(num)d comment for moderators", "%(num)d comments for moderators", len(items)
        ) % {"num": len(items)}
        sent = mail.headers(self.app, message, user.email, subject, stop)
        shown = [
            {
                "author_name": item.author_name,
                "title": item.thread_title or item.thread_key,
                # Sanitised when it was stored (domain/markup.py), cut short as text.
                "excerpt": _excerpt(item.body_html),
                "held": [finding.reason for finding in decode_findings(item.moderation)],
                "reports": item.report_reasons,
                "pending": item.status == Status.PENDING.value,
                "link": f"{base}/admin/comments/{item.id}",
            }
            for item in items
        ]
        mail.add_parts(sent, "queue", user.language, {"items": shown, "stop_link": stop})
        await mail.send(self.app.settings, sent)

    async def _stories(self, message: OutboxMessage, content: dict[str, Any]) -> None:
        async with self.app.db.read() as connection:
            user = await staff_store.choices(connection, content["user"])
            found = await staff_store.story_comments(connection, content["comments"])
        if not user.stories or not user.email or not found:
            return  # switched off since, or every comment withdrawn meanwhile
        base = self._base(user)
        if base is None:
            return
        stop = self._stop(base, user.user_id, "stories")
        more = content.get("more", 0)  # beyond the digest's DIGEST_SHOWN (service/mail.py)
        total = len(found) + more
        subject = translations(user.language).ngettext(
            "A comment on your story", "%(num)d comments on your stories", total
        ) % {"num": total}
        sent = mail.headers(self.app, message, user.email, subject, stop)
        shown = [
            {
                "author_name": comment.author_name,
                "body_markdown": comment.body_markdown,
                # Sanitised when it was stored (domain/markup.py): the only HTML put in unescaped.
                "body_html": Markup(comment.body_html),
                "title": comment.thread_title or comment.thread_key,
                "link": f"{comment.thread_url}#comment-{comment.id}"
                if comment.thread_url
                else f"{base}/articles/{comment.thread_key}#comment-{comment.id}",
            }
            for comment in found
        ]
        context = {"comments": shown, "more": more, "stop_link": stop}
        mail.add_parts(sent, "stories", user.language, context)
        await mail.send(self.app.settings, sent)

    def _base(self, user: staff_store.StaffMail) -> str | None:
        """The origin the links point to; none for a choice stored before 0017 on a server
        without ``public_url``: a mail whose links lead nowhere is not sent."""
        base = user.link_base or self.app.settings.public_url
        if base is None:
            log.warning(
                "staff mail for user %s not sent: no public_url; choose again at /admin/me",
                user.user_id,
            )
        return base

    def _stop(self, base: str, user_id: int, scope: str) -> str:
        token = mail.link_token(self.app, user_id, scope, mail.UNSUBSCRIBE_DAYS, PURPOSE)
        return mail.link_to(base, UNSUBSCRIBE_PATH, token)


def _excerpt(body_html: str) -> str:
    text = " ".join(Markup(body_html).striptags().split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"
