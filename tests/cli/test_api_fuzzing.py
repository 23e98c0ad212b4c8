"""The whole HTTP API, fuzzed from the OpenAPI document the server itself serves.

Schemathesis generates requests for every documented operation (examples, boundary values,
random data, and chains of calls that reuse what earlier answers returned) and sends them to
a real server on each database. The promises it holds the server to: no 5xx for anything a
client sends; every answer's status is documented for its operation, its body matches the
documented schema, and every refusal is the one error shape; a refused write changes no
table (``fuzz_hooks.py``); and the server logs no traceback.

The live-events stream is left out: a valid request to it never ends. Its refusals are
covered in ``tests/api/test_hostile_requests.py``.

Bounded to ``REJOINDER_FUZZ_SECONDS`` per database (60 in ``make test``; ``make fuzz`` runs
longer). The request counts appear in the test run's summary.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import FUZZ_REPORTS

HERE = Path(__file__).parent
SECONDS = int(os.environ.get("REJOINDER_FUZZ_SECONDS", "60"))
ADMIN_TOKEN = "fuzzing-admin-token-0123456789abcdef"
UNLIMITED = "1000000/1m"


def schemathesis_run(url: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        *("--config-file", str(HERE / "fuzz.toml")),
        *("run", f"{url}/api/docs/openapi.json"),
        *("--max-time", str(SECONDS)),
        *("--exclude-path", "/api/threads/events"),
        "--no-color",
    ]
    return subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=SECONDS + 300
    )


def test_no_generated_request_breaks_the_apis_promises(
    env: dict[str, str], start_server, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    env.update(
        REJOINDER_ADMIN_TOKEN=ADMIN_TOKEN,
        # The fuzzer posts and votes far faster than any reader; the limits have tests of their own.
        REJOINDER_RATE_POSTS_PER_ADDRESS=UNLIMITED,
        REJOINDER_RATE_POSTS_PER_USER=UNLIMITED,
        REJOINDER_RATE_VOTES_PER_ADDRESS=UNLIMITED,
    )
    server = start_server("demo", "--host", "127.0.0.1")
    paths = httpx.get(f"{server.url}/api/docs/openapi.json").json()["paths"]
    documented = {
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        if path != "/api/threads/events"
        for method in operations
    }
    reader = httpx.post(f"{server.url}/api/readers").json()["token"]
    counts = tmp_path / "fuzz-counts.json"
    run = schemathesis_run(
        server.url,
        {
            **env,
            "NO_COLOR": "1",
            "REJOINDER_FUZZ_HOOKS": str(HERE / "fuzz_hooks.py"),
            "REJOINDER_FUZZ_COUNT_FILE": str(counts),
            "REJOINDER_FUZZ_READER": reader,
        },
        tmp_path,
    )
    log = server.stop()

    assert run.returncode == 0, run.stdout[-12_000:] + run.stderr[-4_000:]
    assert "Traceback" not in log, log[-8_000:]
    report = json.loads(counts.read_text())
    answers = {op: tally for op, tally in report["answers"].items() if op in documented}
    never_taken = sorted(
        op for op in documented if not any(a[0] == "2" for a in answers.get(op, {}))
    )
    lines = run.stdout.splitlines()
    cases = next(
        (after.strip() for line, after in itertools.pairwise(lines) if "Test cases" in line), ""
    )
    database = "postgresql" if env["REJOINDER_DATABASE_URL"].startswith("postgres") else "sqlite"
    request.config.stash.setdefault(FUZZ_REPORTS, []).append(
        f"{database}: {report['requests']:,} requests in {SECONDS} s ({cases}); "
        f"{len(documented) - len(never_taken)} of {len(documented)} operations answered 2xx"
        + (f", never: {', '.join(never_taken)}" if never_taken else "")
    )
