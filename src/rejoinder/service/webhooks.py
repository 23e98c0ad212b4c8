"""Webhooks: the publisher's endpoints, the events queued for them with each change, and
their delivery, signed as Standard Webhooks specify.

A change queues one outbox message per endpoint that wants the event, in the change's own
transaction (``queue_comment_events``). Delivery (``WebhookSender``) resolves the endpoint's
host each time and refuses private, loopback and link-local addresses unless
``webhook_allow_private`` is set: a name that pointed at a public address when it was
registered may point inside the network later. Redirects are not followed, for the same
reason.

A comment that waits for a moderator is sent to endpoints that want ``comment.queued`` with
a signed callback address: an outside moderation service approves or rejects it there
(``moderate_by_callback``), before anyone sees it.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import socket
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import msgspec
from standardwebhooks import Webhook

from rejoinder.domain.errors import Problem, RejoinderError, invalid
from rejoinder.domain.models import StoredComment
from rejoinder.domain.outgoing import (
    PAYLOAD_VERSION,
    HookEvent,
    OutboxMessage,
    parse_events,
    unknown_events,
)
from rejoinder.domain.phrases import phrase
from rejoinder.domain.web_addresses import check_media_url, is_public_address
from rejoinder.service.outbox import DeliveryFailed, Sender
from rejoinder.store import outbox as outbox_store
from rejoinder.store import threads as thread_store
from rejoinder.store import webhooks as webhook_store
from rejoinder.store.database import Connection, Database
from rejoinder.store.outbox import NewMessage
from rejoinder.store.threads import ClosedByItself, ThreadRow
from rejoinder.store.webhooks import Endpoint

if TYPE_CHECKING:
    from rejoinder.config import Settings
    from rejoinder.service.services import Services

KIND = "webhook"
CALLBACK_PURPOSE = "moderation-callback"
CALLBACK_PATH = "/api/moderation/callback"
CALLBACK_DAYS = 7
MAX_DESCRIPTION = 200


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_events(text: str) -> tuple[HookEvent, ...]:
    chosen = parse_events(text)
    if chosen is None:
        unknown = ", ".join(unknown_events(text)) or text
        raise invalid(
            "unknown_event",
            phrase(
                "Unknown event: {names}. Choose among {known}, or * for all.",
                names=unknown,
                known=", ".join(event.value for event in HookEvent),
            ),
            "events",
        )
    return chosen


async def resolve_public(url: str, allow_private: bool) -> None:
    """Refuse an address whose host resolves to anything but the public internet."""
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    port = urlsplit(url).port or (443 if url.startswith("https:") else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise invalid(
            "unresolvable_host", phrase("{host} cannot be resolved.", host=host), "url"
        ) from error
    addresses = {info[4][0] for info in found}
    if not addresses or not all(is_public_address(str(a)) for a in addresses):
        raise invalid(
            "private_address",
            phrase(
                "{host} is a private, loopback or link-local address; webhooks go to the "
                "public internet unless the server allows otherwise (webhook_allow_private).",
                host=host,
            ),
            "url",
        )


async def register(
    db: Database,
    settings: Settings,
    url: str,
    events: str,
    description: str | None,
    now: datetime,
) -> Endpoint:
    """Add an endpoint, with a fresh secret, after checking where its address leads."""
    url = check_media_url(url.strip(), "url")
    chosen = check_events(events)
    description = (description or "").strip() or None
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise RejoinderError(
            Problem.TOO_LARGE,
            "too_long",
            phrase("The description is at most {n} characters.", n=MAX_DESCRIPTION),
            "description",
        )
    await resolve_public(url, settings.webhook_allow_private)
    async with db.write() as connection:
        return await webhook_store.add(
            connection,
            url=url,
            events=chosen,
            secret=new_secret(),
            description=description,
            now=now,
        )


def no_endpoint(endpoint_id: int) -> RejoinderError:
    return RejoinderError(
        Problem.NOT_FOUND, "not_found", phrase("There is no webhook {number}.", number=endpoint_id)
    )


async def change(db: Database, endpoint_id: int, what: str) -> Endpoint | None:
    """``enable``, ``disable``, ``rotate`` (a new secret; the old one still signs),
    ``end-rotation`` or ``remove`` one endpoint; the endpoint after (None once removed)."""
    async with db.write() as connection:
        if what == "remove":
            if not await webhook_store.remove(connection, endpoint_id):
                raise no_endpoint(endpoint_id)
            return None
        if what in ("enable", "disable"):
            changed = await webhook_store.set_enabled(connection, endpoint_id, what == "enable")
        elif what == "rotate":
            changed = await webhook_store.rotate(connection, endpoint_id, new_secret())
        else:
            changed = await webhook_store.end_rotation(connection, endpoint_id)
        if not changed:
            raise no_endpoint(endpoint_id)
        found = await webhook_store.get(connection, endpoint_id)
    assert found is not None
    return found


def _comment_data(comment: StoredComment, thread_key: str) -> dict[str, Any]:
    """What a receiver is told of a comment: never the author's e-mail or address."""
    return {
        "id": comment.id,
        "thread": thread_key,
        "parent_id": comment.parent_id,
        "status": comment.status.value,
        "author": {"name": comment.author_name, "guest": comment.author_guest},
        "body_markdown": comment.body_markdown,
        "body_html": comment.body_html,
        "spoiler": comment.spoiler,
        "featured": comment.featured,
        "created_at": comment.created_at.isoformat(),
        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
    }


