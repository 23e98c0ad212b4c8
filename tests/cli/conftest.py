"""Fixtures for running the ``rejoinder`` command as a user would: real processes, real ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

# Lines for the run's summary: what the API fuzzing sent (tests/cli/test_api_fuzzing.py).
FUZZ_REPORTS = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    for line in config.stash.get(FUZZ_REPORTS, []):
        terminalreporter.write_line(f"API fuzzing, {line}")


def rejoinder(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rejoinder", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """Another database of the same kind as ``database_url``: migrated, and empty, to
    restore into. Ask for it before ``make_client``, so it outlives the test's apps."""
    from tests.conftest import _migrate, new_postgres, run

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'other.db'}"
        run(_migrate(url))
        yield url
        return
    yield from new_postgres("rejoinder_other")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REJOINDER_")}
    # The signing key file, which PostgreSQL would otherwise put in the working directory.
    key = str(tmp_path / "rejoinder.key")
    return {**clean, "REJOINDER_DATABASE_URL": database_url, "REJOINDER_SECRET_FILE": key}


class Server:
    def __init__(self, process: subprocess.Popen, port: int) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.output = ""  # what it printed, once stopped

    def stop(self) -> str:
        """Stop the server and every worker it started; what it printed (empty once it has
        been stopped before)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process.stdout.closed:
            return ""
        output = self.process.stdout.read()
        self.process.stdout.close()
        self.output += output
        return output

    def stop_cleanly(self) -> None:
        """Stop it, and fail if it printed a traceback: nothing a test sends may cause one."""
        self.stop()
        assert "Traceback" not in self.output, self.output[-6_000:]


def wait_until_healthy(server: Server, deadline_seconds: float = 30) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"server exited: {server.process.stdout.read()}")
        try:
            if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not become healthy")


def launch(
    args: list[str],
    env: dict[str, str],
    *,
    access_log: bool = False,
    program: Sequence[str] = (sys.executable, "-m", "rejoinder"),
    cwd: Path | None = None,
) -> Server:
    """``rejoinder <args>`` (or another ``program``'s) serving on a free port, returned once
    it answers /healthz; without its request log unless ``access_log``.

    The caller stops it (``Server.stop``), also when it never became healthy.
    """
    port = free_port()
    quiet = [] if access_log else ["--no-access-log"]
    process = subprocess.Popen(
        [*program, *args, "--port", str(port), *quiet],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    server = Server(process, port)
    try:
        wait_until_healthy(server)
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture
def start_server(env: dict[str, str], request: pytest.FixtureRequest) -> Iterator:
    """Starts ``rejoinder`` servers and stops them after the test, which fails if one of them
    printed a traceback (unless it is marked ``logs_traceback``)."""
    started: list[Server] = []

    def start(*args: str, access_log: bool = False) -> Server:
        server = launch(list(args), env, access_log=access_log)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
    if request.node.get_closest_marker("logs_traceback") is None:
        for server in started:
            server.stop_cleanly()
