"""Reply notifications by e-mail, double opt-in, sent through the outbox.

A reader who ticks "E-mail me replies" gets one confirmation mail, queued in the post's
transaction; nothing else goes to the address until its link is followed (and at most one
confirmation a day however often they ask). Once confirmed, each published reply to a comment
they follow joins the digest waiting for the address, or opens a new one due at the end of
the address's window (``mail_digest_minutes`` after the last), so a busy thread makes one
mail per window. The mail is written when it is sent, from the replies still on show; its
Message-ID comes from the outbox message, so a second delivery after a crash is the same mail.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote, urlencode, urlsplit

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from rejoinder.catalogues import LANGUAGES, translations
from rejoinder.domain.errors import Problem, RejoinderError, invalid
from rejoinder.domain.models import Status, StoredComment
from rejoinder.domain.outgoing import OutboxMessage
from rejoinder.domain.phrases import phrase
from rejoinder.service.outbox import DeliveryFailed, Sender
from rejoinder.store import mail as mail_store
from rejoinder.store.database import Connection
from rejoinder.store.mail import MailAddress
from rejoinder.store.outbox import new_message_id

if TYPE_CHECKING:
    from rejoinder.config import Settings
    from rejoinder.service.services import Services

KIND = "mail"
CONFIRM = "mail.confirm"
REPLIES = "mail.replies"
PURPOSE = "mail-link"
CONFIRM_PATH = "/mail/confirm"
UNSUBSCRIBE_PATH = "/mail/unsubscribe"
CONFIRM_DAYS = 7
UNSUBSCRIBE_DAYS = 90
ASK_AGAIN_AFTER = timedelta(days=1)
# A digest shows this many items and counts the rest: a mail of a thousand replies helps no
# one, and rewriting an ever longer list on every reply made a busy thread's posting slow
# (each reply read and wrote the whole list: 10,000 replies in a window, 10,000 ids a post).
DIGEST_SHOWN = 20

# What a post that asked for notifications is told (``CreatedComment.mail``).
CONFIRMATION_SENT = "confirmation_sent"  # a confirmation mail is on its way
CONFIRMATION_WAITING = "confirmation_waiting"  # one was sent already: follow its link
FOLLOWING = "following"  # the address is confirmed: replies will be mailed


def enabled(settings: Settings) -> bool:
    return settings.smtp_url is not None


def check_request(settings: Settings, email: str | None) -> None:
    """Refused rather than ignored: a client that asks for mail the server cannot send should
    hear so, not believe replies will come."""
    if not enabled(settings):
        raise invalid("mail_off", "This site does not send e-mail notifications.", "notify_replies")
    if not email:
        raise invalid(
            "email_required", "Give an e-mail address to be told of replies.", "author_email"
        )


async def ask_for_replies(
    connection: Connection,
    app: Services,
    comment: StoredComment,
    language: str,
    link_base: str,
    now: datetime,
) -> str:
    """The author of ``comment`` asked to be mailed its replies: follow it, and queue the
    confirmation mail when the address has none recent. In the post's transaction."""
    address = (comment.author_email or "").casefold()
    language = language if language in LANGUAGES else app.settings.language
    found = await mail_store.address_named(connection, address, for_update=True)
    if found is None:
        address_id = await mail_store.add_address(connection, address, language, link_base, now)
        await _queue_confirmation(connection, address_id, now)
        answer = CONFIRMATION_SENT
    elif found.receives:
        address_id, answer = found.id, FOLLOWING
    elif found.confirm_sent_at is None or now - found.confirm_sent_at >= ASK_AGAIN_AFTER:
        address_id, answer = found.id, CONFIRMATION_SENT
        await mail_store.ask_again(connection, found.id, language, link_base, now)
        await _queue_confirmation(connection, found.id, now)
    else:
        address_id, answer = found.id, CONFIRMATION_WAITING
    await mail_store.follow(connection, comment.id, address_id, now)
    return answer


async def _queue_confirmation(connection: Connection, address_id: int, now: datetime) -> None:
    await mail_store.queue_mail(
        connection,
        message_id=new_message_id(),
        event=CONFIRM,
        payload=json.dumps({"address": address_id}),
        due_at=now,
        now=now,
    )


async def queue_reply(
    connection: Connection, app: Services, reply: StoredComment, now: datetime
) -> None:
    """A reply is on show: the follower of its parent hears of it in their next digest. Not
    a reply they wrote themselves, and nothing while the reply waits or was refused."""
    if reply.parent_id is None or reply.status is not Status.VISIBLE or not enabled(app.settings):
        return
    follower = await mail_store.follower_of(connection, reply.parent_id)
    if follower is None or (reply.author_email or "").casefold() == follower.address:
        return
    opened = await add_to_digest(
        connection,
        app,
        waiting=follower.digest_outbox_id,
        next_at=follower.next_digest_at,
        owner={"address": follower.id},
        key="replies",
        item=reply.id,
        now=now,
        event=REPLIES,
    )
    if opened is not None:
        await mail_store.set_digest(connection, follower.id, *opened)


