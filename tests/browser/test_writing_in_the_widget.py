"""Writing in the widget: what the reader typed survives every refusal, an edit keeps every
choice the first post had, the form knows the server's limits, and a reader who has written
can take their words home or erase them."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from rejoinder.domain.comments import MAX_BODY_LENGTH, MAX_EMAIL_LENGTH
from rejoinder.domain.names import MAX_NAME_LENGTH
from tests.browser.conftest import PublisherSite, demo_environment
from tests.cli.conftest import Server, launch

BANNED = "frobnicate"
NETWORK = "Could not reach the comments server. Check your connection and try again."


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, publisher: PublisherSite) -> Iterator[Server]:
    """`rejoinder demo` for the publisher's site, with a word its rules refuse."""
    folder = tmp_path_factory.mktemp("writing")
    server = launch(["demo"], demo_environment(folder, publisher, REJOINDER_BANNED_WORDS=BANNED))
    try:
        yield server
    finally:
        server.stop_cleanly()


class Story:
    """A publisher's article with the widget for a thread of its own."""

    def __init__(self, site: Server, publisher: PublisherSite, page) -> None:
        self.site = site
        self.page = page
        self.thread = f"writing-{uuid.uuid4().hex[:10]}"
        self.url = publisher.story(f"{self.thread}.html", site, thread=self.thread)
        self.widget = page.locator("rejoinder-comments")
        self.form = self.widget.locator("form.compose").first
        self.text = self.form.get_by_label("Comment", exact=True)

    def open(self) -> None:
        self.page.goto(self.url)
        self.widget.get_by_role("button", name="Show comments").click()
        expect(self.form).to_be_visible()

    def post(self, text: str, name: str = "Marta") -> None:
        self.form.get_by_label("Name").fill(name)
        self.text.fill(text)
        self.form.get_by_role("button", name="Post").click()

    def posted(self, text: str, **choices: bool) -> int:
        if choices.get("spoiler"):
            self.form.get_by_label("Contains spoilers").check()
        self.post(text)
        item = self.widget.locator("li.comment").filter(has_text=text)
        if choices.get("spoiler"):
            item = self.widget.locator("li.comment").filter(
                has=self.page.locator(".spoiler-comment")
            )
        expect(item).to_have_count(1)
        return int(item.get_attribute("data-id"))

    def comment(self, comment_id: int):
        return self.widget.locator(f"#comment-{comment_id}")

    def on_server(self) -> list[dict]:
        response = httpx.get(
            f"{self.site.url}/api/comments",
            params={"thread": self.thread},
            headers={"Cache-Control": "no-cache"},
        )
        assert response.status_code == 200, response.text
        return response.json()["comments"]


@pytest.fixture
def story(site, publisher, page) -> Story:
    story = Story(site, publisher, page)
    story.open()
    return story


# Keeping the reader's words (issue 15).


def test_a_post_the_rules_refuse_keeps_the_readers_text(story):
    words = f"Honestly, I {BANNED} every morning."
    story.post(words)
    # Told why first (the nudge), with the text kept; sent as it is, it is refused.
    expect(story.form.locator(".nudge")).to_contain_text("words this site does not publish")
    expect(story.text).to_have_value(words)
    story.form.get_by_role("button", name="Post as it is").click()
    expect(story.form.locator(".form-error")).to_have_text(
        "Your comment was not published because it breaks this site's rules."
    )
    expect(story.text).to_have_value(words)


def test_a_post_the_server_refuses_keeps_the_text_and_says_why_beside_the_field(story):
    words = "Signed as someone I am not."
    story.post(words, name="Moderator")
    expect(story.form.locator(".field.author_name .error")).to_contain_text("reserved")
    expect(story.text).to_have_value(words)
    assert story.on_server() == []


