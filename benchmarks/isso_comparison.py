"""Rejoinder against Isso on one machine, in one run: full-thread reads and guest posts.

Both servers get the same 200-comment thread (40% replies, same bodies), then wrk loads each
on loopback with the same settings:

- read: GET of the whole thread (Rejoinder ``limit=200``; Isso returns everything);
- read-token (Rejoinder only): the same GET by a reader who carries a reader token, as every
  reader who has voted or posted does; it takes the checked path, never the shared copy;
- post: guest comments to a second thread, every body different: 12 to 40 words drawn at
  random, as distinct as readers' comments are (identical bodies from many names would be
  a campaign, which Rejoinder's moderation is built to catch and hold);
- post with notifications (Rejoinder only): the post workload on a fresh database with two
  webhook endpoints registered (nginx answering 204) and reply mails on (an SMTP server in
  this process), every post a reply to a reader who asked for reply mails: each comment
  also writes two webhook deliveries and joins that reader's digest. The plain server posts
  the same replies, to a comment nobody follows, in turns with it ("post-turns"). The
  outbox is to cost posting no more than a quarter of its rate.

Isso 0.14 runs from PyPI in a temporary virtualenv under gunicorn with 2 workers and its rate
guard off; Rejoinder runs ``rejoinder serve --workers 2`` on a temporary SQLite database.
Run from the repository root: ``.venv/bin/python benchmarks/isso_comparison.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import email
import email.policy
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
SEED_COMMENTS = 200
REPLY_SHARE = 0.4
WORDS = (
    "the",
    "kremlin",
    "soldiers",
    "families",
    "report",
    "volunteers",
    "war",
    "ukraine",
    "statistics",
    "desert",
    "mobilised",
    "discontent",
    "newest",
    "group",
    "practices",
    "captured",
    "situation",
    "moral",
    "sanctions",
    "recovery",
    "civilised",
    "international",
    "commerce",
    "regime",
    "evidence",
    "interview",
    "frontline",
    "village",
    "bridge",
    "winter",
)


@dataclass
class Server:
    """One system under test: where it listens and how its API spells reads and posts."""

    name: str
    port: int
    read_path: str
    post_path: str
    post_body: Callable[[str, str, int | None, str], dict]  # (thread, author, parent, text)
    created_id: Callable[[dict], int]
    count_thread: Callable[[httpx.Client], int]
    # A reader identity to read as, for servers that tell readers apart ("read-token").
    reader_token: Callable[[httpx.Client], str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Result:
    workload: str
    server: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def paragraph(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(2, 6)):
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def ensure_wrk() -> str:
    if shutil.which("wrk") is None:
        install = ["apt-get", "install", "-y", "-q", "wrk"]
        if subprocess.run(install, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)
            subprocess.run(install, check=True, capture_output=True)
    return subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[
        0
    ]


def ensure_nginx() -> str:
    """Debian's nginx, installed if missing, for the static-file ceiling."""
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        install = ["apt-get", "install", "-y", "-q", "nginx-light"]
        if subprocess.run(install, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)
            subprocess.run(install, check=True, capture_output=True)
    return shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_setup(work: Path, port: int, body: bytes) -> list[str]:
    """nginx serving the same JSON bytes as a static file: 2 workers, no access log."""
    root = work / "nginx"
    (root / "static").mkdir(parents=True)
    (root / "static" / "thread.json").write_bytes(body)
    (root / "logs").mkdir()
    (root / "nginx.conf").write_text(
        "user root; worker_processes 2; daemon off; pid nginx.pid;\n"
        "error_log logs/error.log warn;\n"
        "events { worker_connections 4096; }\n"
        "http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;\n"
        "  client_body_temp_path tmp; proxy_temp_path tmp; fastcgi_temp_path tmp;\n"
        "  uwsgi_temp_path tmp; scgi_temp_path tmp;\n"
        f"  server {{ listen 127.0.0.1:{port}; root {root / 'static'};\n"
        "    default_type application/json; } }\n"
    )
    (root / "tmp").mkdir()
    return [ensure_nginx(), "-p", str(root), "-c", "nginx.conf"]


