"""Replay 2,000 comments through the moderation pipeline and report what it decided.

The mix (seeded, so every run replays the same comments):
- 1,400 ordinary comments, assembled from many sentence parts, on 40 threads;
- 300 abusive ones: 150 insults for the toxicity model, 100 with banned phrases written in
  leetspeak, spacing and look-alike letters, 50 with a suspect word;
- 200 spam comments carrying 3 to 5 links;
- 100 from a coordinated campaign: 20 accounts, 5 posts each, near-identical text across
  threads.

Every comment is posted through the real JSON API of an in-process app on a real database
(a fresh SQLite file by default, or ``--database-url postgresql://...``), one after another,
with the moderation settings a newsroom would start with. The pipeline's own steps (the
checks before the write, the checks inside it, and recording the result) are timed around
the functions the API calls, so "added latency" is exactly what moderation costs a post.

Run: .venv/bin/python benchmarks/moderation_replay.py [--database-url URL] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from rejoinder.app import create_app  # noqa: E402
from rejoinder.config import Settings  # noqa: E402
from rejoinder.service import posting  # noqa: E402 (it calls the pipeline steps timed here)
from rejoinder.store.database import Database  # noqa: E402
from rejoinder.store.migrate import upgrade  # noqa: E402

BANNED = ("kill yourself", "subhuman", "vermin")
SUSPECT = ("traitor", "paid troll", "crypto")

OPENINGS = [
    "Thanks for the explainer.",
    "Good piece.",
    "I watched the video twice.",
    "Interesting numbers.",
    "My cousin serves near Kharkiv.",
    "This matches what I read.",
    "I am not convinced.",
    "Clear and calm reporting.",
    "Hard to watch but important.",
    "As a teacher I find this useful.",
    "The transcript helped a lot.",
    "Sobering.",
]
CLOSINGS = [
    "Keep it up.",
    "Please follow up in a month.",
    "Where can I read the full report?",
    "Sharing with my students.",
    "Slava Ukraini.",
    "Stay safe everyone.",
    "Would love a podcast version.",
    "",
    "",
    "",
]
INSULTS = [
    "You are a fucking idiot and everyone here knows it.",
    "Shut up you stupid piece of shit, nobody asked you.",
    "What a moron, go back to your hole you dumb bastard.",
    "Only an idiot would write this garbage, you pathetic loser.",
    "Fuck off with your lies, asshole.",
]
BANNED_FORMS = [
    "Go k1ll y0urself",
    "you should k i l l yourself",
    "These people are subhum4n",
    "Absolute v.e.r.m.i.n, all of them",
    "They are verrrmin",
    "\u0455ubhuman trash",  # Cyrillic dze, which looks like s
]
SPAM_SITES = ["cheap-pills.example", "win-big.example", "free-visa.example", "loans.example"]
CAMPAIGN = (
    "Do not believe this channel, the real deserter numbers are ten times higher and the "
    "ministry is hiding the truth from all of us. Share before they delete it {tag}"
)


PLACES = [
    "Kharkiv",
    "Odesa",
    "Lviv",
    "Dnipro",
    "Poltava",
    "Sumy",
    "Kherson",
    "Zaporizhzhia",
    "Chernihiv",
    "Vinnytsia",
    "Rivne",
    "Uzhhorod",
    "Kyiv",
    "Mykolaiv",
    "Ternopil",
]
PEOPLE = [
    "my neighbour",
    "my brother",
    "a colleague",
    "my grandmother",
    "a friend from school",
    "my son",
    "an old classmate",
    "my wife's uncle",
    "a volunteer I know",
    "my sister",
]
VIEWS = [
    "agrees",
    "disagrees",
    "would say the same",
    "saw it differently",
    "was surprised",
    "keeps asking about this",
    "wrote about it last year",
    "does not trust the numbers",
]


SUBJECTS = [
    "The desertion figures",
    "The new law",
    "This explainer",
    "The ministry's answer",
    "The analyst",
    "The court data",
    "The front-line footage",
    "The regional story",
    "Morale in the army",
    "The mobilisation debate",
    "The sanctions argument",
    "The refugee numbers",
    "The exchange of prisoners",
    "The map",
    "The narration",
]
VERBS = [
    "tells me",
    "suggests",
    "shows",
    "hints",
    "reminds me",
    "makes clear",
    "proves",
    "does not prove",
    "only half explains",
    "leaves open",
    "convinced me",
    "worries me",
]
OBJECTS = [
    "how tired the soldiers are",
    "that the numbers will keep rising",
    "what families go through",
    "why courts are overloaded",
    "that winter changes a lot",
    "how little we really know",
    "that the officers lost trust",
    "why people hide",
    "what the recruiters are told",
    "how the law is enforced unevenly",
    "that rotation is the real issue",
    "why the official line keeps shifting",
]
TAILS = [
    "",
    "",
    "to be honest",
    "in my view",
    "at least for now",
    "more than I expected",
    "if the sources hold",
    "for anyone paying attention",
    "after three years of this",
]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(TAILS)]
    return " ".join(w for w in words if w) + "."


def ordinary(rng: random.Random) -> str:
    """A reader's comment: their own mix of remarks and details. Real comments differ from
    each other in more than a word, so two readers rarely share whole runs of words."""
    parts = [sentence(rng) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.5:
        parts.insert(0, rng.choice(OPENINGS))
    if rng.random() < 0.6:
        parts.append(
            f"{rng.choice(PEOPLE).capitalize()} in {rng.choice(PLACES)} {rng.choice(VIEWS)}"
            f" ({rng.randint(2, 60)} {rng.choice(['days', 'weeks', 'months'])} ago)."
        )
    parts.append(rng.choice(CLOSINGS))
    return " ".join(p for p in parts if p)


def build_mix(seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    items: list[dict] = []

    def add(kind: str, body: str, name: str, thread: int) -> None:
        items.append({"kind": kind, "body": body, "name": name, "thread": f"story-{thread}"})

    for n in range(1400):
        add("ordinary", ordinary(rng), f"Reader {n % 700}", rng.randrange(40))
    for n in range(150):
        add("abusive: insult", rng.choice(INSULTS), f"Angry {n}", rng.randrange(40))
    for n in range(100):
        body = f"{rng.choice(OPENINGS)} {rng.choice(BANNED_FORMS)}."
        add("abusive: banned words", body, f"Hater {n}", rng.randrange(40))
    for n in range(50):
        body = f"{rng.choice(OPENINGS)} The author is a traitor and should be ashamed."
        add("abusive: suspect word", body, f"Suspicious {n}", rng.randrange(40))
    for n in range(200):
        links = " ".join(
            f"https://{rng.choice(SPAM_SITES)}/offer/{rng.randrange(10**6)}"
            for _ in range(rng.randint(3, 5))
        )
        add(
            "spam with links",
            f"Great article! Check these out: {links}",
            f"Deals{n}",
            rng.randrange(40),
        )
    campaign = []
    for account in range(20):
        for _post in range(5):
            tag = rng.choice(["#truth", "#wakeup", "#share", "!!", ""])
            body = CAMPAIGN.format(tag=tag)
            if rng.random() < 0.5:
                body = body.replace("ten times", "many times")
            campaign.append(
                {
                    "kind": "campaign (20 accounts)",
                    "body": body,
                    "name": f"Patriot{account:02d}",
                    "thread": f"story-{rng.randrange(40)}",
                }
            )
    rng.shuffle(items)
    # The campaign arrives as campaigns do: in a burst, woven into the ordinary traffic.
    start = 900
    for offset, item in enumerate(campaign):
        items.insert(start + offset * 3, item)
    return items


class Timer:
    """Wraps the pipeline functions the API calls and adds up their time per request."""

    def __init__(self) -> None:
        self.current = 0.0

    def wrap(self, function):  # type: ignore[no-untyped-def]
        async def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                self.current += time.perf_counter() - started

        timed.timed = True  # type: ignore[attr-defined]
        return timed


TIMER = Timer()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def replay(database_url: str, items: list[dict], **overrides: object) -> dict:
    database = Database(database_url)
    try:
        await upgrade(database)
    finally:
        await database.dispose()
    options: dict[str, object] = {"banned_words": BANNED, "suspect_words": SUSPECT}
    settings = Settings(
        database_url=database_url,
        secret="benchmark",
        rate_posts_per_address=(10**9, 60),
        **(options | overrides),  # type: ignore[arg-type]
    )
    timer = TIMER
    for name in ("prescreen", "look_up", "record"):
        if not getattr(getattr(posting, name), "timed", False):
            setattr(posting, name, timer.wrap(getattr(posting, name)))
    app = create_app(settings)
    added: list[float] = []
    total: list[float] = []
    at_post: dict[str, Counter] = defaultdict(Counter)
    ids: dict[int, str] = {}
    transport = httpx.ASGITransport(app=app)
    async with (
        _running(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
    ):
        # Warm the model and the connection pool, outside the measurement.
        await client.post(
            "/api/comments", json={"thread": "warm", "author_name": "W", "body": "Warm up."}
        )
        for item in items:
            timer.current = 0.0
            started = time.perf_counter()
            # Sent as a writer who was nudged and sends it anyway: what the pipeline decides
            # is then stored, as it was before the nudge (docs/moderation.md).
            body = {"thread": item["thread"], "author_name": item["name"], "body": item["body"]}
            response = await client.post("/api/comments", json={**body, "nudge_acknowledged": True})
            total.append(time.perf_counter() - started)
            added.append(timer.current)
            if response.status_code != 201:
                at_post[item["kind"]][f"refused {response.status_code}"] += 1
                continue
            data = response.json()
            at_post[item["kind"]][data["status"]] += 1
            ids[data["comment"]["id"]] = item["kind"]
        final = await _final_statuses(app, ids)
    return {"added": added, "total": total, "at_post": at_post, "final": final}


class _running:
    """Run the app's startup and shutdown around the replay (httpx does not send lifespan)."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app

    async def __aenter__(self) -> None:
        self.queue: asyncio.Queue = asyncio.Queue()
        self.sent: asyncio.Queue = asyncio.Queue()
        await self.queue.put({"type": "lifespan.startup"})
        self.task = asyncio.create_task(
            self.app(
                {"type": "lifespan", "asgi": {"version": "3.0"}}, self.queue.get, self.sent.put
            )
        )
        message = await self.sent.get()
        if message["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"startup failed: {message}")

    async def __aexit__(self, *exc: object) -> None:
        await self.queue.put({"type": "lifespan.shutdown"})
        await self.sent.get()
        await self.task


async def _final_statuses(app, ids: dict[int, str]) -> dict[str, Counter]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from rejoinder.store.schema import comments

    final: dict[str, Counter] = defaultdict(Counter)
    async with app.state.services.db.read() as connection:
        rows = await connection.execute(
            select(comments.c.id, comments.c.status, comments.c.moderation)
        )
        for comment_id, status, moderation in rows:
            if comment_id in ids:
                final[ids[comment_id]][status] += 1
                steps = {f["step"] for f in json.loads(moderation or "[]") if f["action"] != "note"}
                for step in steps:
                    final[ids[comment_id]][f"step:{step}"] += 1
    return final


CORPUS = ROOT / "benchmarks" / "data" / "moderation_corpus.jsonl"
DECIDED = {"visible": "publish", "pending": "hold", "rejected": "reject"}
# What issue 18 asks of the scorer, per language: the share of these categories held or
# rejected (abuse), and the share of the civil ones held or rejected.
ABUSE = ("targeted_insult", "threat", "wish_of_harm", "dehumanisation")
CIVIL = ("civil_praise", "civil_criticism", "public_figure_criticism", "violence_report")


def corpus_items() -> list[dict]:
    """The labelled corpus (benchmarks/data/moderation_corpus.jsonl), a thread per category."""
    items = []
    for number, line in enumerate(CORPUS.read_text(encoding="utf-8").splitlines()):
        record = json.loads(line)
        items.append(
            {
                "kind": f"{record['lang']}:{record['category']}:{record['label']}",
                "thread": f"corpus-{record['lang']}-{record['category']}",
                "name": f"Reader {number}",
                "body": record["text"],
            }
        )
    return items


def share(mine: dict, categories: tuple[str, ...], decisions: tuple[str, ...]) -> str:
    chosen = [(k, n) for k, n in mine.items() if k[1] in categories]
    total = sum(n for _, n in chosen)
    hit = sum(n for k, n in chosen if k[3] in decisions)
    return f"{hit}/{total} = {100 * hit / total:.1f}%" if total else "none"


def confusion(result: dict, items: list[dict]) -> list[str]:
    """Per language: expected label by decision, each category's decisions, and the
    acceptance shares (civil comments held; abuse held or rejected)."""
    lines = []
    decided: Counter = Counter()  # (lang, category, expected, decision)
    for kind, statuses in result["final"].items():
        lang, category, expected = kind.split(":")
        for status, count in statuses.items():
            if status in DECIDED:
                decided[lang, category, expected, DECIDED[status]] += count
    for kind, outcomes in result["at_post"].items():
        lang, category, expected = kind.split(":")
        for outcome, count in outcomes.items():
            if outcome.startswith("refused"):
                decided[lang, category, expected, outcome] += count
    languages = sorted({item["kind"].split(":")[0] for item in items})
    columns = ("publish", "hold", "reject")
    for lang in languages:
        mine = {key: n for key, n in decided.items() if key[0] == lang}
        lines.append(f"{lang}: expected (rows) by decided (columns)")
        lines.append(f"  {'':10}" + "".join(f"{c:>9}" for c in columns))
        for expected in columns:
            row = [
                sum(n for k, n in mine.items() if k[2] == expected and k[3] == c) for c in columns
            ]
            lines.append(f"  {expected:10}" + "".join(f"{n:9}" for n in row))
        lines.append(f"  {'category':26}" + "".join(f"{c:>9}" for c in columns))
        for category in sorted({k[1] for k in mine}):
            row = [
                sum(n for k, n in mine.items() if k[1] == category and k[3] == c) for c in columns
            ]
            lines.append(f"  {category:26}" + "".join(f"{n:9}" for n in row))

        lines.append(
            f"  {lang} civil criticism held or rejected: "
            f"{share(mine, ('civil_criticism',), ('hold', 'reject'))}; all civil: "
            f"{share(mine, CIVIL, ('hold', 'reject'))}"
        )
        lines.append(
            f"  {lang} insults, threats, wishes of harm, dehumanisation held or rejected: "
            f"{share(mine, ABUSE, ('hold', 'reject'))}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--corpus-only",
        action="store_true",
        help="replay only the labelled corpus, with the default moderation settings",
    )
    args = parser.parse_args()
    if args.corpus_only:
        print("\n".join(replay_corpus(args.database_url)))
        return
    items = build_mix()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'replay.db'}"
        result = asyncio.run(replay(url, items))
    kinds = list(dict.fromkeys(item["kind"] for item in items))
    print(f"replayed {len(items)} comments on {url.split(':')[0]}")
    print(f"{'kind':26} {'sent':>5}   at post: published queued rejected |", end="")
    print(" final: published queued rejected")
    for kind in kinds:
        sent = sum(1 for item in items if item["kind"] == kind)
        a, f = result["at_post"][kind], result["final"][kind]
        print(
            f"{kind:26} {sent:5}            {a['visible']:9} {a['pending']:6} {a['rejected']:8} |"
            f"        {f['visible']:9} {f['pending']:6} {f['rejected']:8}"
        )
    print("steps that acted (a comment may have several):")
    for kind in kinds:
        steps = {k[5:]: v for k, v in result["final"][kind].items() if k.startswith("step:")}
        print(f"  {kind:26} " + ", ".join(f"{k} {v}" for k, v in sorted(steps.items())))
    added_ms = [s * 1000 for s in result["added"]]
    total_ms = [s * 1000 for s in result["total"]]
    print(
        f"pipeline added latency per comment: median {statistics.median(added_ms):.2f} ms, "
        f"p99 {percentile(added_ms, 0.99):.2f} ms, max {max(added_ms):.2f} ms"
    )
    print(
        f"whole post (API, in process): median {statistics.median(total_ms):.2f} ms, "
        f"p99 {percentile(total_ms, 0.99):.2f} ms"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "at_post": {k: dict(v) for k, v in result["at_post"].items()},
                    "final": {k: dict(v) for k, v in result["final"].items()},
                    "added_ms": {
                        "median": statistics.median(added_ms),
                        "p99": percentile(added_ms, 0.99),
                    },
                },
                indent=2,
            )
        )


def replay_corpus(database_url: str | None) -> list[str]:
    """The labelled corpus with the settings a newsroom starts with (no word lists)."""
    items = corpus_items()
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'corpus.db'}"
        result = asyncio.run(replay(url, items, banned_words=(), suspect_words=()))
    lines = [f"labelled corpus: {len(items)} comments ({CORPUS.name}), default settings"]
    return lines + confusion(result, items)


if __name__ == "__main__":
    main()
