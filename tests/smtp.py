"""A real SMTP server for tests (aiosmtpd on a free port), keeping what it is sent, and told
how to answer the next messages: "451 …" or "550 …" refuse one, "drop" hangs up mid-send."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.sink.lock:
            self.sink.attempts += 1
            answer = self.sink.answers.pop(0) if self.sink.answers else "250 OK"
        if answer == "drop":
            server.transport.close()
            return "421 gone"
        if answer.startswith("250"):
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            with self.sink.lock:
                self.sink.messages.append(parsed)  # type: ignore[arg-type]
        return answer


class SmtpSink:
    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.answers: list[str] = []
        self.attempts = 0
        self.lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    def wait_for(
        self, done: Callable[[list[EmailMessage]], bool], timeout: float = 20
    ) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if done(self.messages):
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            assert done(self.messages), [m["Subject"] for m in self.messages]
            return list(self.messages)
