"""A reader of the widget embedded on a publisher's own site stays one reader.

The widget runs in the publisher's page (http://localhost:P2) and talks to Rejoinder on another
site (http://127.0.0.1:P1), so the browser never stores or sends Rejoinder's voter cookie. The
reader token the widget keeps in the publisher's storage is what makes their votes, reports,
edits, bans and data theirs. Each test runs with Chromium's defaults and with third-party
cookies blocked, and uses a thread of its own. Nothing here uses Playwright's request routing:
it turns the browser's HTTP cache off, and with it the stale page a reader would be shown.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    SSO_SECRET,
    TIMEOUT_MS,
    PublisherSite,
    launch_with_moderator,
    show_comments,
)
from tests.browser.test_widget_moderation import sso_token
from tests.cli.conftest import Server
from tests.support import MODERATOR_PASSWORD, form_token

MODES = {
    "chromium-defaults": "browser",
    "third-party-cookies-blocked": "browser_blocking_third_party_cookies",
}
READER_KEY = "rejoinder:reader"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, publisher: PublisherSite) -> Iterator[Server]:
    """`rejoinder demo` for the publisher's origin, with a moderator from `rejoinder user add`."""
    folder = tmp_path_factory.mktemp("identity")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REJOINDER_")}
    env.update(
        REJOINDER_DATABASE_URL=f"sqlite:///{folder / 'rejoinder.db'}",
        REJOINDER_ALLOWED_ORIGINS=publisher.origin,
        REJOINDER_SSO_SECRET=SSO_SECRET,
        # Every reader in these tests writes from one address, far faster than people do.
        REJOINDER_RATE_POSTS_PER_ADDRESS="1000/1m",
        REJOINDER_RATE_POSTS_PER_USER="1000/1m",
        REJOINDER_RATE_LOGINS="100/15m",
    )
    server = launch_with_moderator(env)
    try:
        yield server
    finally:
        server.stop_cleanly()


@pytest.fixture(scope="module", params=list(MODES))
def reader_browser(request: pytest.FixtureRequest):
    return request.getfixturevalue(MODES[request.param])


@pytest.fixture
def reader(reader_browser) -> Iterator:
    """A new reader: a fresh browser profile on the publisher's page, with its page errors."""
    context = reader_browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(error))
    yield page
    context.close()


class Story:
    """A publisher's article with the widget for a thread of its own."""

    def __init__(self, site: Server, publisher: PublisherSite, page, sso: str | None = None):
        self.site = site
        self.page = page
        self.thread = f"identity-{uuid.uuid4().hex[:10]}"
        extra = f' data-rejoinder-sso="{sso}"' if sso else ""
        self.url = publisher.story(f"{self.thread}.html", site, thread=self.thread, extra=extra)
        self.widget = page.locator("rejoinder-comments")

    def open(self) -> None:
        """Go to the article (again) and show its comments, as a reader does."""
        if self.page.url == self.url:
            self.page.reload()
        else:
            self.page.goto(self.url)
        show_comments(self.widget)
        expect(self.widget.locator("form.compose").first).to_be_visible()

    def comment(self, comment_id: int):
        return self.widget.locator(f"#comment-{comment_id}")

    def post(self, text: str, name: str = "Marta") -> None:
        """Fill in the form and press Post; the caller checks what the widget says."""
        form = self.widget.locator("form.compose").first
        form.get_by_label("Name").fill(name)
        form.get_by_label("Comment", exact=True).fill(text)
        form.get_by_role("button", name="Post").click()

    def posted(self, text: str) -> int:
        """Post a comment the widget shows; returns its id."""
        self.post(text)
        item = self.widget.locator("li.comment").filter(has_text=text)
        expect(item).to_be_visible()
        return int(item.get_attribute("data-id"))

    def seed(self, text: str, name: str = "Bohdan") -> int:
        """A comment by someone else, posted before the reader arrives."""
        response = httpx.post(
            f"{self.site.url}/api/comments",
            json={"thread": self.thread, "thread_url": self.url, "author_name": name, "body": text},
            headers={"Origin": self.site.url},
        )
        assert response.status_code == 201, response.text
        return response.json()["comment"]["id"]

    def on_server(self, comment_id: int) -> dict | None:
        """The comment as an anonymous reader gets it from the API, if it is on show."""
        response = httpx.get(
            f"{self.site.url}/api/comments",
            params={"thread": self.thread},
            headers={"Cache-Control": "no-cache"},
        )
        assert response.status_code == 200, response.text
        return next((c for c in response.json()["comments"] if c["id"] == comment_id), None)

    def stored_token(self) -> str | None:
        return self.page.evaluate(f"JSON.parse(localStorage.getItem({READER_KEY!r}))")


