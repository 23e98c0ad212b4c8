"""Who is asking, from where, and with what right: origins and client addresses.

Writes are accepted only as JSON and only from the server's own origin or an origin the
publisher listed, which together stop cross-site form posts. The tokens readers carry are
made and checked in ``service/signing.py``.
"""

from __future__ import annotations

from ipaddress import ip_address, ip_network

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.web.bodies import check_strict_body
from rejoinder.web.context import services

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_trusted(host: str | None, trusted: tuple[str, ...]) -> bool:
    """Whether ``host`` is one of the ``trusted_proxies`` (an address, a network or a name)."""
    if not host or not trusted:
        return False
    try:
        address = ip_address(host)
    except ValueError:
        return host in trusted
    for entry in trusted:
        try:
            if address in ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(connection: ASGIConnection) -> str:
    """The reader's address: X-Forwarded-For is believed only when a trusted proxy sent it.

    The chain is read from the right, skipping our own proxies, so a client cannot choose its
    address by sending the header itself.
    """
    trusted = services(connection).settings.trusted_proxies
    peer = connection.client.host if connection.client else "unknown"
    if not is_trusted(peer, trusted):
        return peer
    forwarded = [
        hop.strip()
        for value in connection.headers.getall("x-forwarded-for", [])
        for hop in value.split(",")
        if hop.strip()
    ]
    for hop in reversed(forwarded):
        if not is_trusted(hop, trusted):
            return hop
    return forwarded[0] if forwarded else peer


def own_origin(connection: ASGIConnection) -> str:
    scheme = connection.scope.get("scheme", "http")
    host = connection.headers.get("host", "")
    trusted = services(connection).settings.trusted_proxies
    if is_trusted(connection.client.host if connection.client else None, trusted):
        scheme = connection.headers.get("x-forwarded-proto", scheme).split(",")[0].strip()
        host = connection.headers.get("x-forwarded-host", host).split(",")[0].strip()
    return f"{scheme}://{host}".lower()


def public_origin(connection: ASGIConnection) -> str:
    """Where readers reach this server, for links the server writes out (canonical links,
    and later e-mails and feeds): the configured ``public_url``, so that a request's Host
    header never chooses them; this request's own origin only when none is configured."""
    return services(connection).settings.public_url or own_origin(connection)


def is_secure(connection: ASGIConnection) -> bool:
    return own_origin(connection).startswith("https://")


async def guard_write(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Refuse writes that are not JSON (415), come from a page we do not serve (403), or
    whose body does not match the handler's declared type exactly (400). A handler that
    takes no body (``POST /api/readers``) may be called with none.

    A request without an Origin header is not from a browser page (browsers always send it on
    these methods), so it cannot be a cross-site forgery.
    """
    _check_origin(connection)
    if connection.scope.get("method", "GET") not in _BODY_METHODS:
        return
    body_type = handler.opt.get("body")
    if body_type is None and _has_no_body(connection):
        return
    media_type = connection.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise RejoinderError(
            Problem.UNSUPPORTED_MEDIA,
            "unsupported_media_type",
            "Send the request body as JSON with Content-Type: application/json.",
            "Content-Type",
        )
    if body_type is not None and isinstance(connection, Request):
        await check_strict_body(connection, body_type)


def _has_no_body(connection: ASGIConnection) -> bool:
    headers = connection.headers
    return "transfer-encoding" not in headers and headers.get("content-length", "0") == "0"


def _check_origin(connection: ASGIConnection) -> None:
    origin = connection.headers.get("origin")
    if origin is None:
        return
    origin = origin.rstrip("/").lower()
    allowed = services(connection).settings.allowed_origins
    if origin != own_origin(connection) and origin not in allowed:
        raise RejoinderError(
            Problem.FORBIDDEN,
            "origin_not_allowed",
            f"Writes from {origin} are not allowed. The site's administrator can add it to "
            "REJOINDER_ALLOWED_ORIGINS.",
            "Origin",
        )
