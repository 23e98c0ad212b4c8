"""One log line per request, and the request id that ties it to the server's other lines.

``RequestLog`` is the app's outermost ASGI layer: it gives each request an id, sends it back
as ``X-Request-Id``, keeps it in ``REQUEST_ID`` while the request runs (so a traceback or a
fault's warning logged on its behalf carries it, through ``RequestIdFilter``) and, when the
response is complete, logs the method, the route's template (the same for every comment,
unlike the path), the status and the time taken. An event stream is one line, when it ends.

An incoming ``X-Request-Id`` is kept only from a trusted proxy (``trusted_proxies``), so a
proxy's own id can be followed into these lines; from anyone else it could be chosen to
imitate another request, and a new id is made instead.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from rejoinder.web.security import is_trusted

REQUEST_ID: ContextVar[str | None] = ContextVar("rejoinder_request_id", default=None)
HEADER = b"x-request-id"
# What an id from a proxy may look like: a UUID, nginx's $request_id, a trace id. Anything
# else (spaces, quotes, control characters, a kilobyte of it) is replaced, not logged.
_WELL_FORMED = re.compile(rb"[A-Za-z0-9._:-]{1,128}")

log = logging.getLogger("rejoinder.requests")


def new_request_id() -> str:
    """32 hex digits, as nginx's ``$request_id``: unique enough to grep for."""
    return secrets.token_hex(16)


class RequestLog:
    """ASGI: the request id, its response header, and the one line logged per request."""

    def __init__(
        self,
        app: Any,
        trusted_proxies: tuple[str, ...],
        routes: Callable[[], Iterable[Any]] = tuple,
    ) -> None:
        self.app = app
        self.trusted_proxies = trusted_proxies
        self._routes = routes
        self._declared: dict[str, str] | None = None

    def route(self, scope: Any) -> str | None:
        """The route's path as declared (``/api/comments/{comment_id:int}``), from the
        template routing found (``/api/comments/{comment_id}``); None when no route took the
        request (a 404, a 405, a refusal before routing)."""
        found: str | None = scope.get("path_template")
        if not found:
            return None
        if self._declared is None:  # the routes are all added once the app is serving
            self._declared = {route.path_format: route.path for route in self._routes()}
        return self._declared.get(found, found)

    def request_id(self, scope: Any) -> str:
        client = scope.get("client")
        if client and is_trusted(client[0], self.trusted_proxies):
            for name, value in scope["headers"]:
                if name == HEADER and _WELL_FORMED.fullmatch(value):
                    return str(value.decode("ascii"))
        return new_request_id()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self.request_id(scope)
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status: int | None = None
        ended: float | None = None

        async def send_with_id(message: Any) -> None:
            nonlocal status, ended
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), (HEADER, request_id.encode("ascii"))]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                ended = time.perf_counter()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # The server answers 500 for an app that raised before it answered.
            status = 500 if status is None else status
            raise
        finally:
            # A request cut off by the shutdown (cancelled) keeps status None: nothing was
            # answered from here, and the shutdown logs its own line.
            duration = ((ended or time.perf_counter()) - started) * 1000
            _log_request(scope, self.route(scope), status, duration)
            REQUEST_ID.reset(token)


def _log_request(scope: Any, route: str | None, status: int | None, duration_ms: float) -> None:
    fields = {
        "method": scope["method"],
        "route": route,
        "path": scope["path"],
        "status": status,
        "duration_ms": round(duration_ms, 1),
    }
    log.info(
        "%s %s %s %.1f ms",
        scope["method"],
        route or scope["path"],
        status if status is not None else "-",
        duration_ms,
        extra={"http": fields},
    )


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (or None) on every record a handler writes out."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class TextFormatter(logging.Formatter):
    """A line for a person at a terminal: time, level, request id, logger, message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(rid)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.rid = f"[{request_id}]" if request_id else "[-]"
        return super().formatMessage(record)


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for a log collector: every record, with the request's fields
    (``http``) at the top level and a traceback as one string."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "pid": os.getpid(),
        }
        line.update(getattr(record, "http", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(log_format: str, *, requests: bool) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of a server process: every logger (uvicorn's, ours)
    through one handler on stderr, as ``text`` or ``json`` lines; the request lines only
    when ``requests`` (``serve --no-access-log`` turns them off)."""
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"line": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "line",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "uvicorn": {"level": "INFO", "handlers": [], "propagate": True},
            "uvicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            "rejoinder": {"level": "INFO"},
            log.name: {"level": "INFO" if requests else "WARNING"},
        },
    }
