"""Delivering the outbox: a worker in every server process takes due messages, hands each to
the sender for its kind (webhooks, mail), and records what happened.

The messages were written in the transaction of the change that caused them
(store/outbox.py), so nothing is lost between a commit and a crash; a message is sent with
no transaction open, so a slow receiver holds no lock. A failed attempt is tried again
later (``domain/outgoing.next_attempt``) until ``outbox_attempts`` attempts have failed;
then the message is kept as failed, shown in /admin, and can be sent again from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta

import msgspec

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.outgoing import MessageState, OutboxMessage, next_attempt
from rejoinder.domain.phrases import phrase
from rejoinder.service.faults import fault_of, log_failure
from rejoinder.store import outbox as outbox_store
from rejoinder.store.database import Connection, Database

log = logging.getLogger("rejoinder")

BATCH = 200
IDLE_SECONDS = 2.0  # how often an idle worker looks, for messages queued by other processes
KEEP_SENT = timedelta(days=30)
GATHER_SECONDS = 0.2
LANES = 8  # requests in flight to one endpoint at once


class DeliveryFailed(Exception):
    """This attempt did not get through; ``final`` when trying again cannot help (the
    endpoint was removed, the address is refused)."""

    def __init__(self, reason: str, *, final: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final


class Sender:
    """Sends one kind of outbox message (webhooks, readers' mail, staff mail).

    ``__call__`` sends one message or raises ``DeliveryFailed``; the other methods are the
    worker's notices, which a sender overrides when it has something to do with them.
    """

    async def __call__(self, message: OutboxMessage) -> None:
        raise NotImplementedError

    def begin_round(self) -> None:
        """A round of the outbox begins: drop what was cached for the last one."""

    async def gave_up(self, connection: Connection, message: OutboxMessage, reason: str) -> None:
        """``message`` failed its last attempt (in the transaction that records it)."""

    async def aclose(self) -> None:
        """The worker stops: close the HTTP client or SMTP link kept open."""


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        *,
        clock: Callable[[], datetime],
        attempts: int,
        retry_seconds: float,
        timeout: float,
        periodic: Sequence[Callable[[datetime], Awaitable[int]]] = (),
    ) -> None:
        self.db = db
        # Run at the start of every round, to queue what falls due by the clock (digests).
        self.periodic = tuple(periodic)
        self.senders = dict(senders)
        self.clock = clock
        self.attempts = attempts
        self.retry_seconds = retry_seconds
        # A claim outlasts the longest a sender may take, so a live worker never loses one.
        self.claim_for = timedelta(seconds=3 * timeout + 5)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._swept: datetime | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def wake(self) -> None:
        """Something was queued in this process: look now rather than at the next round."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for sender in self.senders.values():
            await sender.aclose()

    async def _run(self) -> None:
        pause = IDLE_SECONDS
        while True:
            try:
                busy = await self.round()
                pause = IDLE_SECONDS
            except Exception as error:  # the database away: wait longer each time, up to 30 s
                log_failure("outbox delivery round failed", error)
                busy, pause = 0, min(pause * 2, 30.0)
            if busy >= BATCH:
                continue  # a backlog: straight on to the next batch
            if busy:
                # Under a stream of posts, wait for more to commit rather than run a round
                # (two write transactions, each waiting for SQLite's one writer) for a few.
                await asyncio.sleep(GATHER_SECONDS)
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)
                # Woken by a commit: let the rest of a burst of posts commit too, and send
                # them in one round.
                await asyncio.sleep(GATHER_SECONDS)

    async def round(self) -> int:
        """Send what is due now; how many messages were taken.

        Two write transactions a round however many messages it takes (one to claim them,
        one to record what happened), because on SQLite every write waits for the one
        writer, and a transaction per message halved the rate at which readers could post.
        """
        now = self.clock()
        for task in self.periodic:
            try:
                await task(now)
            except Exception as error:  # a digest that cannot be queued holds up no delivery
                log_failure("queueing scheduled outbox messages failed", error)
        # Looked for with a read first: an idle server takes no write lock every round, and
        # an empty write is no sign that the disk has room again (service/faults.py).
        async with self.db.read() as connection:
            due = await outbox_store.next_due(connection)
        if due is None or due > now:
            return 0
        async with self.db.write() as connection:
            taken = await outbox_store.claim(connection, now, now + self.claim_for, BATCH)
            if self._swept is None or now - self._swept > timedelta(hours=1):
                await outbox_store.forget_sent_before(connection, now - KEEP_SENT)
                self._swept = now
        if taken:
            for sender in self.senders.values():
                sender.begin_round()
            errors = await self._send_all(taken)
            await self._record(list(zip(taken, errors, strict=True)))
        return len(taken)

    async def _send_all(self, taken: list[OutboxMessage]) -> list[DeliveryFailed | None]:
        """Send a batch, at most ``LANES`` at a time to each endpoint (and each kind of mail).

        A receiver is not sent a whole batch at once, and a batch takes a few tasks rather
        than one per message: with two endpoints, a task per message was the outbox's
        largest cost after the sending itself.
        """
        errors: list[DeliveryFailed | None] = [None] * len(taken)
        queues: dict[tuple[str, int | None], list[int]] = {}
        for index, message in enumerate(taken):
            queues.setdefault((message.kind, message.endpoint_id), []).append(index)

        async def lane(waiting: Iterator[int]) -> None:
            for index in waiting:  # shared by the endpoint's lanes: each takes the next
                errors[index] = await self._send(taken[index])

        lanes = []
        for indexes in queues.values():
            waiting = iter(indexes)
            lanes += [lane(waiting) for _ in range(min(LANES, len(indexes)))]
        await asyncio.gather(*lanes)
        return errors

    async def _send(self, message: OutboxMessage) -> DeliveryFailed | None:
        sender = self.senders.get(message.kind)
        try:
            if sender is None:
                raise DeliveryFailed(f"nothing here sends {message.kind!r} messages", final=True)
            await sender(message)
        except DeliveryFailed as failed:
            return failed
        except Exception as unexpected:
            if fault_of(unexpected) is None:
                log.error("sending outbox message %s failed", message.message_id, exc_info=True)
            return DeliveryFailed(f"{type(unexpected).__name__}: {unexpected}")
        return None

    async def _record(self, results: list[tuple[OutboxMessage, DeliveryFailed | None]]) -> None:
        now = self.clock()
        try:
            async with self.db.write() as connection:
                sent = [message.id for message, error in results if error is None]
                await outbox_store.mark_sent(connection, sent, now)
                for message, error in results:
                    if error is not None:
                        await self._failed(connection, message, error, now)
        except Exception as failure:
            # Their claims run out and the messages are sent again: twice at most, never lost.
            log_failure(f"recording {len(results)} outbox messages", failure)

    async def _failed(
        self, connection: Connection, message: OutboxMessage, error: DeliveryFailed, now: datetime
    ) -> None:
        if not error.final and message.attempts + 1 < self.attempts:
            due = next_attempt(now, message.attempts + 1, self.retry_seconds)
            await outbox_store.mark_retry(connection, message.id, due, error.reason)
            return
        await outbox_store.mark_failed(connection, message.id, error.reason)
        sender = self.senders.get(message.kind)
        if sender is not None:
            await sender.gave_up(connection, message, error.reason)
        log.warning(
            "outbox message %s (%s) failed for good after %d attempts: %s",
            message.message_id,
            message.event,
            message.attempts + 1,
            error.reason,
        )


class OutboxView(msgspec.Struct, kw_only=True):
    counts: dict[str, int]
    failed: list[OutboxMessage]


async def view(db: Database) -> OutboxView:
    """What /admin shows of the outbox: how many messages are in each state, and the failed."""
    async with db.read_aside() as connection:
        return OutboxView(
            counts=await outbox_store.counts(connection),
            failed=await outbox_store.latest(connection, state=MessageState.FAILED, limit=50),
        )


async def send_again(db: Database, message_id: int, now: datetime) -> None:
    """A failed message goes back to the queue, its attempts counted afresh."""
    async with db.write() as connection:
        if not await outbox_store.retry_now(connection, message_id, now):
            raise RejoinderError(
                Problem.NOT_FOUND,
                "not_found",
                phrase("There is no failed message {number}.", number=message_id),
            )
