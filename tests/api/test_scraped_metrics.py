"""What `/metrics` reads from the database at each scrape: the outbox's messages by state,
and every moderator's actions, so a newsroom's monitoring sees a backlog of webhooks
building up and how its moderation is staffed. On SQLite and PostgreSQL."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.api.test_webhooks import FAST, add_webhook, wait_for_rows
from tests.receivers import WebhookReceiver
from tests.support import add_moderator, moderate, posted, sign_in

TOKEN = "a-long-random-metrics-token"


def scraped(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_the_outbox_backlog_and_failures_are_scraped(make_client, database_url, peek):
    client = make_client(**FAST, metrics_token=TOKEN, outbox_attempts=1)
    with WebhookReceiver() as receiver:
        add_webhook(database_url, receiver.url)
        posted(client, "Delivered.")
        wait_for_rows(peek, "SELECT state FROM outbox", [("sent",)])
        receiver.answers = [500]
        posted(client, "Refused.")
        wait_for_rows(peek, "SELECT state FROM outbox ORDER BY id", [("sent",), ("failed",)])
    samples = scraped(client)
    for state, n in (("pending", 0), ("sent", 1), ("failed", 1)):
        assert samples[("rejoinder_outbox_messages", frozenset({("state", state)}))] == n


def test_every_moderators_actions_are_scraped(make_client, database_url):
    client = make_client(metrics_token=TOKEN, suspect_words=("propaganda",))
    add_moderator(database_url, "ana")
    csrf = sign_in(client, "ana")
    for text in ("One propaganda.", "Two propaganda."):
        held = posted(client, text, nudge_acknowledged=True)["comment"]["id"]
        moderate(client, csrf, held, "approve")
    samples = scraped(client)
    labels = frozenset({("moderator", "ana"), ("action", "approve")})
    assert samples[("rejoinder_moderation_actions_total", labels)] == 2