@pytest.fixture
def story(site, publisher, reader) -> Story:
    return Story(site, publisher, reader)


@contextmanager
def moderator(site: Server) -> Iterator[tuple[httpx.Client, str]]:
    """A moderator signed in to /admin over HTTP: the client and the session's CSRF token."""
    with httpx.Client(base_url=site.url, headers={"Origin": site.url}) as client:
        login = client.get("/admin/login")
        signed_in = client.post(
            "/admin/login",
            data={
                "username": "ana",
                "password": MODERATOR_PASSWORD,
                "csrf": form_token(login.text),
            },
        )
        assert signed_in.status_code == 303, signed_in.text
        yield client, form_token(client.get("/admin").text)


def reports_seen_by_moderator(site: Server, comment_id: int) -> int:
    with moderator(site) as (client, _):
        html = client.get(f"/admin/comments/{comment_id}").text
    found = re.search(r"<strong>(\d+) reports?</strong>", html)
    return int(found.group(1)) if found else 0


def test_up_down_up_leaves_one_vote(story):
    comment_id = story.seed("Vote on this one, however often you change your mind.")
    story.open()
    item = story.comment(comment_id)
    up, down = item.locator(".vote.up"), item.locator(".vote.down")
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(up.locator(".count")).to_have_text("1")
    down.click()
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(down.locator(".count")).to_have_text("1")
    expect(up.locator(".count")).to_have_text("0")
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(up.locator(".count")).to_have_text("1")
    expect(down.locator(".count")).to_have_text("0")
    assert story.on_server(comment_id)["votes"] == {"up": 1, "down": 0}


def test_quick_clicks_of_a_new_reader_count_as_one_reader(story):
    comment_id = story.seed("Click fast, change your mind faster.")
    story.open()
    item = story.comment(comment_id)
    up, down = item.locator(".vote.up"), item.locator(".vote.down")
    # No waiting between clicks: the first vote has not brought the reader's token back yet.
    up.click()
    down.click()
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(up.locator(".count")).to_have_text("1")
    expect(down.locator(".count")).to_have_text("0")
    assert story.on_server(comment_id)["votes"] == {"up": 1, "down": 0}


def test_my_vote_shows_after_a_reload(story):
    comment_id = story.seed("A comment worth an up vote.")
    story.open()
    up = story.comment(comment_id).locator(".vote.up")
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    story.open()
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(up.locator(".count")).to_have_text("1")
    # The server remembers the vote, not only this browser: without the widget's own list of
    # votes (another version of it, cleared storage) the up button still shows as pressed.
    story.page.evaluate("localStorage.removeItem('rejoinder:votes')")
    story.open()
    expect(up).to_have_attribute("aria-pressed", "true")
    # Pressing it again takes this reader's vote back rather than adding another reader's.
    up.click()
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(up.locator(".count")).to_have_text("0")
    assert story.on_server(comment_id)["votes"] == {"up": 0, "down": 0}


def test_my_new_comment_shows_after_an_immediate_reload(story):
    story.seed("The first comment, read before the reader writes.")
    story.open()
    expect(story.widget.get_by_role("heading", name="Comments (1)")).to_be_visible()
    story.posted("Posted, then reloaded at once.")
    story.open()
    expect(
        story.widget.locator("li.comment").filter(has_text="Posted, then reloaded at once.")
    ).to_be_visible()
    expect(story.widget.get_by_role("heading", name="Comments (2)")).to_be_visible()


def test_i_edit_and_then_delete_my_comment_after_reloads(story):
    story.open()
    comment_id = story.posted("My first thoughts, typo and all.")
    story.open()
    item = story.comment(comment_id)
    item.get_by_role("button", name="Edit").click()
    item.get_by_role("textbox").fill("My first thoughts, corrected.")
    item.get_by_role("button", name="Save").click()
    expect(item.locator(".text")).to_have_text("My first thoughts, corrected.")
    expect(item.locator(".edited")).to_be_visible()
    # Without the edit token this browser kept, the reader's identity shows the comment is theirs.
    story.page.evaluate("localStorage.removeItem('rejoinder:own')")
    story.open()
    expect(item.get_by_role("button", name="Edit")).to_be_visible()
    story.page.once("dialog", lambda dialog: dialog.accept())
    item.get_by_role("button", name="Delete").click()
    expect(item.get_by_text("This comment was deleted.")).to_be_visible()
    assert (story.on_server(comment_id) or {"deleted": True})["deleted"] is True


