"""A server killed with SIGKILL after acknowledging comments, before their webhooks got out,
sends every one of them once it is back: the messages were stored with the comments. A
message may arrive twice (the receiver tells by its webhook-id), never not at all. On both
databases, with two worker processes sharing the outbox."""

from __future__ import annotations

import os
import signal

import httpx

from tests.cli.conftest import free_port, launch
from tests.cli.load import payload
from tests.cli.test_importing import rejoinder
from tests.receivers import WebhookReceiver

POSTS = 30


def test_sigkill_before_delivery_loses_no_webhook(env):
    env.update(
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
                response = client.post("/api/comments", json=payload(0, number))
                assert response.status_code == 201, response.text
                acknowledged.append(response.json()["comment"]["id"])
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
    finally:
        server.stop()

    with WebhookReceiver(port) as receiver:
        restarted = launch(["serve", "--workers", "2"], env)
        try:
            got = receiver.wait_for(
                lambda got: {d.payload["data"]["comment"]["id"] for d in got} >= set(acknowledged),
                timeout=60,
            )
        finally:
            restarted.stop()
    delivered = [d.payload["data"]["comment"]["id"] for d in got]
    assert sorted(set(delivered)) == sorted(acknowledged)
    by_message: dict[str, int] = {}
    for delivery in got:
        message = delivery.headers["webhook-id"]
        by_message[message] = by_message.get(message, 0) + 1
    assert len(by_message) == POSTS and max(by_message.values()) <= 2
