"""What moderation looks like to readers in the widget: signing in through the publisher,
reporting a comment, and a comment that waits for a moderator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_SLUG, SSO_SECRET, post_comment, show_comments


def sso_token(name: str, roles: list[str] | None = None) -> str:
    expires = datetime.now(UTC) + timedelta(minutes=30)
    claims = {"sub": f"id-{name}", "name": name, "exp": int(expires.timestamp())}
    if roles:
        claims["roles"] = roles
    return jwt.encode(claims, SSO_SECRET, algorithm="HS256")


def test_a_publishers_signed_in_staff_member_comments_with_a_staff_badge(demo, publisher, page):
    token = sso_token("Desk Editor", ["staff"])
    url = publisher.story("signed-in.html", demo, extra=f' data-rejoinder-sso="{token}"')
    page.goto(url)
    widget = page.locator("rejoinder-comments")
    show_comments(widget)
    expect(widget.get_by_text("Commenting as Desk Editor")).to_be_visible()
    expect(widget.get_by_label("Name")).to_have_count(0)
    widget.get_by_label("Comment", exact=True).fill("A note from the desk: sources updated.")
    widget.get_by_role("button", name="Post").click()
    mine = widget.locator("li.comment").filter(has_text="A note from the desk")
    expect(mine.locator(".badge.staff")).to_have_text("Staff")
    expect(mine.locator(".badge.guest")).to_have_count(0)


def test_a_reader_reports_a_comment_with_a_reason(demo, page):
    created = post_comment(demo, "Report-worthy words for the test.")
    page.goto(f"{demo.url}/articles/{DEMO_SLUG}")
    widget = page.locator("rejoinder-comments")
    show_comments(widget)
    item = widget.locator(f"#comment-{created['comment']['id']}")
    item.get_by_role("button", name="Report").click()
    item.get_by_label("Misinformation").check()
    item.get_by_role("button", name="Send report").click()
    expect(item.get_by_text("Thanks. The moderators will take a look.")).to_be_visible()


def test_a_comment_that_waits_for_a_moderator_says_so_and_is_not_shown(demo, page):
    page.goto(f"{demo.url}/articles/{DEMO_SLUG}")
    widget = page.locator("rejoinder-comments")
    show_comments(widget)
    form = widget.locator("form.compose").first
    form.get_by_label("Name").fill("Links Galore")
    form.get_by_label("Comment", exact=True).fill(
        "See https://a.example/1 and https://b.example/2 and https://c.example/3"
    )
    form.get_by_role("button", name="Post").click()
    expect(form.get_by_text("will appear once a moderator has read it")).to_be_visible()
    expect(widget.locator("li.comment").filter(has_text="Links Galore")).to_have_count(0)