def test_a_post_that_cannot_reach_the_server_keeps_the_text(story):
    words = "Typed on a train, sent in a tunnel."
    story.page.route(
        re.compile(r"/api/comments$"),
        lambda route: (
            route.abort("internetdisconnected")
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    story.post(words)
    expect(story.form.locator(".form-error")).to_have_text(NETWORK)
    expect(story.text).to_have_value(words)
    # Back online, the same press sends it.
    story.page.unroute(re.compile(r"/api/comments$"))
    story.form.get_by_role("button", name="Post").click()
    expect(story.widget.locator("li.comment").filter(has_text=words)).to_be_visible()
    expect(story.text).to_have_value("")


def test_an_edit_the_moderators_must_read_first_says_so_and_keeps_the_text(story):
    comment_id = story.posted("A plain first version.")
    heading = story.widget.get_by_role("heading", name="Comments (1)")
    expect(heading).to_be_visible()
    item = story.comment(comment_id)
    item.get_by_role("button", name="Edit").click()
    # More links than the site lets through unread: the edit waits in the queue.
    words = "Sources: https://a.example/1 https://b.example/2 https://c.example/3"
    item.get_by_role("textbox").fill(words)
    item.get_by_role("button", name="Save").click()
    expect(item.get_by_role("status")).to_contain_text("Your edit is waiting for a moderator")
    expect(item.get_by_role("textbox", name="Your text")).to_have_value(words)
    # Readers no longer see it, the count says so, and the author still has the notice.
    expect(story.widget.get_by_role("heading", name="Comments (0)")).to_be_visible()
    expect(item.get_by_role("status")).to_contain_text("Your edit is waiting for a moderator")
    assert story.on_server() == []


def test_an_edit_the_rules_refuse_says_so_and_keeps_the_text(story):
    comment_id = story.posted("A fine comment, for now.")
    item = story.comment(comment_id)
    item.get_by_role("button", name="Edit").click()
    words = f"On second thoughts, {BANNED} it all."
    item.get_by_role("textbox").fill(words)
    item.get_by_role("button", name="Save").click()
    expect(item.locator(".edit-form .error")).to_contain_text("words this site does not publish")
    item.get_by_role("button", name="Save as it is").click()
    expect(item.get_by_role("status")).to_contain_text("Your edit was not published")
    expect(item.get_by_role("textbox", name="Your text")).to_have_value(words)


def test_an_edit_that_cannot_reach_the_server_keeps_the_form(story):
    comment_id = story.posted("Almost right.")
    item = story.comment(comment_id)
    item.get_by_role("button", name="Edit").click()
    story.page.route(re.compile(rf"/api/comments/{comment_id}$"), lambda route: route.abort())
    item.get_by_role("textbox").fill("Right now.")
    item.get_by_role("button", name="Save").click()
    expect(item.locator(".edit-form .error")).to_have_text(NETWORK)
    expect(item.locator(".edit-form textarea")).to_have_value("Right now.")


# The edit form and the limits.


def test_the_edit_form_keeps_and_sends_the_spoiler_choice(story):
    comment_id = story.posted("The butler did it.", spoiler=True)
    item = story.comment(comment_id)
    item.get_by_role("button", name="Edit").click()
    box = item.locator(".edit-form").get_by_label("Contains spoilers")
    expect(box).to_be_checked()
    item.get_by_role("textbox").fill("The butler did it, with the candlestick.")
    box.uncheck()
    item.get_by_role("button", name="Save").click()
    expect(item.locator(".spoiler-cover")).to_have_count(0)
    expect(item.locator(".text")).to_have_text("The butler did it, with the candlestick.")
    assert [c["spoiler"] for c in story.on_server()] == [False]

    item.get_by_role("button", name="Edit").click()
    box = item.locator(".edit-form").get_by_label("Contains spoilers")
    expect(box).not_to_be_checked()
    box.check()
    item.get_by_role("button", name="Save").click()
    expect(item.locator(".spoiler-cover")).to_have_count(1)
    assert [c["spoiler"] for c in story.on_server()] == [True]


def test_the_form_allows_the_names_and_addresses_the_server_allows(story):
    name = story.form.get_by_label("Name")
    expect(name).to_have_attribute("maxlength", str(MAX_NAME_LENGTH))
    expect(story.form.get_by_label("Email", exact=False)).to_have_attribute(
        "maxlength", str(MAX_EMAIL_LENGTH)
    )
    name.press_sequentially("N" * (MAX_NAME_LENGTH + 5))
    expect(name).to_have_value("N" * MAX_NAME_LENGTH)
    limits = story.page.evaluate(
        "async (base) => (await import(`${base}/static/widget/render.js`)).LIMITS", story.site.url
    )
    assert limits == {"name": MAX_NAME_LENGTH, "email": MAX_EMAIL_LENGTH, "body": MAX_BODY_LENGTH}


def test_the_reader_sees_how_many_characters_are_left_near_the_limit(story):
    counter = story.form.locator(".counter")
    almost = MAX_BODY_LENGTH * 9 // 10
    story.text.fill("a" * (almost - 1))
    expect(counter).to_be_hidden()
    story.text.fill("a" * almost)
    expect(counter).to_have_text(f"{MAX_BODY_LENGTH - almost} characters left")
    # Counted as the server counts: an emoji is one character.
    story.text.fill("a" * (MAX_BODY_LENGTH - 2) + "🙂")
    expect(counter).to_have_text("1 character left")
    story.text.fill("a" * (MAX_BODY_LENGTH + 3))
    expect(counter).to_have_text("3 characters too many")
    expect(counter).to_have_class(re.compile("over"))
    story.text.fill("Short again.")
    expect(counter).to_be_hidden()


def test_the_edit_form_counts_too(story):
    comment_id = story.posted("Short.")
    item = story.comment(comment_id)
    item.get_by_role("button", name="Edit").click()
    item.get_by_role("textbox").fill("b" * (MAX_BODY_LENGTH - 10))
    expect(item.locator(".edit-form .counter")).to_have_text("10 characters left")


# The reader's own data.


def test_a_reader_who_has_not_written_is_offered_no_data(story):
    expect(story.widget.get_by_role("button", name="Download my data")).to_have_count(0)
    expect(story.widget.get_by_role("button", name="Erase my comments")).to_have_count(0)


def test_a_reader_downloads_their_data(story):
    story.posted("Words I may want to take home one day.")
    with story.page.expect_download() as arriving:
        story.widget.get_by_role("button", name="Download my data").click()
    download = arriving.value
    assert download.suggested_filename == "rejoinder-my-data.json"
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert "Words I may want to take home one day." in [c["body"] for c in data["comments"]]
    # After a reload too: the widget remembers this reader wrote here.
    story.open()
    expect(story.widget.get_by_role("button", name="Download my data")).to_be_visible()


def test_a_reader_erases_their_comments(story):
    httpx.post(
        f"{story.site.url}/api/comments",
        json={"thread": story.thread, "author_name": "Bohdan", "body": "Someone else's."},
        headers={"Origin": story.site.url},
    ).raise_for_status()
    story.open()
    mine = story.posted("Second thoughts about everything.")
    messages: list[str] = []

    def accept(dialog) -> None:
        messages.append(dialog.message)
        dialog.accept()

    story.page.once("dialog", accept)
    story.widget.get_by_role("button", name="Erase my comments").click()
    expect(story.widget.get_by_role("status").filter(has_text="erased")).to_have_text(
        "1 comment erased."
    )
    assert messages == ["Erase all your comments? This cannot be undone."]
    expect(story.comment(mine)).to_have_count(0)
    expect(story.widget.locator("li.comment").filter(has_text="Someone else's.")).to_be_visible()
    expect(story.widget.get_by_role("button", name="Erase my comments")).to_have_count(0)
    assert ["Someone else's." in c["html"] for c in story.on_server()] == [True]