def _payload(event: HookEvent, message_id: str, now: datetime, data: dict[str, Any]) -> str:
    body = {
        "type": event.value,
        "version": PAYLOAD_VERSION,
        "id": message_id,
        "timestamp": now.isoformat(),
        "data": data,
    }
    return msgspec.json.encode(body).decode()


def callback_url(app: Services, comment_id: int, endpoint_id: int, now: datetime) -> str:
    expires = int((now + timedelta(days=CALLBACK_DAYS)).timestamp())
    value = f"{comment_id}.{endpoint_id}.{expires}"
    query = urlencode(
        {
            "comment": comment_id,
            "endpoint": endpoint_id,
            "expires": expires,
            "signature": app.signer.sign(CALLBACK_PURPOSE, value),
        }
    )
    return f"{app.settings.public_url or ''}{CALLBACK_PATH}?{query}"


async def queue_comment_events(
    connection: Connection,
    app: Services,
    events: list[HookEvent],
    comment: StoredComment,
    thread_key: str,
    now: datetime,
) -> None:
    """Queue the events of one change to ``comment`` for every endpoint that wants them, in
    the change's transaction."""
    if not events:
        return
    endpoints = await webhook_store.enabled(connection)
    messages = []
    for endpoint in endpoints:
        for event in events:
            if not endpoint.wants(event):
                continue
            message_id = outbox_store.new_message_id()
            data: dict[str, Any] = {"comment": _comment_data(comment, thread_key)}
            if event is HookEvent.QUEUED:
                data["callback"] = {
                    "url": callback_url(app, comment.id, endpoint.id, now),
                    "actions": ["approve", "reject"],
                }
            messages.append(
                NewMessage(
                    message_id=message_id,
                    kind=KIND,
                    event=event.value,
                    endpoint_id=endpoint.id,
                    payload=_payload(event, message_id, now, data),
                )
            )
    await outbox_store.add(connection, messages, now)


async def queue_thread_closed(
    connection: Connection,
    app: Services,
    thread: ThreadRow | ClosedByItself,
    now: datetime,
    *,
    closed_at: datetime | None = None,
) -> None:
    """Tell the endpoints that want it that a discussion closed, once per closing: by a
    moderator now, or by itself at ``closed_at`` (``auto_close_days`` after it opened), for
    the endpoints that existed by then."""
    if not await thread_store.announce_closing(connection, thread.id, now):
        return
    when = closed_at or now
    data = {
        "thread": {"key": thread.key},
        "closed_at": when.isoformat(),
        "by": "auto_close" if closed_at else "moderator",
    }
    messages = []
    for endpoint in await webhook_store.enabled(connection):
        if endpoint.wants(HookEvent.THREAD_CLOSED) and endpoint.created_at <= when:
            message_id = outbox_store.new_message_id()
            messages.append(
                NewMessage(
                    message_id=message_id,
                    kind=KIND,
                    event=HookEvent.THREAD_CLOSED.value,
                    endpoint_id=endpoint.id,
                    payload=_payload(HookEvent.THREAD_CLOSED, message_id, now, data),
                )
            )
    await outbox_store.add(connection, messages, now)


class AutoClosings:
    """The outbox's scheduled pass that announces discussions closed by ``auto_close_days``.

    Closing by itself is a moment passing, with no request to hang the event on. Every
    process's worker looks at most once a minute (a closing is a matter of days), and only
    while some endpoint wants ``thread.closed``; ``threads.close_announced_at`` keeps two
    processes from both announcing one.
    """

    EVERY = timedelta(minutes=1)
    BATCH = 200

    def __init__(self, app: Services) -> None:
        self.app = app
        self._next: datetime | None = None

    async def __call__(self, now: datetime) -> int:
        if self._next is not None and now < self._next:
            return 0
        self._next = now + self.EVERY
        async with self.app.db.read() as connection:
            wanting = [
                endpoint.created_at
                for endpoint in await webhook_store.enabled(connection)
                if endpoint.wants(HookEvent.THREAD_CLOSED)
            ]
            if not wanting:
                return 0
            closed = await thread_store.closed_by_themselves(
                connection, now, min(wanting), self.BATCH
            )
        if not closed:
            return 0
        async with self.app.db.write() as connection:
            for thread in closed:
                await queue_thread_closed(
                    connection, self.app, thread, now, closed_at=thread.closed_at
                )
        if len(closed) == self.BATCH:
            self._next = now  # more waiting: the next round goes on
        return len(closed)


