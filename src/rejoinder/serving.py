"""The HTTP server: uvicorn, with a bounded shutdown and no socket held for ever.

Left to its defaults, uvicorn waits without limit on SIGTERM for every open response (an event
stream never ends by itself), arms its idle timer only after a first response (so a socket that
never sends a request is held for ever), and with ``--workers`` its parent keeps the listening
socket open after the workers have closed theirs, so the kernel goes on accepting connections
that nobody answers. The classes here change exactly those three things, cap request heads
and connections, and answer a request the shutdown cuts off (``CutOffAtShutdown``) with a 503
instead of a logged traceback; see docs/operations.md, "Shutdown and connections".
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from types import FrameType
from typing import Any

import httptools
from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import Server
from uvicorn.supervisors.multiprocess import Multiprocess

from rejoinder.config import Settings
from rejoinder.metrics import forget_process
from rejoinder.web.request_log import logging_config

logger = logging.getLogger("uvicorn.error")

# After the graceful-shutdown timeout, how long the app's own shutdown (closing the database
# and broker) may take before the process is ended regardless.
EXIT_GRACE_SECONDS = 5.0
# How long a refused connection stays open so that its client can read the 503.
REFUSED_LINGER_SECONDS = 1.0
_BUSY_BODY = b"Too many connections; try again in a moment.\n"
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: " + str(len(_BUSY_BODY)).encode() + b"\r\n"
    b"retry-after: 1\r\n"
    b"connection: close\r\n\r\n" + _BUSY_BODY
)


class ServingConfig(Config):
    """uvicorn's Config plus the two connection settings, pickled to each worker with it."""

    def __init__(self, app: str, *, header_timeout: int, max_connections: int, **kwargs: Any):
        super().__init__(app, **kwargs)
        self.header_timeout = header_timeout
        self.max_connections = max_connections

    def load(self) -> None:
        super().load()
        self.loaded_app = CutOffAtShutdown(self.loaded_app)


_SHUTTING_DOWN_BODY = (
    b'{"error":{"code":"shutting_down","message":"The server is restarting. Please try again '
    b'in a moment.","field":null}}'
)


class CutOffAtShutdown:
    """Ends a request that the shutdown timeout cancels without a traceback in the log.

    When SIGTERM's grace period runs out, uvicorn cancels the requests still running (an
    upload that stalls, a slow client) and logs each cancellation as "Exception in ASGI
    application" with a traceback. A request cut off by a restart is not an error: its client
    gets a 503 if nothing was sent yet, and the cut is one line in the log.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_noting_start(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except asyncio.CancelledError:
            logger.info("%s %s cut off by the shutdown", scope.get("method"), scope.get("path"))
            if not started:
                await _answer_shutting_down(send)


async def _answer_shutting_down(send: Any) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_SHUTTING_DOWN_BODY)).encode()),
        (b"retry-after", b"5"),
        (b"connection", b"close"),
    ]
    try:
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": _SHUTTING_DOWN_BODY})
    except Exception:  # the connection is already gone: nobody is left to tell
        pass


class _CapLog:
    """One warning when a worker reaches the cap, one line when it is well below it again.

    Under a flood a line per refused connection would itself be the outage, so refusals
    are only counted, and the count is reported when the episode ends.
    """

    def __init__(self) -> None:
        self.refused = 0

    def refusing(self, cap: int) -> None:
        if not self.refused:
            logger.warning(
                "Connection cap reached: %d open connections in worker [%d]; "
                "refusing new ones with 503 until some close",
                cap,
                os.getpid(),
            )
        self.refused += 1

    def accepted(self, open_connections: int, cap: int) -> None:
        if open_connections < cap * 0.9:
            logger.info(
                "Below the connection cap again in worker [%d] after refusing %d connection(s)",
                os.getpid(),
                self.refused,
            )
            self.refused = 0


_cap_log = _CapLog()  # one per worker process, like uvicorn's own connection set


class _Refused(asyncio.Protocol):
    """A connection over the cap: told 503 at once, closed as soon as it has read that."""

    def connection_made(self, transport: Any) -> None:  # uvloop's is no asyncio.Transport
        transport.write(_BUSY)
        if transport.can_write_eof():
            transport.write_eof()
        # Closing with its request unread would reset the connection and lose the 503.
        self.timer = asyncio.get_running_loop().call_later(REFUSED_LINGER_SECONDS, transport.close)

    def data_received(self, data: bytes) -> None:
        """The request is read only so that closing does not reset the connection."""

    def eof_received(self) -> bool:
        return False  # the client has read the 503 and gone: close

    def connection_lost(self, exc: Exception | None) -> None:
        self.timer.cancel()


# A request head larger, or with more header lines, is answered 431 and the connection
# closed: uvicorn's httptools protocol took 8 MB of headers. 32 KiB is what nginx accepts by
# default (four 8 KiB buffers); the widget's largest head, with a sign-on token, is under 4.
MAX_HEAD_BYTES = 32 * 1024
MAX_HEADER_LINES = 100
_TOO_LARGE_BODY = (
    b'{"error":{"code":"headers_too_large","message":"The request headers are too large '
    b'(at most 32 KiB and 100 lines).","field":null}}'
)
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
    b"content-length: "
    + str(len(_TOO_LARGE_BODY)).encode()
    + b"\r\nconnection: close\r\n\r\n"
    + _TOO_LARGE_BODY
)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for the request head, caps on its size,
    and a connection cap.

    uvicorn's idle timer is armed only after a response and cancelled by any byte, so a
    socket that sends nothing, or a head one byte at a time, is held for ever. Here the same
    timer is also armed when the connection is made, and is cancelled only when a request
    head is complete: still one timer per connection (and per kept-alive request, as before).
    """

    config: ServingConfig
    _head_bytes = 0  # of the request head being read
    _reading_head = True
    _head_too_large = False

    # A stream server's protocol is only ever handed an ``asyncio.Transport``; uvicorn's own
    # method narrows ``BaseProtocol``'s ``BaseTransport`` the same way, with the same ignore.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        cap = self.config.max_connections
        if len(self.connections) >= cap:
            _cap_log.refusing(cap)
            refused = _Refused()
            transport.set_protocol(refused)
            refused.connection_made(transport)
            return
        super().connection_made(transport)
        if _cap_log.refused:
            _cap_log.accepted(len(self.connections), cap)
        self.timeout_keep_alive_task = self.loop.call_later(
            self.config.header_timeout, self.timeout_keep_alive_handler
        )

    def data_received(self, data: bytes) -> None:
        # uvicorn's, less its first line: a byte of a head no longer stops the idle timer.
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self._head_too_large:
                self._refuse_head()
                return
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._reading_head:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:  # and still no end of the head in sight
                self._refuse_head()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        self._reading_head = True
        self._head_too_large = False

    def on_headers_complete(self) -> None:
        self._reading_head = False
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > MAX_HEAD_BYTES or len(self.headers) > MAX_HEADER_LINES:
            self._head_too_large = True
            raise ValueError("request head too large")  # ends the parse: see data_received
        self._unset_keepalive_if_required()
        super().on_headers_complete()

    def _refuse_head(self) -> None:
        if not self.transport.is_closing():
            self.transport.write(_TOO_LARGE)
            self.transport.close()


