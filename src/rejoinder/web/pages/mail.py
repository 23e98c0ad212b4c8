"""``/mail/confirm`` and ``/mail/unsubscribe``: the links in the mail the server sends
(``service/mail.py``).

Unsubscribing takes a POST: a mail client's one-click unsubscribe (RFC 8058) posts
``List-Unsubscribe=One-Click`` to the address itself, with no cookie and no page in between;
a reader who opens the link gets a page with a button, so the scanners that open every link
in a mail unsubscribe nobody.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get, post
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_403_FORBIDDEN

from rejoinder.domain.errors import RejoinderError
from rejoinder.service import mail, staff_mail
from rejoinder.web.context import services
from rejoinder.web.pages.render import page, site_language

Token = Annotated[str, QueryParameter(max_length=200)]


def _answer(request: Request, language: str, **context: object) -> Response[str]:
    app = services(request)
    return page(
        "mail.html", {"today": app.clock(), "feeds": (), "query": "", **context}, language=language
    )


def _refused(request: Request, error: RejoinderError) -> Response[str]:
    response = _answer(request, site_language(request), refused=error.message)
    response.status_code = HTTP_403_FORBIDDEN
    return response


@get(mail.CONFIRM_PATH, include_in_schema=False)
async def confirm_page(request: Request, token: Token) -> Response[str]:
    try:
        address = await mail.confirm(services(request), token)
    except RejoinderError as error:
        return _refused(request, error)
    return _answer(request, address.language, confirmed=address.receives)


@get(mail.UNSUBSCRIBE_PATH, include_in_schema=False)
async def unsubscribe_page(request: Request, token: Token) -> Response[str]:
    try:
        address = await mail.address_of(services(request), token)
    except RejoinderError as error:
        return _refused(request, error)
    return _answer(request, address.language, ask=True, token=token)


@post(mail.UNSUBSCRIBE_PATH, include_in_schema=False, status_code=HTTP_200_OK)
async def unsubscribe(request: Request, token: Token) -> Response[str]:
    try:
        address = await mail.unsubscribe(services(request), token)
    except RejoinderError as error:
        return _refused(request, error)
    return _answer(request, address.language, done=True)


@get(staff_mail.UNSUBSCRIBE_PATH, include_in_schema=False)
async def staff_unsubscribe_page(request: Request, token: Token) -> Response[str]:
    try:
        language = await staff_mail.language_of(services(request), token)
    except RejoinderError as error:
        return _refused(request, error)
    return _answer(request, language, ask=True, token=token)


@post(staff_mail.UNSUBSCRIBE_PATH, include_in_schema=False, status_code=HTTP_200_OK)
async def staff_unsubscribe(request: Request, token: Token) -> Response[str]:
    """A queue digest's one-click link: the digest is off."""
    try:
        language = await staff_mail.unsubscribe(services(request), token)
    except RejoinderError as error:
        return _refused(request, error)
    return _answer(request, language, done=True)
