"""The server's Prometheus metrics: what each process counts, and the text ``/metrics`` sends.

``rejoinder serve`` runs prometheus-client in its multiprocess mode whatever the number of
workers: the command makes a fresh directory for the run and names it in
``PROMETHEUS_MULTIPROC_DIR`` before any worker imports this module, each process writes its
values to its own files there, and a scrape, answered by whichever worker the kernel picks,
adds up every process's files (``exposition``). So a counter is the total of all workers,
including those that have exited (counter increments reach the files up to a second late:
``Batched``); a live gauge (``multiprocess_mode="livesum"``) is the sum
over the workers still running, once the supervisor has forgotten a dead one
(``forget_process``). Without that variable (the app built in a test's own process) the
values live in this process's memory.

What the database knows is not counted here: it is read at scrape time, once, by the worker
that answers (``service/scrape.py``), and handed to ``exposition`` as ready metric families.
docs/operations.md, "Metrics", lists every metric and its labels.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

CONTENT_TYPE = CONTENT_TYPE_LATEST
# The variable prometheus-client reads, once, when it is first imported in a process.
MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The route of a request that matched none: unknown paths are unbounded, so never a label.
UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# From a read answered in memory (about 0.1 ms) to a slow moderation search or import.
# How long a counter increment may wait in memory before it is written (``Batched``).
FLUSH_SECONDS = 1.0
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

REQUESTS = Counter(
    "rejoinder_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "rejoinder_http_request_duration_seconds",
    "Time from a request's arrival to its response's headers, by route template and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
POSTS = Counter(
    "rejoinder_posts",
    "New comments stored, by the moderation pipeline's outcome.",
    ["outcome"],
)
CACHE_HITS = Counter(
    "rejoinder_read_cache_hits",
    "Thread reads answered from the read cache, by tier (ready: the whole answer; page).",
    ["tier"],
)
CACHE_MISSES = Counter(
    "rejoinder_read_cache_misses",
    "Thread reads the read cache could not answer, by tier (ready: the whole answer; page).",
    ["tier"],
)
LIVE_STREAMS = Gauge(
    "rejoinder_live_streams",
    "Open live-event streams (readers' threads and moderators' queues).",
    multiprocess_mode="livesum",
)
POOL_CHECKED_OUT = Gauge(
    "rejoinder_database_connections_checked_out",
    "Database connections in use, by pool.",
    ["pool"],
    multiprocess_mode="livesum",
)

# Every outcome is shown from the start, at 0, so that a rate over it is never empty.
for _outcome in ("published", "pending", "rejected", "shadow"):
    POSTS.labels(_outcome)

# Children bound once: ``labels()`` takes a lock and builds a key on every call.
READY_HITS = CACHE_HITS.labels("ready")
READY_MISSES = CACHE_MISSES.labels("ready")
PAGE_HITS = CACHE_HITS.labels("page")
PAGE_MISSES = CACHE_MISSES.labels("page")


class Batched:
    """Counter increments kept in this process's memory and added to the shared files at
    most a second later, all at once.

    Writing a value to the multiprocess files takes about 1.2 µs (a lock and a write to the
    mapped file), a tenth of a thread page answered from memory; counting in a dictionary
    takes about 0.3 µs. The cost is that a worker killed with SIGKILL loses up to a
    second of counts, and that a scrape sees another worker's counts up to a second late;
    its own process's it sees at once (``flush`` first).
    """

    def __init__(self) -> None:
        self._pending: dict[Counter, int] = {}
        self._due: float | None = None  # when the armed flush should have run

    def inc(self, counter: Counter) -> None:
        pending = self._pending
        pending[counter] = pending.get(counter, 0) + 1
        if self._due is None:
            self._arm()
        elif time.monotonic() > self._due + FLUSH_SECONDS:  # its loop has gone: flush here
            self.flush()

    def _arm(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # counted outside any loop: nothing will call back
            self.flush()
            return
        loop.call_later(FLUSH_SECONDS, self.flush)
        self._due = time.monotonic() + FLUSH_SECONDS

    def flush(self) -> None:
        self._due = None
        pending, self._pending = self._pending, {}
        for counter, count in pending.items():
            counter.inc(count)


BATCHED = Batched()  # one per process, like the metrics files


class RequestMeter:
    """Counts one answered request (batched) and its latency; the metric children of each
    (route, method, status) are looked up once per process, as the hot read path pays for
    each call."""

    def __init__(self) -> None:
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def record(self, route: str, method: str, status: int, seconds: float) -> None:
        if method not in _METHODS:
            method = "other"
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = (
                REQUESTS.labels(route, method, str(status)),
                LATENCY.labels(route, method),
            )
            self._children[key] = children
        BATCHED.inc(children[0])
        children[1].observe(seconds)


def pool_changed(pool: str, change: int) -> None:
    """A connection of ``pool`` was checked out (+1) or returned (-1)."""
    POOL_CHECKED_OUT.labels(pool).inc(change)


def exposition(multiprocess_dir: str | None, scraped: Iterable[Metric] = ()) -> bytes:
    """Every process's metrics and the ``scraped`` families, in Prometheus' text format.

    Reads one small file per process and metric kind: call it off the event loop."""
    registry = CollectorRegistry()
    if multiprocess_dir:
        MultiProcessCollector(registry, path=multiprocess_dir)  # type: ignore[no-untyped-call]
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    families = list(scraped)
    if families:
        registry = CollectorRegistry()
        registry.register(_Ready(families))
        text += generate_latest(registry)
    return text


class _Ready:
    """A collector of metric families already read."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def forget_process(pid: int, multiprocess_dir: str) -> None:
    """Drop an exited worker's live gauges (its counters still count)."""
    mark_process_dead(pid, multiprocess_dir)  # type: ignore[no-untyped-call]
