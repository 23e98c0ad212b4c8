"""Load for fault tests: readers who post and retry as the widget does, readers who listen.

A poster sends one comment after another, each with its own Idempotency-Key; when the server
answers 503 or the connection fails, it waits (``Retry-After``, capped so a test stays short)
and sends the same comment with the same key again, so a comment is acknowledged once however
many tries it took. What every try got back is counted, for the fault's report.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
from sqlalchemy import text

from rejoinder.store.database import Database

RETRY_CAP_SECONDS = 0.25
VOCABULARY = (
    "river bridge winter council budget school harbour market orchard railway tram museum "
    "library hospital clinic bakery festival theatre stadium ferry tunnel canal forest "
    "valley mountain village district parliament ministry court prison border embassy "
    "harvest drought flood storm factory mine quarry pipeline reactor satellite archive"
)
WORDS = VOCABULARY.split()


def payload(poster: int, number: int) -> dict[str, str]:
    """Distinct random words, so that no two readers' comments look like a campaign."""
    rng = random.Random(poster * 1000 + number)
    body = f"{' '.join(rng.choice(WORDS) for _ in range(14))} ({poster}-{number})"
    return {"thread": "crash", "author_name": f"Poster {poster}", "body": body}


def stored_bodies(url: str) -> dict[int, str]:
    async def read() -> dict[int, str]:
        database = Database(url)
        try:
            async with database.read() as connection:
                rows = await connection.execute(text("SELECT id, body_markdown FROM comments"))
                return {row[0]: row[1] for row in rows}
        finally:
            await database.dispose()

    return asyncio.run(read())


class Poster:
    """One reader posting in ``thread``, with their own reader token, kept as the widget
    keeps it (from the first answer's ``X-Rejoinder-Reader``)."""

    def __init__(self, n: int, thread: str) -> None:
        self.n = n
        self.thread = thread
        self.token: str | None = None
        self.acknowledged: dict[int, int] = {}  # post number -> comment id
        self.acknowledged_at: dict[int, float] = {}  # comment id -> monotonic time
        self.statuses: Counter[str] = Counter()  # what each try got: "201", "503", "reset"...
        self.slowest = 0.0

    def body(self, number: int) -> dict[str, str]:
        return {**payload(self.n, number), "thread": self.thread}

    async def post_until_acknowledged(
        self, client: httpx.AsyncClient, number: int, give_up: float
    ) -> None:
        while time.monotonic() < give_up:
            started = time.monotonic()
            headers = {"Idempotency-Key": f"load-{self.n}-{number}"}
            if self.token:
                headers["X-Rejoinder-Reader"] = self.token
            try:
                response = await client.post(
                    "/api/comments", json=self.body(number), headers=headers
                )
            except httpx.TransportError:
                self.statuses["reset"] += 1
                await asyncio.sleep(RETRY_CAP_SECONDS)
                continue
            self.slowest = max(self.slowest, time.monotonic() - started)
            self.token = response.headers.get("X-Rejoinder-Reader", self.token)
            self.statuses[str(response.status_code)] += 1
            if response.status_code == 201:
                comment_id = response.json()["comment"]["id"]
                self.acknowledged[number] = comment_id
                self.acknowledged_at[comment_id] = time.monotonic()
                return
            assert response.status_code == 503, response.text
            retry_after = int(response.headers["Retry-After"])
            assert retry_after > 0
            await asyncio.sleep(min(retry_after, RETRY_CAP_SECONDS))
        raise AssertionError(f"poster {self.n}: post {number} never acknowledged")


@dataclass
class Load:
    """``posters`` posting one comment after another until ``stop`` is set, each resting
    ``pause_seconds`` between comments (0: as fast as the server answers)."""

    url: str
    posters: list[Poster]
    pause_seconds: float = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    give_up_seconds: float = 60

    async def run(self) -> None:
        give_up = time.monotonic() + self.give_up_seconds
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:

            async def keep_posting(poster: Poster) -> None:
                number = 0
                while not self.stop.is_set():
                    await poster.post_until_acknowledged(client, number, give_up)
                    number += 1
                    await asyncio.sleep(self.pause_seconds)

            await asyncio.gather(*(keep_posting(p) for p in self.posters))

    @property
    def acknowledged(self) -> int:
        return sum(len(p.acknowledged) for p in self.posters)

    async def until_acknowledged(self, count: int, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while self.acknowledged < count:
            assert time.monotonic() < deadline, f"only {self.acknowledged} acknowledged"
            await asyncio.sleep(0.02)

    def acknowledged_since(self, moment: float) -> list[int]:
        return [
            comment_id
            for poster in self.posters
            for comment_id, at in poster.acknowledged_at.items()
            if at > moment
        ]

    def acknowledged_ids(self) -> set[int]:
        return {i for poster in self.posters for i in poster.acknowledged.values()}

    def heard_by(self, listeners: list[Listener]) -> Heard:
        acknowledged = self.acknowledged_ids()
        return Heard(
            [sum(1 for i in acknowledged if listener.heard(i)) for listener in listeners],
            [listener.resyncs() for listener in listeners],
            len(acknowledged),
        )

    def statuses(self) -> Counter[str]:
        return sum((p.statuses for p in self.posters), Counter())

    def report(self, database_url: str) -> dict[str, object]:
        """Acknowledged, stored, lost and duplicated, checked against the database itself:
        every acknowledged comment is stored with its own text, and no text twice."""
        stored = stored_bodies(database_url)
        lost = sum(
            1
            for poster in self.posters
            for number, comment_id in poster.acknowledged.items()
            if stored.get(comment_id) != poster.body(number)["body"]
        )
        return {
            "acknowledged": self.acknowledged,
            "stored": len(stored),
            "lost": lost,
            "duplicated": len(stored) - len(set(stored.values())),
            "statuses": dict(sorted(self.statuses().items())),
            "slowest_answer_s": round(max(p.slowest for p in self.posters), 2),
        }


@dataclass
class Heard:
    """What each listener heard of the acknowledged comments: how many live, how many
    resyncs (each tells the reader to reload, and so to see them all)."""

    live: list[int]
    resyncs: list[int]
    acknowledged: int

    def nothing_unannounced(self) -> bool:
        """Every reader heard every comment, or was told to reload."""
        return all(
            count == self.acknowledged or resynced >= 1
            for count, resynced in zip(self.live, self.resyncs, strict=True)
        )

    def __str__(self) -> str:
        return f"heard live {self.live} of {self.acknowledged}, resyncs {self.resyncs}"


class Listener:
    """An event-stream reader collecting what it hears, in a task of its own."""

    def __init__(self, url: str, thread: str) -> None:
        self.url = url
        self.thread = thread
        self.events: list[tuple[str, dict]] = []
        self.listening = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> Listener:
        self._task = asyncio.create_task(self._listen())
        await asyncio.wait_for(self.listening.wait(), 10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _listen(self) -> None:
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(10, read=None)) as client,
            client.stream(
                "GET", f"{self.url}/api/threads/events", params={"thread": self.thread}
            ) as response,
        ):
            assert response.status_code == 200
            kind = None
            async for line in response.aiter_lines():
                if line.startswith(": listening"):
                    self.listening.set()
                elif line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: ") and kind is not None:
                    self.events.append((kind, json.loads(line.removeprefix("data: "))))
                    kind = None

    def heard(self, comment_id: int) -> bool:
        return any(
            kind == "comment_created" and data["comment"]["id"] == comment_id
            for kind, data in self.events
        )

    def resyncs(self) -> int:
        return sum(1 for kind, _ in self.events if kind == "resync")
