"""A server killed with SIGKILL after acknowledging comments, before their webhooks and
e-mails got out, sends every one of them once it is back: the messages were stored with the
comments. A message may arrive twice (the receiver tells by its webhook-id, a mail reader by
its Message-ID), never not at all. On both databases, with two worker processes sharing the
outbox; the receiver and the SMTP server only start listening after the kill."""

from __future__ import annotations

import os
import signal
from collections import Counter

import httpx

from tests.cli.conftest import free_port, launch
from tests.cli.load import payload
from tests.cli.test_importing import rejoinder
from tests.receivers import WebhookReceiver
from tests.smtp import SmtpSink

POSTS = 30


def test_sigkill_before_delivery_loses_no_webhook_and_no_mail(env):
    smtp = SmtpSink()  # its port is chosen; it listens only after the kill
    env.update(
        REJOINDER_SMTP_URL=smtp.url,
        REJOINDER_MAIL_FROM="comments@news.example",
        REJOINDER_PUBLIC_URL="https://comments.news.example",
        REJOINDER_RATE_POSTS_PER_ADDRESS="100000/1m",
        REJOINDER_WEBHOOK_ALLOW_PRIVATE="true",
        REJOINDER_OUTBOX_RETRY="1s",
        REJOINDER_OUTBOX_TIMEOUT="1s",
    )
    port = free_port()  # nothing listens there yet: every delivery fails until the restart
    assert rejoinder("migrate", env=env).returncode == 0
    added = rejoinder(
        "webhook", "add", f"http://127.0.0.1:{port}/hooks", "--events", "comment.created", env=env
    )
    assert added.returncode == 0, added.stderr
    server = launch(["serve", "--workers", "2"], env)
    acknowledged = []
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for number in range(POSTS):
                asks = {"author_email": f"reader{number}@example.org", "notify_replies": True}
                response = client.post("/api/comments", json={**payload(0, number), **asks})
                assert response.status_code == 201, response.text
                acknowledged.append(response.json()["comment"]["id"])
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
    finally:
        server.stop()

    with WebhookReceiver(port) as receiver, smtp:
        restarted = launch(["serve", "--workers", "2"], env)
        try:
            got = receiver.wait_for(
                lambda got: {d.payload["data"]["comment"]["id"] for d in got} >= set(acknowledged),
                timeout=60,
            )
            mails = smtp.wait_for(lambda mails: len({m["To"] for m in mails}) == POSTS, 60)
        finally:
            restarted.stop()
    assert {m["To"] for m in mails} == {f"reader{n}@example.org" for n in range(POSTS)}
    assert max(Counter(m["Message-ID"] for m in mails).values()) <= 2
    delivered = [d.payload["data"]["comment"]["id"] for d in got]
    assert sorted(set(delivered)) == sorted(acknowledged)
    by_message: dict[str, int] = {}
    for delivery in got:
        message = delivery.headers["webhook-id"]
        by_message[message] = by_message.get(message, 0) + 1
    assert len(by_message) == POSTS and max(by_message.values()) <= 2
