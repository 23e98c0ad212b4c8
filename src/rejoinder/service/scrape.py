"""What ``/metrics`` reads when it is scraped, rather than counts as things happen.

A number the database holds (how many comments wait for a moderator) is the same whichever
worker is asked, and a count kept by each process would drift from it; so it is read once per
scrape, by the worker that answers. Each entry of ``SCRAPED`` is an async function of the
running services that returns metric families; another part of the server adds its own with
``scraped`` (the outbox's backlog and failures, say), and ``/metrics`` shows them all.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from rejoinder.service import moderation_reports, outbox
from rejoinder.service.queue import Queue, queue_counts
from rejoinder.service.services import Services

log = logging.getLogger(__name__)

Scraped = Callable[[Services], Awaitable[Iterable[Metric]]]

SCRAPED: list[Scraped] = []

# The queues that hold work still to do; the others are history.
WAITING = (Queue.PENDING, Queue.REPORTED)


def scraped(read: Scraped) -> Scraped:
    """Register ``read`` to run at every scrape (usable as a decorator)."""
    SCRAPED.append(read)
    return read


async def read_all(app: Services) -> list[Metric]:
    """The families of every registered read, in the order they were registered. A read
    that fails (the database away) is left out of this scrape, so the rest still arrives."""
    families: list[Metric] = []
    for read in SCRAPED:
        try:
            families.extend(await read(app))
        except Exception as exc:
            first_line = (str(exc) or type(exc).__name__).splitlines()[0]
            log.warning("metrics: %s left out of this scrape: %s", read.__name__, first_line)
    return families


@scraped
async def queue_sizes(app: Services) -> Iterable[Metric]:
    counts = await queue_counts(app, WAITING)
    family = GaugeMetricFamily(
        "rejoinder_moderation_queue_size",
        "Comments waiting in a moderation queue (pending: held for review; reported).",
        labels=["queue"],
    )
    for queue in WAITING:
        family.add_metric([queue.value], counts[queue])
    return [family]


@scraped
async def outbox_states(app: Services) -> Iterable[Metric]:
    """The outbox's backlog (waiting), what it sent in the last 30 days and what failed."""
    view = await outbox.view(app.db)
    family = GaugeMetricFamily(
        "rejoinder_outbox_messages",
        "Outgoing messages (webhook deliveries, e-mails) by state: pending is the backlog, "
        "failed the ones that gave up (sent again from /admin/webhooks).",
        labels=["state"],
    )
    for state, n in sorted(view.counts.items()):
        family.add_metric([state], n)
    return [family]


@scraped
async def moderation_actions(app: Services) -> Iterable[Metric]:
    """Every moderator's actions since the audit log began (moderation reports have them per
    period: /admin/reports)."""
    family = CounterMetricFamily(
        "rejoinder_moderation_actions",
        "Moderation actions recorded in the audit log, by moderator and action.",
        labels=["moderator", "action"],
    )
    for total in await moderation_reports.all_time_counts(app):
        family.add_metric([total.moderator, total.action], total.count)
    return [family]