def signature(endpoint: Endpoint, message_id: str, at: datetime, body: str) -> str:
    """One signature per live secret, space-separated: both while a secret is rotated."""
    keys = [endpoint.secret] + ([endpoint.previous_secret] if endpoint.previous_secret else [])
    return " ".join(Webhook(key).sign(message_id, at, body) for key in keys)


class WebhookSender(Sender):
    """Sends one webhook delivery; counts an endpoint's messages that failed for good in a
    row, and switches it off at ``webhook_disable_after``.

    aiohttp rather than httpx (which the rest of the project uses as a client): measured on
    loopback, a delivery cost 1.6-1.9 ms of CPU with httpx and 0.08-0.1 ms with aiohttp, and
    with two endpoints httpx's share alone took posting to 0.6x its rate without webhooks.
    """

    def __init__(self, app: Services) -> None:
        self.app = app
        self.db: Database = app.db
        self._session: aiohttp.ClientSession | None = None
        # Endpoints as read in this round of the outbox: a busy outbox reads each once a
        # round, not once a message.
        self._endpoints: dict[int, Endpoint | None] = {}

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.app.settings.outbox_timeout),
                headers={"User-Agent": "Rejoinder-Webhooks/1"},
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def begin_round(self) -> None:
        """A new round of the outbox: endpoints are read afresh (a secret rotated, one
        switched off)."""
        self._endpoints.clear()

    async def _endpoint(self, endpoint_id: int) -> Endpoint | None:
        if endpoint_id not in self._endpoints:
            async with self.db.read() as connection:
                self._endpoints[endpoint_id] = await webhook_store.get(connection, endpoint_id)
        return self._endpoints[endpoint_id]

    async def __call__(self, message: OutboxMessage) -> None:
        endpoint = None
        if message.endpoint_id is not None:
            endpoint = await self._endpoint(message.endpoint_id)
        if endpoint is None:
            raise DeliveryFailed("the endpoint was removed", final=True)
        if not endpoint.enabled:
            raise DeliveryFailed(
                f"the endpoint is switched off ({endpoint.disabled_reason or 'by hand'})",
                final=True,
            )
        try:
            await resolve_public(endpoint.url, self.app.settings.webhook_allow_private)
        except RejoinderError as refused:
            raise DeliveryFailed(str(refused.message)) from None
        now = self.app.clock()
        headers = {
            "Content-Type": "application/json",
            "webhook-id": message.message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature(endpoint, message.message_id, now, message.payload),
        }
        try:
            async with self._client().post(
                endpoint.url,
                data=message.payload.encode(),
                headers=headers,
                allow_redirects=False,
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            raise DeliveryFailed(reason) from None
        if not 200 <= status < 300:
            raise DeliveryFailed(f"HTTP {status}")
        if endpoint.failures_in_row:
            async with self.db.write() as connection:
                await webhook_store.delivered(connection, endpoint.id)
            self._endpoints.pop(endpoint.id, None)

    async def gave_up(self, connection: Connection, message: OutboxMessage, reason: str) -> None:
        """A message failed its last attempt: one more in a row for its endpoint, which is
        switched off at ``webhook_disable_after``. Counting messages rather than attempts
        means a receiver away for a minute during a burst is not switched off for it."""
        if message.endpoint_id is None:
            return
        limit = self.app.settings.webhook_disable_after
        await webhook_store.failed(
            connection,
            message.endpoint_id,
            limit,
            f"{limit} messages in a row could not be delivered; the last: {reason}",
        )


def check_callback(
    app: Services, comment_id: int, endpoint_id: int, expires: int, signature_: str
) -> None:
    """A callback address is the service's whole credential: signed, and for a week."""
    value = f"{comment_id}.{endpoint_id}.{expires}"
    if not app.signer.verify(CALLBACK_PURPOSE, value, signature_):
        raise RejoinderError(
            Problem.FORBIDDEN, "bad_signature", phrase("This callback address is not valid.")
        )
    if app.clock().timestamp() > expires:
        raise RejoinderError(
            Problem.FORBIDDEN, "expired", phrase("This callback address has expired.")
        )


class EndpointView(msgspec.Struct, kw_only=True):
    endpoint: Endpoint
    deliveries: list[OutboxMessage]


async def overview(db: Database) -> list[EndpointView]:
    """Every endpoint with its last deliveries, for /admin/webhooks."""
    async with db.read_aside() as connection:
        return [
            EndpointView(
                endpoint=endpoint,
                deliveries=await outbox_store.latest(connection, endpoint_id=endpoint.id, limit=5),
            )
            for endpoint in await webhook_store.all_endpoints(connection)
        ]
