"""``/admin/webhooks``: an admin adds the newsroom's endpoints, sees how their deliveries
went, switches them on and off, rotates their secrets, and sends failed messages again."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.status_codes import HTTP_200_OK, HTTP_303_SEE_OTHER

from rejoinder.domain.errors import RejoinderError, invalid
from rejoinder.domain.outgoing import ALL_EVENTS
from rejoinder.domain.phrases import phrase
from rejoinder.service import outbox, webhooks
from rejoinder.web.admin_session import SIGNED_IN, SignedIn, checked_form, require_admin
from rejoinder.web.context import services
from rejoinder.web.errors import STATUS_FOR
from rejoinder.web.pages.admin import admin_page, error_page

FIELDS = ("url", "events", "description")
CHANGES = ("enable", "disable", "rotate", "end-rotation", "remove")


async def _page(
    request: Request,
    session: SignedIn,
    *,
    refused: RejoinderError | None = None,
    typed: dict[str, Any] | None = None,
    secret: tuple[int, str] | None = None,
) -> Response:
    """The endpoints and the outbox; after an add or a rotation, the secret, shown once."""
    app = services(request)
    return admin_page(
        request,
        "admin/webhooks.html",
        {
            "session": session,
            "endpoints": await webhooks.overview(app.db),
            "outbox": await outbox.view(app.db),
            "events": [event.value for event in ALL_EVENTS],
            "error": refused,
            "typed": typed or {"url": "", "events": [], "description": ""},
            "secret": secret,
        },
        status_code=STATUS_FOR[refused.problem] if refused else HTTP_200_OK,
    )


@get("/admin/webhooks", include_in_schema=False, dependencies=SIGNED_IN)
async def webhooks_page(request: Request, session: SignedIn) -> Response:
    try:
        require_admin(session)
    except RejoinderError as error:
        return error_page(request, session, error)
    return await _page(request, session)


@post("/admin/webhooks", include_in_schema=False, dependencies=SIGNED_IN)
async def add_webhook(request: Request, session: SignedIn) -> Response:
    try:
        require_admin(session)
        form = await checked_form(request, session)
    except RejoinderError as error:
        return error_page(request, session, error)
    url, description = _text(form, "url"), _text(form, "description")
    chosen = [e for e in form.getall("events", []) if isinstance(e, str)]
    typed = {"url": url, "events": chosen, "description": description}
    app = services(request)
    try:
        if not chosen:
            raise invalid("no_events", phrase("Choose at least one event."), "events")
        added = await webhooks.register(
            app.db, app.settings, url, " ".join(chosen), description, app.clock()
        )
    except RejoinderError as error:
        if error.field not in FIELDS:
            return error_page(request, session, error)
        return await _page(request, session, refused=error, typed=typed)
    return await _page(request, session, secret=(added.id, added.secret))


@post("/admin/webhooks/{endpoint_id:int}", include_in_schema=False, dependencies=SIGNED_IN)
async def change_webhook(
    request: Request, session: SignedIn, endpoint_id: FromPath[int]
) -> Response:
    try:
        require_admin(session)
        form = await checked_form(request, session)
        what = _text(form, "action")
        if what not in CHANGES:
            raise invalid("invalid_action", phrase("Unknown action."), "action")
        changed = await webhooks.change(services(request).db, endpoint_id, what)
    except RejoinderError as error:
        return error_page(request, session, error)
    if what == "rotate" and changed is not None:
        return await _page(request, session, secret=(changed.id, changed.secret))
    return Redirect("/admin/webhooks", status_code=HTTP_303_SEE_OTHER)


@post("/admin/outbox/{message_id:int}/retry", include_in_schema=False, dependencies=SIGNED_IN)
async def send_again(request: Request, session: SignedIn, message_id: FromPath[int]) -> Response:
    try:
        require_admin(session)
        await checked_form(request, session)
        app = services(request)
        await outbox.send_again(app.db, message_id, app.clock())
    except RejoinderError as error:
        return error_page(request, session, error)
    if app.outbox is not None:
        app.outbox.wake()
    return Redirect("/admin/webhooks#outbox", status_code=HTTP_303_SEE_OTHER)


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""
