"""A moderator clears the queue in a real browser: from the keyboard, with bans and editor's
picks, while new comments arrive live. Run on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy.engine import make_url

from tests.browser.conftest import DEMO_SLUG, launch_with_moderator, show_comments
from tests.cli.conftest import Server
from tests.conftest import POSTGRES_URL, _admin_sql, run
from tests.support import MODERATOR_PASSWORD


def _admin(statement: str) -> None:
    """Run one statement on the PostgreSQL server from a thread of its own: Playwright's sync
    API keeps an event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(run, _admin_sql(POSTGRES_URL, statement)).result()


def _database(kind: str, folder) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'moderated.db'}", None
    name = f"rejoinder_browser_{uuid.uuid4().hex[:10]}"
    try:
        _admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # any failure to reach the server
        pytest.skip(f"PostgreSQL server at {POSTGRES_URL} is not answering ({exc!r})")
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False), name


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def site(request, tmp_path_factory) -> Iterator[Server]:
    """`rejoinder demo` with a moderator added by `rejoinder user add`, and a suspect word."""
    folder = tmp_path_factory.mktemp("moderated")
    url, pg_name = _database(request.param, folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REJOINDER_")}
    env.update(
        REJOINDER_DATABASE_URL=url,
        # On PostgreSQL the key file would default to the working folder: keep it here.
        REJOINDER_SECRET_FILE=str(folder / "rejoinder.key"),
        REJOINDER_SUSPECT_WORDS="propaganda",
        REJOINDER_RATE_POSTS_PER_ADDRESS="1000/1m",
        REJOINDER_RATE_LOGINS="100/15m",  # every test signs in afresh
    )
    try:
        server = launch_with_moderator(env)
        try:
            yield server
        finally:
            server.stop_cleanly()
    finally:
        if pg_name:
            _admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def queued(server: Server, text: str, name: str = "Stepan") -> int:
    """A comment the pipeline sends to the queue (it names a suspect word)."""
    response = httpx.post(
        f"{server.url}/api/comments",
        json={
            "thread": DEMO_SLUG,
            "author_name": name,
            "body": f"{text} propaganda",
            "nudge_acknowledged": True,  # told why, sent anyway: it waits in the queue
        },
    )
    assert response.status_code == 201 and response.json()["status"] == "pending", response.text
    return response.json()["comment"]["id"]


def count(server: Server) -> int:
    page = httpx.get(f"{server.url}/api/comments", params={"thread": DEMO_SLUG}).json()
    return page["thread"]["comment_count"]


@pytest.fixture
def moderator(page, site):
    page.goto(f"{site.url}/admin")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(MODERATOR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Queues")).to_be_visible()
    return page


def test_moderator_approves_and_rejects_from_the_keyboard(moderator, site):
    page = moderator
    first, second = queued(site, "First for review"), queued(site, "Second for review")
    before = count(site)
    page.reload()
    expect(page.locator(f"#item-{first}")).to_have_class("item status-pending current")
    page.keyboard.press("a")
    expect(page.locator(f"#item-{first}")).to_have_count(0)
    expect(page.locator(f"#item-{second}")).to_have_class("item status-pending current")
    page.keyboard.press("r")
    expect(page.locator(f"#item-{second}")).to_have_count(0)
    expect(page.locator('[data-count="pending"]')).to_have_text("0")
    assert count(site) == before + 1
    page.goto(f"{site.url}/admin?queue=rejected")
    expect(page.locator(f"#item-{second}")).to_be_visible()


def test_moving_through_the_queue_with_j_and_k(moderator, site):
    page = moderator
    ids = [queued(site, f"Item {n}") for n in range(3)]
    page.reload()
    page.keyboard.press("j")
    expect(page.locator(f"#item-{ids[1]}")).to_have_class("item status-pending current")
    page.keyboard.press("k")
    expect(page.locator(f"#item-{ids[0]}")).to_have_class("item status-pending current")
    for _ in ids:
        page.keyboard.press("r")
    expect(page.locator("#empty")).to_be_visible()


def test_banning_an_author_by_address_stops_their_next_comment(moderator, site):
    page = moderator
    comment_id = queued(site, "Troll post", name="Troll")
    page.reload()
    item = page.locator(f"#item-{comment_id}")
    item.click(position={"x": 5, "y": 5})
    page.keyboard.press("b")
    item.get_by_label("Ban by").select_option("address")
    item.get_by_label("Ban for").select_option("1")
    item.get_by_label("Ban reason").fill("trolling")
    item.get_by_role("button", name="Ban author").click()
    expect(item).to_have_count(0)
    again = httpx.post(
        f"{site.url}/api/comments",
        json={"thread": DEMO_SLUG, "author_name": "Troll2", "body": "back again"},
    )
    assert again.status_code == 403 and again.json()["error"]["code"] == "banned"
    page.goto(f"{site.url}/admin/bans")
    row = page.get_by_role("row").filter(has_text="trolling")
    expect(row).to_be_visible()
    row.get_by_role("button", name="Lift").click()
    expect(page.get_by_text("No active bans.")).to_be_visible()


def test_featuring_a_comment_makes_it_the_editors_pick_in_the_widget(moderator, site):
    page = moderator
    comment_id = queued(site, "A thoughtful, well sourced comment", name="Halyna")
    page.reload()
    page.locator(f"#item-{comment_id}").click(position={"x": 5, "y": 5})
    page.keyboard.press("f")
    expect(page.locator(f"#item-{comment_id}")).to_have_count(0)  # approved, so it left Pending
    page.goto(f"{site.url}/articles/{DEMO_SLUG}")
    show_comments(page)
    pick = page.locator("rejoinder-comments").locator(".picks").locator(f"#comment-{comment_id}")
    expect(pick).to_be_visible()
    expect(pick.locator(".badge.pick")).to_have_text("Editor's pick")


def test_new_comments_arrive_in_the_open_queue_without_reloading(moderator, site):
    page = moderator
    page.reload()
    comment_id = queued(site, "Arrives live", name="Live")
    expect(page.locator(f"#item-{comment_id}")).to_be_visible()
    expect(page.locator('[data-count="pending"]')).not_to_have_text("0")
    # Tidy up for the next test, and wait for it: a reload would cancel a rejection on its way.
    page.keyboard.press("r")
    expect(page.locator(f"#item-{comment_id}")).to_have_count(0)


def test_an_action_the_network_drops_is_announced_and_the_next_key_still_works(moderator, site):
    page = moderator
    comment_id = queued(site, "Network trouble")
    page.reload()
    item = page.locator(f"#item-{comment_id}")
    expect(item).to_have_class("item status-pending current")
    dropped = []

    def drop_once(route):
        dropped.append(route.request.url)
        route.abort()

    page.route(f"**/admin/comments/{comment_id}", drop_once, times=1)
    page.keyboard.press("r")
    expect(page.locator("#announcer")).to_have_text("That did not work.")
    expect(item).to_have_count(1)
    expect(item).not_to_have_attribute("aria-busy", "true")
    page.keyboard.press("r")
    expect(item).to_have_count(0)
    expect(page.locator("#announcer")).to_contain_text(f"Comment {comment_id}: rejected")
    assert len(dropped) == 1


def test_the_queue_page_is_written_as_screenshots_for_review(moderator, site, request):
    from tests.browser.conftest import screenshot

    page = moderator
    ids = [queued(site, "Review screenshot", name=f"Shot{n}") for n in range(2)]
    kind = request.node.callspec.params["site"]
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.reload()
        screenshot(page, f"admin-queue-{kind}-{scheme}.png")
    for _ in ids:
        page.keyboard.press("r")
    expect(page.locator("#empty")).to_be_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_queue_has_no_serious_accessibility_problems(site, browser, scheme):
    from tests.browser.conftest import AXE
    from tests.browser.test_embed_and_look import axe_violations

    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE} (make test installs it from npm)")
    comment_id = queued(site, "Accessibility check", name="Axe")
    # The page's CSP rightly refuses the injected axe script, so this context bypasses it.
    context = browser.new_context(bypass_csp=True, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(f"{site.url}/admin")
        page.get_by_label("Username").fill("ana")
        page.get_by_label("Password").fill(MODERATOR_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        item = page.locator(f"#item-{comment_id}")
        expect(item).to_be_visible()
        assert axe_violations(page) == []
        item.get_by_role("heading", level=2).click()  # the queue may hold others before it
        expect(item).to_have_class("item status-pending current")
        page.keyboard.press("r")
        expect(page.locator(f"#item-{comment_id}")).to_have_count(0)
    finally:
        context.close()


# Last in the module: it leaves a comment in the queue, which the tests above expect empty.
def test_a_writer_is_nudged_keeps_their_text_and_may_send_it_as_it_is(site, page):
    page.goto(f"{site.url}/articles/{DEMO_SLUG}")
    widget = page.locator("rejoinder-comments")
    show_comments(widget)
    form = widget.locator("form.compose").first
    form.get_by_label("Name").fill("Petro")
    body = form.get_by_label("Comment")
    body.fill("This is propaganda, plain and simple.")
    before = count(site)
    form.get_by_role("button", name="Post").click()
    nudge = form.locator(".nudge")
    expect(nudge).to_contain_text("it uses words a moderator checks first")
    expect(body).to_have_value("This is propaganda, plain and simple.")  # kept
    form.get_by_role("button", name="Post as it is").click()
    awaiting = form.get_by_role("alert").filter(has_text="once a moderator has read it")
    expect(awaiting).to_be_visible()
    expect(nudge).to_be_hidden()
    assert count(site) == before  # waiting for a moderator, not published
