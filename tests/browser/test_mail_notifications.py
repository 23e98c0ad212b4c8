"""A reader asks for replies by e-mail in the widget, confirms from the mail, hears of a
reply, and stops the mail with one click, against a real SMTP server."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    AXE,
    DEMO_SLUG,
    PublisherSite,
    demo_environment,
    show_comments,
)
from tests.browser.test_embed_and_look import axe_violations
from tests.cli.conftest import Server, launch
from tests.smtp import SmtpSink

READER = "marta@example.org"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


@pytest.fixture(scope="module")
def site_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="module")
def site(site_folder: Path, publisher: PublisherSite, smtp: SmtpSink) -> Iterator[Server]:
    folder = site_folder
    env = demo_environment(
        folder, publisher, REJOINDER_SMTP_URL=smtp.url, REJOINDER_OUTBOX_RETRY="1s"
    )
    server = launch(["demo"], env)
    try:
        yield server
    finally:
        server.stop_cleanly()


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return part.get_content()


def test_a_reader_confirms_hears_of_a_reply_and_unsubscribes_with_one_click(
    site, site_folder, publisher, page, smtp
):
    thread = f"mail-{uuid.uuid4().hex[:10]}"
    page.goto(publisher.story(f"{thread}.html", site, thread=thread))
    widget = page.locator("rejoinder-comments")
    widget.get_by_role("button", name="Show comments").click()
    form = widget.locator("form.compose").first
    form.get_by_label("Name").fill("Marta")
    form.get_by_label("Email (optional, never shown)").fill(READER)
    form.get_by_label("E-mail me replies").check()
    form.get_by_label("Comment", exact=True).fill("Who will answer me?")
    form.get_by_role("button", name="Post").click()
    mine = widget.locator("li.comment").filter(has_text="Who will answer me?")
    expect(mine).to_have_count(1)
    expect(form.locator(".form-error")).to_contain_text("We sent you an e-mail")

    parent = int(mine.get_attribute("data-id") or 0)

    (confirmation,) = smtp.wait_for(lambda got: len(got) == 1)
    assert confirmation["To"] == READER
    confirm = re.search(r"(http://\S+/mail/confirm\?token=\S+)", text_of(confirmation))
    assert confirm
    page.goto(confirm.group(1))
    expect(page.locator("main")).to_contain_text("Your address is confirmed")

    headers = {"Origin": publisher.origin}
    reply = {"thread": thread, "body": "I will, Marta.", "author_name": "Oleh"}
    answered = httpx.post(
        f"{site.url}/api/comments", json={**reply, "parent_id": parent}, headers=headers
    )
    assert answered.status_code == 201, answered.text
    _, notice = smtp.wait_for(lambda got: len(got) == 2)
    assert "I will, Marta." in text_of(notice)
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(notice["List-Unsubscribe"]).strip("<>")
    done = httpx.post(
        unsubscribe,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200

    # A later reply would wait for the digest window; with the subscription gone, nothing is
    # queued for it at all.
    again = {**reply, "body": "Still there?", "parent_id": parent}
    assert httpx.post(f"{site.url}/api/comments", json=again, headers=headers).status_code == 201
    with sqlite3.connect(site_folder / "rejoinder.db") as database:
        (queued,) = database.execute("SELECT count(*) FROM outbox WHERE kind = 'mail'").fetchone()
    assert queued == 2
    assert len(smtp.messages) == 2


def test_the_form_with_the_mail_choice_has_no_serious_accessibility_problems(site, browser):
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE} (make test installs it from npm)")
    # The page's CSP rightly refuses the injected axe script, so this context bypasses it.
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{site.url}/articles/{DEMO_SLUG}")
        widget = page.locator("rejoinder-comments")
        show_comments(widget)
        expect(widget.get_by_label("E-mail me replies")).to_be_visible()
        assert axe_violations(page) == []
    finally:
        context.close()
