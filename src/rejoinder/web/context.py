"""How a handler reaches the ``Services``: opened once at startup, kept in the app's state."""

from __future__ import annotations

from litestar.connection import ASGIConnection

from rejoinder.service.services import Services


def services(connection: ASGIConnection) -> Services:
    return connection.app.state.services  # type: ignore[no-any-return]
