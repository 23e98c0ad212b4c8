"""The site's pages and the moderation screens in every shipped language, light and dark: the
page says which language it is in, speaks it, and has nothing an accessibility checker calls
serious or critical.

The public pages follow the site's `language` setting (one server a language); the
moderation pages follow each moderator's browser, so one server serves them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import expect

from rejoinder.catalogues import LANGUAGES, translations
from tests.browser.conftest import (
    AXE,
    DEMO_SLUG,
    TIMEOUT_MS,
    PublisherSite,
    demo_environment,
    launch_with_moderator,
)
from tests.browser.test_embed_and_look import axe_violations
from tests.cli.conftest import Server, launch
from tests.support import MODERATOR_PASSWORD

SCHEMES = ["light", "dark"]


@pytest.fixture(autouse=True)
def _axe_installed() -> None:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE} (make test installs it from npm)")


@pytest.fixture(scope="module")
def site_in(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    publisher: PublisherSite,
) -> Iterator[Callable[[str], Server]]:
    """A `rejoinder demo` whose pages speak ``language``, started the first time it is asked
    for and kept for the rest of the module (English is the default, the usual demo)."""
    servers: dict[str, Server] = {}

    def start(language: str) -> Server:
        if language == "en":
            return request.getfixturevalue("demo")
        if language not in servers:
            folder = tmp_path_factory.mktemp(f"site-{language}")
            env = demo_environment(folder, publisher, REJOINDER_LANGUAGE=language)
            servers[language] = launch(["demo"], env)
        return servers[language]

    try:
        yield start
    finally:
        for server in servers.values():
            server.stop_cleanly()


@pytest.fixture(scope="module")
def moderated(
    tmp_path_factory: pytest.TempPathFactory, publisher: PublisherSite
) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("moderated-languages")
    env = demo_environment(
        folder,
        publisher,
        REJOINDER_SUSPECT_WORDS="propaganda",
        REJOINDER_RATE_LOGINS="100/15m",
        REJOINDER_SECRET_FILE=str(folder / "rejoinder.key"),
    )
    server = launch_with_moderator(env, role="admin")  # an admin also sees /admin/import
    try:
        yield server
    finally:
        server.stop_cleanly()


def _context(browser, language: str, scheme: str):
    # The page's CSP rightly refuses the injected axe script, so the context bypasses it.
    context = browser.new_context(
        bypass_csp=True,
        color_scheme=scheme,
        locale=language,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_article_page_reads_well_in_each_language(site_in, browser, language, scheme):
    server = site_in(language)
    say = translations(language)
    context = _context(browser, "en-GB", scheme)  # the site's language, whatever the browser's
    try:
        page = context.new_page()
        page.goto(f"{server.url}/articles/{DEMO_SLUG}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("link", name=say.gettext("Skip to content"))).to_be_attached()
        expect(page.get_by_role("button", name=say.gettext("Search"), exact=True)).to_be_visible()
        widget = page.locator("rejoinder-comments")
        expect(widget.locator("li.comment")).to_have_count(2)
        assert axe_violations(page) == []
        page.get_by_text(say.gettext("Transcript"), exact=True).click()
        assert axe_violations(page) == []
    finally:
        context.close()


def _queued(server: Server, text: str) -> int:
    response = httpx.post(
        f"{server.url}/api/comments",
        json={
            "thread": DEMO_SLUG,
            "author_name": "Axe",
            "body": f"{text} propaganda",
            "nudge_acknowledged": True,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["comment"]["id"]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_admin_reads_well_in_each_language(moderated, browser, language, scheme):
    say = translations(language)
    comment_id = _queued(moderated, f"Accessibility in {language}")
    context = _context(browser, language, scheme)  # the browser's language picks the admin's
    try:
        page = context.new_page()
        page.goto(f"{moderated.url}/admin")
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.get_by_label(say.gettext("Username")).fill("ana")
        page.get_by_label(say.gettext("Password")).fill(MODERATOR_PASSWORD)
        page.get_by_role("button", name=say.gettext("Sign in")).click()
        item = page.locator(f"#item-{comment_id}")
        expect(item).to_be_visible()
        expect(page.get_by_role("navigation", name=say.gettext("Queues"))).to_be_visible()
        expect(item.locator(".status")).to_have_text(say.gettext("pending"))
        assert axe_violations(page) == []
        pages = ("/admin/settings", "/admin/audit", "/admin/reports", "/admin/import")
        for address in (*pages, "/admin/webhooks", "/admin/reports?period=fortnight"):
            page.goto(f"{moderated.url}{address}")
            expect(page.locator("html")).to_have_attribute("lang", language)
            assert axe_violations(page) == [], address
        page.goto(f"{moderated.url}/admin")
        item.get_by_role("button", name=say.gettext("Reject")).click()
        expect(item).to_have_count(0)
        told = say.gettext("Comment {id}: {action}, removed from this queue.")
        action = say.gettext("rejected")
        expect(page.locator("#announcer")).to_have_text(told.format(id=comment_id, action=action))
    finally:
        context.close()
