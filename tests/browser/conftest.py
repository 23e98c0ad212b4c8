"""Browser fixtures: `rejoinder demo` on a real port, a publisher's page on another origin,
and Debian's Chromium driven by Playwright.

Chromium comes from Debian (`make test` installs it) because Playwright cannot download its
own browser here; without it these tests skip and say so. Screenshots go to
``artifacts/screenshots`` for a person to look at.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import Server, launch
from tests.support import MODERATOR_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".cache/node/node_modules/axe-core/axe.min.js"
SCREENSHOTS = ROOT / "artifacts/screenshots"
DEMO_SLUG = "explained-surge-in-russian-deserters"
# The publisher's single sign-on secret in the demo the browser tests run.
SSO_SECRET = "browser-tests-publisher-secret-32-bytes"
# The embed snippet as a publisher pastes it into a story page.
SNIPPET = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>A publisher's story</title></head>
<body><h1>A publisher's story</h1>
<div data-rejoinder-thread="{thread}"{extra}></div>
<script src="{server}/embed.js" async></script>
</body></html>"""
# Playwright's own waits; a test waits on conditions, and this only bounds a broken one.
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``browser``, so ``-m "not browser"`` leaves them out
    (a ``pytestmark`` here would not: pytest reads it from test modules only)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator:
    """Playwright for one test module, shared by its browsers (only one may run at a time).
    Its sync API keeps an event loop running while it is open, which would stop later tests'
    ``asyncio.run``, so it closes after each module."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


def _chromium(playwright, *flags: str) -> Iterator:
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_FLAGS, *flags], headless=True
    )
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def browser(playwright_driver) -> Iterator:
    """Chromium with its default settings, for one test module."""
    yield from _chromium(playwright_driver)


@pytest.fixture(scope="module")
def browser_blocking_third_party_cookies(playwright_driver) -> Iterator:
    """Chromium as it is once third-party cookies are gone: an embedded widget's server never
    gets its cookies back, whatever their SameSite."""
    yield from _chromium(playwright_driver, "--test-third-party-cookie-phaseout")


class PublisherSite:
    """A plain static site on its own origin, for the embed snippet."""

    def __init__(self, folder: Path) -> None:
        handler = partial(QuietHandler, directory=str(folder))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.folder = folder
        # `localhost` rather than 127.0.0.1: another origin and another site, as a real
        # publisher's would be.
        self.origin = f"http://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, name: str, html: str) -> str:
        (self.folder / name).write_text(html, encoding="utf-8")
        return f"{self.origin}/{name}"

    def story(
        self,
        name: str,
        server: Server,
        *,
        lang: str = "en",
        thread: str = DEMO_SLUG,
        extra: str = "",
    ) -> str:
        """The address of a story page of this site, in ``lang``, that embeds ``thread`` from
        ``server`` with the one-tag snippet; ``extra`` adds attributes to its placeholder."""
        html = SNIPPET.format(lang=lang, thread=thread, extra=extra, server=server.url)
        return self.page(name, html)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def publisher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublisherSite]:
    site = PublisherSite(tmp_path_factory.mktemp("publisher"))
    yield site
    site.close()


def demo_environment(folder: Path, publisher: PublisherSite, **extra: str) -> dict[str, str]:
    """The environment of `rejoinder demo` on a fresh SQLite file in ``folder``, for
    ``publisher``'s pages, with ``extra`` settings (``REJOINDER_LANGUAGE="uk"``) on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REJOINDER_")}
    env["REJOINDER_DATABASE_URL"] = f"sqlite:///{folder / 'rejoinder.db'}"
    env["REJOINDER_ALLOWED_ORIGINS"] = publisher.origin
    # The tests post for many readers from one address, far faster than one person would.
    env["REJOINDER_RATE_POSTS_PER_ADDRESS"] = "1000/1m"
    env["REJOINDER_SSO_SECRET"] = SSO_SECRET
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, publisher: PublisherSite) -> Iterator[Server]:
    """`rejoinder demo` as a new user runs it, on a fresh SQLite file and a free port."""
    server = launch(["demo"], demo_environment(tmp_path_factory.mktemp("demo"), publisher))
    try:
        yield server
    finally:
        server.stop_cleanly()


@pytest.fixture
def context(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


def launch_with_moderator(env: dict[str, str], role: str = "moderator") -> Server:
    """`rejoinder demo` on a database migrated first and given a moderator, ana (of
    ``role``), by `rejoinder user add`, as a newsroom sets one up."""
    command = [sys.executable, "-m", "rejoinder"]
    subprocess.run([*command, "migrate"], env=env, check=True, capture_output=True)
    added = subprocess.run(
        [*command, "user", "add", "ana", "--role", role, "--password-stdin"],
        env=env,
        input=MODERATOR_PASSWORD + "\n",
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stderr
    return launch(["demo"], env)


def post_comment(server: Server, body: str, **fields: object) -> dict:
    response = httpx.post(
        f"{server.url}/api/comments",
        json={"thread": DEMO_SLUG, "author_name": "Olena", "body": body, **fields},
        headers={"Origin": server.url},
    )
    assert response.status_code == 201, response.text
    return response.json()


def screenshot(page, name: str, *, at_least: int = 5_000) -> Path:
    """The whole page as ``artifacts/screenshots/<name>``, for a person to review; a file
    this small (``at_least`` bytes) would be a blank page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > at_least, f"{name} looks blank"
    return path


def show_comments(widget) -> None:
    """Open the discussion as a reader does. On a publisher's page it starts closed; on
    Rejoinder's own article pages it opens by itself, taking over the comments the server
    rendered, so there is nothing to press."""
    from playwright.sync_api import expect

    toggle = widget.locator("button.show")
    expect(toggle).to_be_visible()
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