def wait_healthy(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds}s")


@contextmanager
def running(command: list[str], env: dict[str, str], health_url: str) -> Iterator[None]:
    """Run a server in its own process group; stop the whole group however we leave."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_healthy(health_url, process)
            yield
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


def rejoinder_server(port: int) -> Server:
    def count(client: httpx.Client) -> int:
        return client.get(f"/api/comments?thread=bench&limit={SEED_COMMENTS}").json()["thread"][
            "comment_count"
        ]

    return Server(
        name="rejoinder",
        port=port,
        read_path=f"/api/comments?thread=bench&limit={SEED_COMMENTS}",
        post_path="/api/comments",
        post_body=lambda thread, author, parent, text: {
            "thread": thread,
            "thread_title": "Bench",
            "author_name": author,
            "body": text,
            **({"parent_id": parent} if parent else {}),
        },
        created_id=lambda created: created["comment"]["id"],
        count_thread=count,
        reader_token=lambda client: client.post("/api/readers", json={}).json()["token"],
    )


def isso_server(port: int) -> Server:
    def count(client: httpx.Client) -> int:
        def walk(replies: list[dict]) -> int:
            return sum(1 + walk(reply.get("replies", [])) for reply in replies)

        return walk(client.get("/?uri=%2Fbench").json()["replies"])

    return Server(
        name="isso",
        port=port,
        read_path="/?uri=%2Fbench",
        post_path="/new?uri=",  # the thread's uri is appended per request
        post_body=lambda thread, author, parent, text: {
            "text": text,
            "author": author,
            "title": thread,
            **({"parent": parent} if parent else {}),
        },
        created_id=lambda created: created["id"],
        count_thread=count,
    )


def post_url(server: Server, thread: str) -> str:
    return server.post_path + (quote("/" + thread, safe="") if server.name == "isso" else "")


def seed(server: Server) -> None:
    """The same 200-comment thread on each server: 40% replies to earlier comments."""
    rng = random.Random(2023_12_08)
    made: list[int] = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for n in range(SEED_COMMENTS):
            parent = rng.choice(made) if made and rng.random() < REPLY_SHARE else None
            body = server.post_body("bench", f"Reader {n}", parent, paragraph(rng))
            response = client.post(post_url(server, "bench"), json=body)
            response.raise_for_status()
            client.cookies.clear()  # Isso sets one cookie per comment; readers don't pile them up
            made.append(server.created_id(response.json()))
        counted = server.count_thread(client)
    if counted != SEED_COMMENTS:
        raise RuntimeError(f"{server.name} shows {counted} comments, expected {SEED_COMMENTS}")


POST_SCRIPT = """
local thread_count = 0
function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
end
local words = {WORDS}
function init(args)
  counter = 0
  math.randomseed(1000 + tid)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local n = tid .. "-" .. counter
  local text = {}
  for i = 1, math.random(12, 40) do
    text[i] = words[math.random(#words)]
  end
  return wrk.format(nil, PATH, nil, string.format(BODY, n, n .. ": " .. table.concat(text, " ")))
end
"""


def post_script(server: Server, directory: Path) -> Path:
    body = server.post_body("bench-post", "Load %s", None, "Load test comment %s, *markdown*.")
    lua = (
        POST_SCRIPT.replace("PATH", json.dumps(post_url(server, "bench-post")))
        .replace("BODY", "[[" + json.dumps(body) + "]]")
        .replace("{WORDS}", "{" + ", ".join(json.dumps(word) for word in WORDS) + "}")
    )
    path = directory / f"post_{server.name}.lua"
    path.write_text(lua)
    return path


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str) -> tuple[float, float, float, int, int]:
    def latency(percentile: str) -> float:
        match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        if not match:
            raise RuntimeError(f"no {percentile}% latency in wrk output:\n{output}")
        return float(match.group(1)) * _UNITS_MS[match.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = 0
    for pattern in (r"Non-2xx or 3xx responses: (\d+)", r"Socket errors: (.*)"):
        match = re.search(pattern, output)
        if match:
            errors += sum(int(n) for n in re.findall(r"\d+", match.group(1)))
    return rps, latency("50"), latency("99"), errors, requests


def measure(server: Server, workload: str, args: argparse.Namespace, work: Path) -> Result:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.seconds}s",
        "--latency",
    ]
    if workload == "post":
        command += ["-s", str(post_script(server, work)), server.url + "/"]
    elif workload == "read-token":
        assert server.reader_token is not None
        with httpx.Client(base_url=server.url) as client:
            token = server.reader_token(client)
        command += ["-H", f"X-Rejoinder-Reader: {token}", server.url + server.read_path]
    else:
        command += [server.url + server.read_path]
    print("  $ " + " ".join(command), flush=True)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps, p50, p99, errors, requests = parse_wrk(output)
    return Result(workload, server.name, rps, p50, p99, errors, requests)


def isso_setup(work: Path, port: int) -> tuple[list[str], dict[str, str], str]:
    """A virtualenv with Isso and gunicorn, and its configuration with the rate guard off."""
    env_dir = work / "isso-venv"
    venv.create(env_dir, with_pip=True)
    subprocess.run(
        [str(env_dir / "bin" / "pip"), "install", "-q", "isso", "gunicorn"],
        check=True,
        capture_output=True,
    )
    config = work / "isso.cfg"
    config.write_text(
        f"[general]\ndbpath = {work / 'isso.db'}\nhost = http://127.0.0.1:{port}/\n"
        "[moderation]\nenabled = false\n"
        "[guard]\nenabled = false\n"
        f"[server]\nlisten = http://127.0.0.1:{port}/\n"
    )
    version = subprocess.run(
        [str(env_dir / "bin" / "python"), "-c", "import isso; print(isso.__version__)"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    # --preload, as Isso's deployment docs launch it under gunicorn.
    command = [str(env_dir / "bin" / "gunicorn"), "-w", "2", "--preload"]
    command += ["-b", f"127.0.0.1:{port}"]
    command += ["--log-level", "warning", "isso.run"]
    return command, {**os.environ, "ISSO_SETTINGS": str(config)}, version


def benchmark(server: Server, args: argparse.Namespace, work: Path) -> list[Result]:
    print(f"{server.name}: seeding {SEED_COMMENTS} comments", flush=True)
    seed(server)
    workloads = ["read", "post"]
    if server.reader_token is not None:
        workloads.insert(1, "read-token")
    return [measure(server, workload, args, work) for workload in workloads]


def receivers_setup(work: Path, ports: list[int]) -> list[str]:
    """nginx as two webhook receivers that accept every request (204) and log each one, so
    the receivers take as little of the machine's CPU from the server as they can."""
    root = work / "receivers"
    (root / "logs").mkdir(parents=True)
    (root / "tmp").mkdir()
    servers = "".join(
        f"  server {{ listen 127.0.0.1:{port}; access_log logs/{port}.log short;\n"
        "    location / { return 204; } }\n"
        for port in ports
    )
    (root / "nginx.conf").write_text(
        "user root; worker_processes 1; daemon off; pid nginx.pid;\n"
        "error_log logs/error.log warn;\n"
        "events { worker_connections 4096; }\n"
        "http { log_format short '$status'; keepalive_requests 1000000;\n"
        "  client_body_temp_path tmp; proxy_temp_path tmp; fastcgi_temp_path tmp;\n"
        f"  uwsgi_temp_path tmp; scgi_temp_path tmp;\n{servers}}}\n"
    )
    return [ensure_nginx(), "-p", str(root), "-c", "nginx.conf"]


def received(work: Path, ports: list[int]) -> int:
    """Deliveries the receivers answered 204."""
    logs = [work / "receivers" / "logs" / f"{port}.log" for port in ports]
    return sum(log.read_text().count("204") for log in logs if log.exists())


class MailSink:
    """An SMTP server in this process (aiosmtpd) that keeps what it is sent: the reader's
    confirmation, then the digests of replies, a few mails in all."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.mails: list[bytes] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
                sink.mails.append(envelope.content)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> MailSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def subscribe(server: Server, sink: MailSink) -> int:
    """A reader who asks for reply mails and confirms from the mail; their comment's id."""
    body = {
        **server.post_body("bench-post", "Subscriber", None, "Tell me when anyone answers."),
        "author_email": "subscriber@example.org",
        "notify_replies": True,
    }
    created = httpx.post(server.url + "/api/comments", json=body).json()
    deadline = time.monotonic() + 30
    while not sink.mails and time.monotonic() < deadline:
        time.sleep(0.1)
    text = email.message_from_bytes(sink.mails[0], policy=email.policy.default)
    plain = text.get_body(("plain",))
    assert plain is not None
    link = re.search(r"\S+/mail/confirm\?\S+", plain.get_content())
    assert link is not None, "no confirmation link in the mail"
    assert httpx.get(link.group(0)).status_code == 200
    return server.created_id(created)


def replies_to(server: Server, parent: int) -> Callable[[str, str, int | None, str], dict]:
    """The server's post bodies, as replies to ``parent``."""
    body = server.post_body
    return lambda thread, author, _, text: body(thread, author, parent, text)


def with_webhooks(
    plain: Server, args: argparse.Namespace, work: Path, env: dict[str, str]
) -> list[Result]:
    """The post workload on a second server, on a fresh database with two webhook endpoints
    registered and reply mails on: each comment answers a reader who asked for reply mails
    (and confirmed), so it also writes two webhook deliveries and joins that reader's digest
    in its transaction, and the server's workers deliver them while the load runs. The two
    servers take turns, round after round, and each one's median is reported, so a machine
    busier in one moment than the next does not decide the comparison."""
    rejoinder = str(ROOT / ".venv" / "bin" / "rejoinder")
    port = free_port()
    sink = MailSink()
    env = {
        **env,
        "REJOINDER_DATABASE_URL": f"sqlite:///{work / 'rejoinder-outbox.db'}",
        "REJOINDER_WEBHOOK_ALLOW_PRIVATE": "true",
        "REJOINDER_SMTP_URL": f"smtp://127.0.0.1:{sink.port}",
        "REJOINDER_MAIL_FROM": "comments@news.example",
        "REJOINDER_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    ports = [free_port(), free_port()]
    subprocess.run([rejoinder, "migrate"], env=env, check=True, capture_output=True)
    for receiver in ports:
        subprocess.run(
            [rejoinder, "webhook", "add", f"http://127.0.0.1:{receiver}/hooks"],
            env=env,
            check=True,
            capture_output=True,
        )
    command = [rejoinder, "serve", "--workers", "2", "--port", str(port), "--no-access-log"]
    hooked = rejoinder_server(port)
    hooked.name = "rejoinder+webhooks+mail"
    health = f"http://127.0.0.1:{ports[0]}/"
    turns: dict[str, list[Result]] = {plain.name: [], hooked.name: []}
    with (
        sink,
        running(receivers_setup(work, ports), env, health),
        running(command, env, hooked.url + "/healthz"),
    ):
        followed = subscribe(hooked, sink)
        replying = replies_to(hooked, followed)
        # The same posts on both: replies to one comment, there followed by mail.
        unfollowed = httpx.post(
            plain.url + "/api/comments",
            json=plain.post_body("bench-post", "Subscriber", None, "Tell me when anyone answers."),
        ).json()
        plain = dataclasses.replace(
            plain, post_body=replies_to(plain, plain.created_id(unfollowed))
        )
        hooked = dataclasses.replace(hooked, post_body=replying)
        for turn in range(args.rounds):
            print(f"posting with and without notifications, round {turn + 1}", flush=True)
            for server in (plain, hooked):
                turns[server.name].append(measure(server, "post", args, work))
        wanted = 2 * sum(r.requests for r in turns[hooked.name]) + 3  # the subscriber's, the check
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and received(work, ports) < wanted:
            time.sleep(0.2)
        # wrk counts the posts it saw answered; those still on their way when it stopped are
        # stored, and delivered, too.
        delivered = received(work, ports) - 1
        print(
            f"{hooked.name}: {delivered:,} webhook deliveries for {(wanted - 1) // 2:,} posts, "
            f"{len(sink.mails)} mails (the confirmation, then digests)"
        )
    medians = []
    for name, results in turns.items():
        middle = sorted(results, key=lambda r: r.requests_per_second)[len(results) // 2]
        medians.append(dataclasses.replace(middle, workload="post-turns", server=name))
    return medians


def report(results: list[Result]) -> None:
    print(f"\n{'workload':<11} {'server':<24} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'errors':>7} {'requests':>9}")  # fmt: skip
    for r in results:
        print(
            f"{r.workload:<11} {r.server:<24} {r.requests_per_second:>10.1f} {r.p50_ms:>8.2f} "
            f"{r.p99_ms:>8.2f} {r.errors:>7} {r.requests:>9}"
        )
    by = {(r.workload, r.server): r for r in results}
    if ("read", "nginx") in by and ("read", "rejoinder") in by:
        share = (
            by["read", "rejoinder"].requests_per_second / by["read", "nginx"].requests_per_second
        )
        print(f"ratio read  rejoinder/nginx = {share:.2f}x")
    if ("post-turns", "rejoinder+webhooks+mail") in by and ("post-turns", "rejoinder") in by:
        kept = (
            by["post-turns", "rejoinder+webhooks+mail"].requests_per_second
            / by["post-turns", "rejoinder"].requests_per_second
        )
        print(f"ratio post  with notifications/without = {kept:.2f}x")
    for workload in ("read", "post"):
        if (workload, "isso") in by and (workload, "rejoinder") in by:
            ratio = (
                by[workload, "rejoinder"].requests_per_second
                / by[workload, "isso"].requests_per_second
            )
            print(f"ratio {workload:<5} rejoinder/isso = {ratio:.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per workload")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-isso", action="store_true", help="do not measure Isso")
    parser.add_argument("--skip-nginx", action="store_true", help="do not measure nginx")
    parser.add_argument(
        "--skip-outbox",
        action="store_true",
        help="do not measure posting with webhooks and reply mails",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="turns of posting with and without webhooks"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} cores; {ensure_wrk()}")
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="rejoinder-bench-") as tmp:
        work = Path(tmp)
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("REJOINDER_")},
            "REJOINDER_DATABASE_URL": f"sqlite:///{work / 'rejoinder.db'}",
            # One load generator posts for every reader; measure throughput, not the limiter.
            "REJOINDER_RATE_POSTS_PER_ADDRESS": "1000000/1m",
        }
        command = [str(ROOT / ".venv" / "bin" / "rejoinder"), "serve", "--workers", "2"]
        command += ["--port", str(port), "--no-access-log"]
        server = rejoinder_server(port)
        with running(command, env, server.url + "/healthz"):
            results += benchmark(server, args, work)
            if not args.skip_outbox:
                results += with_webhooks(server, args, work, env)
            thread_bytes = httpx.get(server.url + server.read_path).content
        if not args.skip_nginx:
            port = free_port()
            static = Server(
                "nginx", port, "/thread.json", "", lambda *a: {}, lambda d: 0, lambda c: 0
            )
            print(f"nginx: the same {len(thread_bytes):,} bytes as a static file")
            with running(nginx_setup(work, port, thread_bytes), env, static.url + "/thread.json"):
                results.append(measure(static, "read", args, work))
        if not args.skip_isso:
            port = free_port()
            command, env, version = isso_setup(work, port)
            print(f"isso {version} under gunicorn -w 2, guard off")
            server = isso_server(port)
            with running(command, env, server.url + "/info"):
                results += benchmark(server, args, work)
    report(results)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    failed = [r for r in results if r.errors]
    for r in failed:
        print(f"FAILED: {r.server} {r.workload} had {r.errors} failed requests", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
