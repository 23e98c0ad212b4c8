"""``/admin/me``: a staff user's own e-mail: their address if they had none, whether they
get a digest of the queue every hour or day, and the comments on their stories
(service/staff_mail.py)."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.response import Redirect
from litestar.status_codes import HTTP_200_OK, HTTP_303_SEE_OTHER

from rejoinder.domain.errors import RejoinderError
from rejoinder.service import mail, staff_mail
from rejoinder.web.admin_session import SIGNED_IN, SignedIn, checked_form
from rejoinder.web.context import services
from rejoinder.web.errors import STATUS_FOR
from rejoinder.web.pages.admin import admin_page, error_page
from rejoinder.web.pages.render import admin_language
from rejoinder.web.security import public_origin

FIELDS = ("email", "queue_every")


async def _page(
    request: Request, session: SignedIn, *, refused: RejoinderError | None = None
) -> Response:
    app = services(request)
    return admin_page(
        request,
        "admin/me.html",
        {
            "session": session,
            "mine": await staff_mail.choices(app, session.user.id),
            "mail_on": mail.enabled(app.settings),
            "saved": request.query_params.get("saved") == "1",
            "error": refused,
        },
        status_code=STATUS_FOR[refused.problem] if refused else HTTP_200_OK,
    )


@get("/admin/me", include_in_schema=False, dependencies=SIGNED_IN)
async def me_page(request: Request, session: SignedIn) -> Response:
    return await _page(request, session)


@post("/admin/me", include_in_schema=False, dependencies=SIGNED_IN)
async def save_me(request: Request, session: SignedIn) -> Response:
    """The language stored is the one these pages are shown in now, so the digest reads
    like the queue does."""
    try:
        form = await checked_form(request, session)
    except RejoinderError as error:
        return error_page(request, session, error)
    every, email = form.get("queue_every"), form.get("email")
    try:
        await staff_mail.choose(
            services(request),
            session.user.id,
            session.user.roles,
            every=every if isinstance(every, str) and every else None,
            email=email if isinstance(email, str) else None,
            language=admin_language(request),
            link_base=public_origin(request),
            stories=form.get("stories") == "1",
        )
    except RejoinderError as error:
        if error.field not in FIELDS:
            return error_page(request, session, error)
        return await _page(request, session, refused=error)
    return Redirect("/admin/me?saved=1", status_code=HTTP_303_SEE_OTHER)
