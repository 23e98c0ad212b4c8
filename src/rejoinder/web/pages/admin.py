"""``/admin``: the moderation queues, one comment in full, search, and the live queue stream.

Server-rendered and complete without JavaScript: every action is a plain form post. With
JavaScript (``static/admin.js``) the same forms are sent in the background and the queue is
driven from the keyboard and kept current by the moderation event stream.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, ServerSentEvent, ServerSentEventMessage
from litestar.status_codes import HTTP_303_SEE_OTHER

from rejoinder.domain.errors import RejoinderError, invalid
from rejoinder.domain.events import MODERATION_CHANNEL
from rejoinder.domain.phrases import phrase
from rejoinder.service import queue as queues
from rejoinder.service.accounts import AdminSession
from rejoinder.service.moderating import Action, BanRequest, apply, ban_request
from rejoinder.service.queue import Queue
from rejoinder.web.admin_session import (
    ANSWERS_JSON,
    SIGNED_IN,
    SignedIn,
    SignedOut,
    checked_form,
)
from rejoinder.web.context import services
from rejoinder.web.errors import STATUS_FOR, error_response
from rejoinder.web.live import channel_stream
from rejoinder.web.pages.render import admin_language, page, render_fragment

MAX_SEARCH = 200


def to_login(request: Request) -> Redirect:
    return Redirect(f"/admin/login?next={request.url.path}", status_code=HTTP_303_SEE_OTHER)


def on_signed_out(request: Request, _: SignedOut) -> Response:
    if request.route_handler.opt.get("signed_out") == "json":
        return error_response(401, "signed_out", "Your moderator session has ended: sign in again.")
    return to_login(request)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def admin_page(
    request: Request, template: str, context: dict[str, object], *, status_code: int = 200
) -> Response[str]:
    """A moderation page, in the moderator's language."""
    return page(
        template,
        context,
        language=admin_language(request),
        negotiated=True,
        status_code=status_code,
    )


def error_page(request: Request, session: AdminSession | None, error: RejoinderError) -> Response:
    status = STATUS_FOR[error.problem]
    if wants_json(request):
        return error_response(status, error.code, error.message, error.field)
    return admin_page(
        request,
        "admin/error.html",
        {"session": session, "error": error, "status": status},
        status_code=status,
    )


def _queue(value: str | None) -> Queue:
    try:
        return Queue(value or "pending")
    except ValueError:
        return Queue.PENDING


def parse_action(value: str | None) -> Action:
    try:
        return Action(value or "")
    except ValueError:
        raise invalid(
            "unknown_action", phrase("There is no action “{value}”.", value=value), "action"
        ) from None


def parse_ban(form: Any) -> BanRequest:
    try:
        days = int(form.get("days") or 0)
    except ValueError:
        raise invalid("invalid_days", phrase("Days must be a whole number."), "days") from None
    return ban_request(form.get("ban_by") or "author", days, form.get("reason"))


@get("/admin", include_in_schema=False, dependencies=SIGNED_IN)
async def queue_page(
    request: Request,
    session: SignedIn,
    queue: Annotated[str | None, QueryParameter(required=False)] = None,
    page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
) -> Response:
    chosen = _queue(queue)
    found = await queues.queue_page(services(request), chosen, page_number)
    return admin_page(
        request,
        "admin/queue.html",
        {
            "session": session,
            "queue": chosen,
            "queues": list(Queue),
            "counts": found.counts,
            "items": found.items,
            "details": found.details,
            "page": page_number,
            "more": found.more,
            "now": found.now,
        },
    )


@get("/admin/counts", include_in_schema=False, dependencies=SIGNED_IN, opt=ANSWERS_JSON)
async def queue_counts(request: Request, session: SignedIn) -> Response:
    counts = await queues.queue_counts(services(request))
    return Response({queue.value: n for queue, n in counts.items()})


@get(
    "/admin/items/{comment_id:int}",
    include_in_schema=False,
    dependencies=SIGNED_IN,
    opt=ANSWERS_JSON,
)
async def item_fragment(
    request: Request,
    session: SignedIn,
    comment_id: FromPath[int],
    queue: Annotated[str | None, QueryParameter(required=False)] = None,
) -> Response:
    """One queue item's HTML, for the live queue to insert; 204 if it is not in that queue."""
    chosen = _queue(queue)
    entry = await queues.entry_in_queue(services(request), comment_id, chosen)
    if entry is None:
        return Response(b"", status_code=204)
    html = render_fragment(
        "admin/_item.html",
        {"session": session, "item": entry.item, "details": entry.details, "queue": chosen},
        language=admin_language(request),
    )
    return Response(html, media_type="text/html", headers={"Vary": "Accept-Language"})