async def add_to_digest(
    connection: Connection,
    app: Services,
    *,
    waiting: int | None,
    next_at: datetime | None,
    owner: dict[str, int],
    key: str,
    item: int,
    now: datetime,
    event: str,
    kind: str = KIND,
) -> tuple[int, datetime] | None:
    """Add ``item`` to the ``key`` list of the digest ``waiting`` while no worker has taken
    it; else queue a new digest for ``owner``, due at ``next_at`` (at once after a quiet
    spell). For a new one, its outbox id and when the next window starts, to be stored."""
    if waiting is not None:
        payload = await mail_store.open_digest(connection, waiting, now)
        if payload is not None:
            content = json.loads(payload)
            if len(content[key]) < DIGEST_SHOWN:
                content[key] = [*content[key], item]
            else:
                content["more"] = content.get("more", 0) + 1
            await mail_store.rewrite_digest(connection, waiting, json.dumps(content))
            return None
    due = max(now, next_at or now)
    outbox_id = await mail_store.queue_mail(
        connection,
        message_id=new_message_id(),
        event=event,
        payload=json.dumps({**owner, key: [item]}),
        due_at=due,
        now=now,
        kind=kind,
    )
    return outbox_id, due + timedelta(minutes=app.settings.mail_digest_minutes)


# Links: the address id, what the link does, and its expiry, signed.


def link_token(
    app: Services, address_id: int, scope: str, days: int, purpose: str = PURPOSE
) -> str:
    """Signed for ``purpose``: a reader's address id, or a staff user's id (service/staff_mail)."""
    expires = int((app.clock() + timedelta(days=days)).timestamp())
    value = f"{address_id}.{scope}.{expires}"
    return f"{value}.{app.signer.sign(purpose, value)}"


def read_token(app: Services, token: str, purpose: str = PURPOSE) -> tuple[int, str]:
    """The address id and scope ("confirm", "all", or comment ids joined by "-") of a link
    this server signed and that has not expired."""
    value, _, signature = token.rpartition(".")
    parts = value.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[2].isdigit():
        raise bad_link()
    if not app.signer.verify(purpose, value, signature):
        raise bad_link()
    if app.clock().timestamp() > int(parts[2]):
        raise RejoinderError(Problem.FORBIDDEN, "expired", phrase("This link has expired."))
    return int(parts[0]), parts[1]


def bad_link() -> RejoinderError:
    return RejoinderError(Problem.FORBIDDEN, "bad_signature", phrase("This link is not valid."))


def link_to(base: str, path: str, token: str) -> str:
    return f"{base}{path}?{urlencode({'token': token})}"


async def confirm(app: Services, token: str) -> MailAddress:
    address_id, scope = read_token(app, token)
    if scope != "confirm":
        raise bad_link()
    async with app.db.write() as connection:
        found = await mail_store.confirm(connection, address_id, app.clock())
    if found is None:
        raise bad_link()
    return found


async def unsubscribe(app: Services, token: str) -> MailAddress:
    """Stop what the link names: replies to some comments, or every mail to the address."""
    address_id, scope = read_token(app, token)
    if scope == "confirm":
        raise bad_link()
    chosen = None if scope == "all" else [int(n) for n in scope.split("-") if n.isdigit()]
    async with app.db.write() as connection:
        await mail_store.unfollow(connection, address_id, chosen, app.clock())
        found = await mail_store.address_by_id(connection, address_id)
    if found is None:
        raise bad_link()
    return found


async def address_of(app: Services, token: str) -> MailAddress:
    """The address a link is for (the page before a click)."""
    address_id, _ = read_token(app, token)
    async with app.db.read() as connection:
        found = await mail_store.address_by_id(connection, address_id)
    if found is None:
        raise bad_link()
    return found


# Writing and sending.


@cache
def _templates(language: str) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(str(files("rejoinder").joinpath("templates"))),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    cast(Any, environment).install_gettext_translations(translations(language), newstyle=True)
    return environment


