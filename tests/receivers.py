"""A real HTTP receiver for webhooks, on a port of its own: it checks every request with the
Standard Webhooks library's own verifier, the way a newsroom's receiver would."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


class Delivery:
    def __init__(self, headers: dict[str, str], body: bytes, verified: bool) -> None:
        self.headers = headers
        self.body = body
        self.verified = verified
        self.payload: dict[str, Any] = json.loads(body)

    @property
    def event(self) -> str:
        return self.payload["type"]


class WebhookReceiver:
    """Answers 204 to each request, or what ``answers`` says first (``[500, 500]``: fail
    twice, then accept). ``secrets`` are what it verifies signatures with (any one)."""

    def __init__(self, port: int = 0) -> None:
        self.deliveries: list[Delivery] = []
        self.answers: list[int] = []
        self.secrets: list[str] = []
        self.requests = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    receiver.requests += 1
                    status = receiver.answers.pop(0) if receiver.answers else 204
                    if status < 300:
                        receiver.deliveries.append(
                            Delivery(headers, body, receiver._verified(body, headers))
                        )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _verified(self, body: bytes, headers: dict[str, str]) -> bool:
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
                return True
            except Exception:  # the library's WebhookVerificationError, or a bad secret
                continue
        return False

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(
        self, condition: Callable[[list[Delivery]], bool], timeout: float = 20
    ) -> list[Delivery]:
        """Wait until the deliveries so far meet ``condition``; them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                got = list(self.deliveries)
            if condition(got):
                return got
            time.sleep(0.05)
        raise AssertionError(f"timed out; received {[d.event for d in got]}")

    def events(self) -> list[str]:
        with self._lock:
            return [d.event for d in self.deliveries]