@get("/admin/comments/{comment_id:int}", include_in_schema=False, dependencies=SIGNED_IN)
async def comment_page(request: Request, session: SignedIn, comment_id: FromPath[int]) -> Response:
    found = await queues.comment_in_full(services(request), comment_id)
    if found is None:
        return admin_page(
            request,
            "admin/error.html",
            {"session": session, "status": 404, "error": None},
            status_code=404,
        )
    return admin_page(
        request,
        "admin/comment.html",
        {
            "session": session,
            "item": found.item,
            "details": found.details,
            "history": found.history,
            "by_status": found.by_status,
            "campaign": found.campaign,
            "queue": Queue.RECENT,
        },
    )


def admin_path(target: str | None, fallback: str = "/admin") -> str:
    """Where to send a moderator back to: only this app's admin pages, never another site."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return fallback


def _back(form: Any, fallback: str = "/admin") -> str:
    """Return to the page the form was on."""
    return admin_path(form.get("next"), fallback)


@post("/admin/comments/{comment_id:int}", include_in_schema=False, dependencies=SIGNED_IN)
async def act_on_comment(
    request: Request, session: SignedIn, comment_id: FromPath[int]
) -> Response:
    try:
        form = await checked_form(request, session)
        action = parse_action(form.get("action"))
        ban = parse_ban(form) if action in (Action.BAN, Action.SHADOWBAN) else None
        app = services(request)
        done = await apply(
            app, session.user.label, comment_id, action, body=form.get("body"), ban=ban
        )
        app.publish(done.events)
        changed = done.result
    except RejoinderError as error:
        return error_page(request, session, error)
    if wants_json(request):
        queue = _queue(form.get("queue"))
        return Response(
            {
                "id": changed.id,
                "status": changed.status.value,
                "spoiler": changed.spoiler,
                "featured": changed.featured,
                "leaves_queue": queues.leaves(queue, changed.status),
            }
        )
    return Redirect(_back(form), status_code=HTTP_303_SEE_OTHER)


@post("/admin/bulk", include_in_schema=False, dependencies=SIGNED_IN)
async def bulk_action(request: Request, session: SignedIn) -> Response:
    """The same action on every ticked comment; each is applied and audited on its own."""
    try:
        form = await checked_form(request, session)
        action = parse_action(form.get("action"))
        if action not in (Action.APPROVE, Action.REJECT, Action.SPOILER, Action.UNSPOILER):
            raise invalid(
                "bulk_not_allowed",
                phrase("Bulk actions are approve, reject, spoiler and unspoiler."),
            )
        ids = [int(value) for value in form.getall("ids", []) if str(value).isdigit()]
        app = services(request)
        for comment_id in ids:
            app.publish((await apply(app, session.user.label, comment_id, action)).events)
    except RejoinderError as error:
        return error_page(request, session, error)
    if wants_json(request):
        return Response({"done": ids})
    return Redirect(_back(form), status_code=HTTP_303_SEE_OTHER)


@get("/admin/search", include_in_schema=False, dependencies=SIGNED_IN)
async def search_page(
    request: Request,
    session: SignedIn,
    q: Annotated[str | None, QueryParameter(required=False)] = None,
    author: Annotated[str | None, QueryParameter(required=False)] = None,
    address: Annotated[str | None, QueryParameter(required=False)] = None,
) -> Response:
    text, name, hashed = ((v or "").strip()[:MAX_SEARCH] or None for v in (q, author, address))
    found = await queues.search(services(request), text=text, author=name, address=hashed)
    return admin_page(
        request,
        "admin/search.html",
        {
            "session": session,
            "items": found.items,
            "details": found.details,
            "counts": found.counts,
            "queues": list(Queue),
            "queue": Queue.RECENT,
            "q": text or "",
            "author": name or "",
            "address": hashed or "",
            "searched": any((text, name, hashed)),
        },
    )


@get("/admin/events", include_in_schema=False, dependencies=SIGNED_IN, opt=ANSWERS_JSON)
async def moderation_events(request: Request, session: SignedIn) -> Response:
    """The moderation channel as server-sent events, for signed-in moderators only."""

    async def stream() -> AsyncGenerator[ServerSentEventMessage, None]:
        async for message in channel_stream(request, MODERATION_CHANNEL):
            yield message

    return ServerSentEvent(stream(), headers={"Cache-Control": "no-store"})
