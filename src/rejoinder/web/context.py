"""How a handler reaches the ``Services`` (opened once at startup) and the read cache, both
kept in the app's state."""

from __future__ import annotations

from litestar.connection import ASGIConnection

from rejoinder.service.services import Services
from rejoinder.web.read_cache import ReadCache


def services(connection: ASGIConnection) -> Services:
    found: Services = connection.app.state.services
    return found


def read_cache(connection: ASGIConnection) -> ReadCache:
    found: ReadCache = connection.app.state.reads
    return found