def active_bans(client: httpx.Client) -> list[tuple[str, int]]:
    """(kind, id) of each ban on the moderator's list of active bans."""
    html = client.get("/admin/bans").text
    return [
        (kind, int(ban_id))
        for kind, ban_id in re.findall(
            r'<tr data-kind="(\w+)">.*?/admin/bans/(\d+)/lift', html, re.S
        )
    ]


def test_a_banned_reader_is_refused_on_their_next_post(story, site):
    story.open()
    comment_id = story.posted("Something a moderator will not like.")
    with moderator(site) as (client, csrf):
        try:
            banned = client.post(
                f"/admin/comments/{comment_id}",
                data={"csrf": csrf, "action": "ban", "ban_by": "author", "days": "1"},
            )
            assert banned.status_code == 303, banned.text
            # "Ban author" holds a guest by their reader identity alone, not by the address
            # every reader in these tests shares.
            assert [kind for kind, _ in active_bans(client)] == ["voter"]
            story.open()
            story.post("I am back with more of the same.")
            form = story.widget.locator("form.compose").first
            expect(form.locator(".form-error")).to_contain_text("You cannot comment here")
            story.open()
            expect(story.widget.locator("li.comment").filter(has_text="back with")).to_have_count(0)
            story.seed("Someone else on the same network still may.")
        finally:
            for _, ban_id in active_bans(client):
                client.post(f"/admin/bans/{ban_id}/lift", data={"csrf": csrf})


def test_my_data_holds_my_comments(story, site):
    story.open()
    story.posted("Words I may want to take home one day.")
    token = story.stored_token()
    assert token, f"the widget stored no reader token under {READER_KEY}"
    result = story.page.evaluate(
        """async ([base, token]) => {
            const response = await fetch(`${base}/api/me/data`, {
                headers: { "X-Rejoinder-Reader": token },
                cache: "no-cache",
            });
            return { status: response.status, data: await response.json() };
        }""",
        [site.url, token],
    )
    assert result["status"] == 200, result
    bodies = [comment["body"] for comment in result["data"]["comments"]]
    assert "Words I may want to take home one day." in bodies


def test_my_reports_of_one_comment_count_once(story, site):
    comment_id = story.seed("A comment this reader finds off-topic.")
    story.open()
    item = story.comment(comment_id)
    report = item.get_by_role("button", name="Report")
    report.click()
    item.get_by_label("Off-topic").check()
    item.get_by_role("button", name="Send report").click()
    expect(item.get_by_text("Thanks. The moderators will take a look.")).to_be_visible()
    report.click()  # closes the thanks
    report.click()
    item.get_by_label("Spam").check()
    item.get_by_role("button", name="Send report").click()
    # Whether the widget thanks them again or says they already did, it answers.
    expect(item.locator(".report-form [role=status]:not(:empty)")).to_have_count(1)
    assert reports_seen_by_moderator(site, comment_id) == 1
    other = httpx.post(f"{site.url}/api/readers", json={}, headers={"Origin": site.url})
    assert other.status_code == 201, other.text
    reported = httpx.post(
        f"{site.url}/api/comments/{comment_id}/reports",
        json={"reason": "spam"},
        headers={"Origin": site.url, "X-Rejoinder-Reader": other.json()["token"]},
    )
    assert reported.status_code == 201, reported.text
    # Two readers from one address are not the three distinct readers that hide a comment.
    assert story.on_server(comment_id) is not None
    story.open()
    expect(item).to_be_visible()


def test_a_signed_in_reader_replies_from_the_text_box(site, publisher, reader):
    story = Story(site, publisher, reader, sso=sso_token("Iryna"))
    comment_id = story.seed("Ask me anything about the article.")
    story.open()
    item = story.comment(comment_id)
    item.get_by_role("button", name="Reply").click()
    text = item.locator("form.reply-form").get_by_label("Comment", exact=True)
    expect(text).to_be_focused()
    text.fill("A question from a signed-in reader.")
    item.locator("form.reply-form").get_by_role("button", name="Post").click()
    expect(
        item.locator("ol.replies li.comment").filter(has_text="A question from a signed")
    ).to_be_visible()
    assert reader.errors == []