def _render(name: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    environment = _templates(language)
    text = environment.get_template(f"mail/{name}.txt").render(**context)
    html = environment.get_template(f"mail/{name}.html").render(**context)
    return text, html


class MailSender(Sender):
    """Writes one outbox message of kind "mail" and hands it to the SMTP server.

    One SMTP conversation a message: mail is rare next to webhooks, and a connection kept
    open would be dropped by most servers between digests anyway.
    """

    def __init__(self, app: Services) -> None:
        self.app = app

    async def __call__(self, message: OutboxMessage) -> None:
        content = json.loads(message.payload)
        async with self.app.db.read() as connection:
            address = await mail_store.address_by_id(connection, content["address"])
            replies = []
            if address is not None and message.event == REPLIES:
                replies = await mail_store.replies_to_mail(
                    connection, address.id, content["replies"]
                )
        if address is None or address.unsubscribed_at is not None:
            return  # nothing to send: unsubscribed since it was queued
        if message.event == REPLIES:
            if not address.receives or not replies:
                return
            mail = self._replies(message, address, replies, content.get("more", 0))
        else:
            mail = self._confirmation(message, address)
        await self._send(mail)

    def _headers(
        self, message: OutboxMessage, address: MailAddress, subject: str, scope: str
    ) -> EmailMessage:
        unsubscribe = link_to(
            address.link_base,
            UNSUBSCRIBE_PATH,
            link_token(self.app, address.id, scope, UNSUBSCRIBE_DAYS),
        )
        return headers(self.app, message, address.address, subject, unsubscribe)

    def _stop_all(self, address: MailAddress) -> str:
        token = link_token(self.app, address.id, "all", UNSUBSCRIBE_DAYS)
        return link_to(address.link_base, UNSUBSCRIBE_PATH, token)

    def _confirmation(self, message: OutboxMessage, address: MailAddress) -> EmailMessage:
        catalogue = translations(address.language)
        subject = catalogue.gettext("Confirm your address to be told of replies")
        mail = self._headers(message, address, subject, "all")
        confirm_link = link_to(
            address.link_base,
            CONFIRM_PATH,
            link_token(self.app, address.id, "confirm", CONFIRM_DAYS),
        )
        context = {"confirm_link": confirm_link, "stop_link": self._stop_all(address)}
        add_parts(mail, "confirm", address.language, context)
        return mail

    def _replies(
        self,
        message: OutboxMessage,
        address: MailAddress,
        replies: list[mail_store.ReplyInMail],
        more: int,
    ) -> EmailMessage:
        """The replies shown, and ``more`` counted beyond them (some may have gone since)."""
        catalogue = translations(address.language)
        total = len(replies) + more
        subject = catalogue.ngettext(
            "A reply to your comment", "%(num)d replies to your comments", total
        ) % {"num": total}
        followed = sorted({reply.parent_id for reply in replies})
        mail = self._headers(message, address, subject, "-".join(map(str, followed)))
        shown = [
            {
                "author_name": reply.author_name,
                "body_markdown": reply.body_markdown,
                # Sanitised when it was stored (domain/markup.py): the only HTML put in unescaped.
                "body_html": Markup(reply.body_html),
                "title": reply.thread_title or reply.thread_key,
                "link": f"{reply.thread_url}#comment-{reply.id}" if reply.thread_url else None,
            }
            for reply in replies
        ]
        context = {"replies": shown, "more": more, "stop_link": self._stop_all(address)}
        add_parts(mail, "replies", address.language, context)
        return mail

    async def _send(self, mail: EmailMessage) -> None:
        await send(self.app.settings, mail)


def headers(
    app: Services, message: OutboxMessage, to: str, subject: str, unsubscribe: str
) -> EmailMessage:
    """A mail's headers, with the one-click unsubscribe (RFC 8058) that ``unsubscribe`` does."""
    mail = EmailMessage()
    mail["From"] = app.settings.mail_from
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(app.clock())
    host = urlsplit(unsubscribe).hostname or "rejoinder.invalid"
    # The outbox message's id, so a delivery repeated after a crash is the same message.
    mail["Message-ID"] = f"<{message.message_id}@{host}>"
    mail["List-Unsubscribe"] = f"<{unsubscribe}>"
    mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail["Auto-Submitted"] = "auto-generated"
    return mail


def add_parts(mail: EmailMessage, name: str, language: str, context: dict[str, Any]) -> None:
    """The text and HTML parts, from templates/mail/``name``.txt and .html."""
    text, html = _render(name, language, {**context, "language": language})
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")
    mail["Content-Language"] = language  # after: set_content drops Content-* headers


async def send(settings: Settings, mail: EmailMessage) -> None:
    """One SMTP conversation; a failure says whether trying again can help.

    A process started without ``smtp_url`` may still claim mail that another queued (one
    outbox for every process): that attempt fails, to be tried again, perhaps by the other.
    """
    if settings.smtp_url is None:
        raise DeliveryFailed("this server process has no smtp_url; it cannot send mail")
    parts = urlsplit(settings.smtp_url)
    implicit = parts.scheme == "smtps"
    try:
        await aiosmtplib.send(
            mail,
            hostname=parts.hostname,
            port=parts.port or (465 if implicit else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=implicit,
            start_tls=False if implicit else None,  # None: STARTTLS when offered
            timeout=settings.outbox_timeout,
        )
    except aiosmtplib.SMTPRecipientsRefused as refused:
        codes = [recipient.code for recipient in refused.recipients]
        reason = "; ".join(f"{r.code} {r.message}" for r in refused.recipients)
        raise DeliveryFailed(f"SMTP {reason}", final=all(c >= 500 for c in codes)) from None
    except aiosmtplib.SMTPResponseException as answered:
        raise DeliveryFailed(
            f"SMTP {answered.code} {answered.message}", final=answered.code >= 500
        ) from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        raise DeliveryFailed(f"{type(error).__name__}: {error}") from None