def _exit_after(seconds: float) -> None:
    """End the process if its shutdown is still running after ``seconds``: the last resort."""

    def end() -> None:
        logger.error("Shutdown still running after %.0fs; exiting now", seconds)
        os._exit(1)

    timer = threading.Timer(seconds, end)
    timer.daemon = True
    timer.start()


class GracefulServer(Server):
    """uvicorn's single-process server, whose shutdown cannot outlast its bound."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self.should_exit:
            _exit_after((self.config.timeout_graceful_shutdown or 0) + EXIT_GRACE_SECONDS)
        super().handle_exit(sig, frame)


class Supervisor(Multiprocess):
    """uvicorn's worker supervisor, which lets go of the listening socket on SIGTERM, waits
    for its workers only as long as their shutdown may take, and drops the live gauges of a
    worker that has exited (``metrics_dir``) so that they stop counting."""

    metrics_dir: str | None = None

    def keep_subprocess_alive(self) -> None:
        before = {process.pid for process in self.processes}
        super().keep_subprocess_alive()
        self._forget_exited(before)

    def restart_all(self) -> None:
        before = {process.pid for process in self.processes}
        super().restart_all()
        self._forget_exited(before)

    def _forget_exited(self, before: set[int | None]) -> None:
        if self.metrics_dir is None:
            return
        for pid in before - {process.pid for process in self.processes}:
            if pid is not None:
                forget_process(pid, self.metrics_dir)

    def handle_term(self) -> None:
        self._stop_listening()
        super().handle_term()

    def handle_int(self) -> None:
        self._stop_listening()
        super().handle_int()

    def _stop_listening(self) -> None:
        # The workers close their copies as they shut down; once this last one is closed too,
        # the kernel refuses new connections instead of queueing them for nobody.
        for sock in self.sockets:
            sock.close()

    def join_all(self) -> None:
        bound = (self.config.timeout_graceful_shutdown or 0) + EXIT_GRACE_SECONDS
        deadline = time.monotonic() + bound
        for process in self.processes:
            process.process.join(max(0.0, deadline - time.monotonic()))
            if process.process.is_alive():
                logger.error(
                    "Child process [%s] still running after %.0fs; killing it", process.pid, bound
                )
                process.kill()
                process.process.join()


def log_format(setting: str) -> str:
    """``json`` or ``text``: the ``log_format`` setting, with ``auto`` decided by whether
    stderr is a terminal (the workers inherit the parent's stderr, so it decides once)."""
    if setting != "auto":
        return setting
    return "text" if sys.stderr.isatty() else "json"


def serve(
    settings: Settings,
    app: str,
    *,
    host: str,
    port: int,
    workers: int,
    access_log: bool,
    metrics_dir: str | None = None,
) -> int:
    """Serve the app factory ``app`` until SIGTERM or SIGINT; the exit status.

    ``access_log`` is the app's own request log (``web/request_log.py``), which replaces
    uvicorn's: its lines carry the route, the duration and the request id. With ``workers``
    > 1, ``metrics_dir`` is the workers' multiprocess metrics directory.
    """
    config = ServingConfig(
        app,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=logging_config(log_format(settings.log_format), requests=access_log),
        proxy_headers=False,
        server_header=False,
        log_level="info",
        http=GuardedHttpToolsProtocol,
        timeout_graceful_shutdown=settings.shutdown_timeout,
        header_timeout=settings.header_timeout,
        max_connections=settings.max_connections,
    )
    try:
        if workers > 1:
            supervisor = Supervisor(config, sockets=[config.bind_socket()])
            supervisor.metrics_dir = metrics_dir
            supervisor.run()
            return 0
        server = GracefulServer(config)
        server.run()
    except KeyboardInterrupt:
        return 0
    return 0 if server.started else STARTUP_FAILURE
