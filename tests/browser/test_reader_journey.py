"""What a reader does on the demo article, in a real Chromium against `rejoinder demo`."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_SLUG, post_comment, show_comments


def comments_of(page):
    return page.locator("rejoinder-comments li.comment")


def test_reader_follows_the_front_page_to_the_article_and_its_discussion(demo, page):
    page.goto(demo.url + "/")
    expect(page.get_by_role("link", name=re.compile("Comments \\(2\\)"))).to_be_visible()
    page.get_by_role("link", name=re.compile("EXPLAINED: Surge in Russian Deserters")).click()
    expect(page).to_have_url(f"{demo.url}/articles/{DEMO_SLUG}")
    expect(page).to_have_title(re.compile("^EXPLAINED: Surge in Russian Deserters"))

    today = datetime.now(UTC).date().isoformat()
    expect(page.locator(f"header time[datetime='{today}']")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Search")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "EXPLAINED: Surge in Russian Deserters, Kremlin Tries to Crack Down"
    )
    expect(page.locator(".byline")).to_contain_text("By Anya Korzun")
    expect(page.locator("video#story-video")).to_be_visible()

    page.get_by_text("Transcript", exact=True).click()
    cues = page.locator(".transcript button.cue")
    expect(cues.first).to_be_visible()
    assert cues.count() >= 5
    third = float(cues.nth(2).get_attribute("data-start"))
    cues.nth(2).click()
    page.wait_for_function(
        f"Math.abs(document.getElementById('story-video').currentTime - {third}) < 1.5"
    )

    widget = page.locator("rejoinder-comments")
    expect(widget.get_by_role("heading", name="Comments (2)")).to_be_visible()
    # The server rendered the comments; the widget took them over, open.
    expect(widget.get_by_role("button", name="Hide comments")).to_be_visible()
    expect(comments_of(page)).to_have_count(2)
    expect(widget.locator(".badge.guest")).to_have_text(["Guest", "Guest"])
    expect(widget.locator("time")).to_have_text(["1 day ago", "1 week ago"])
    assert widget.locator("time").first.get_attribute("title")
    covers = widget.get_by_role(
        "button", name="This comment contains spoilers. Click here if you want to read."
    )
    expect(covers).to_have_count(2)
    expect(widget.get_by_text("Transcript please.")).to_be_hidden()

    covers.last.click()
    expect(widget.get_by_text("Transcript please.")).to_be_visible()
    expect(covers).to_have_count(1)

    widget.get_by_role("button", name="Oldest").click()
    expect(widget.locator(".author")).to_have_text(["Mr Person", "John"])
    widget.get_by_role("button", name="Newest").click()
    expect(widget.locator(".author")).to_have_text(["John", "Mr Person"])

    page.reload()
    show_comments(page.locator("rejoinder-comments"))
    expect(page.locator("rejoinder-comments .author")).to_have_text(["John", "Mr Person"])
    expect(
        page.locator("rejoinder-comments").get_by_role("button", name="Newest")
    ).to_have_attribute("aria-pressed", "true")

    widget = page.locator("rejoinder-comments")
    first = comments_of(page).first
    first.get_by_role("button", name="Reply").click()
    form = first.locator("form.reply-form")
    form.get_by_label("Name").fill("Olena")
    form.get_by_label("Comment").fill("Here is the transcript, under the video.")
    form.get_by_role("button", name="Post").click()
    expect(widget.get_by_role("heading", name="Comments (3)")).to_be_visible()
    reply = first.locator("ol.replies li.comment")
    expect(reply).to_have_count(1)
    expect(reply.locator(".author")).to_have_text("Olena")
    expect(reply.locator("time")).to_have_text(re.compile("now|second"))
    expect(reply.get_by_role("button", name="Edit")).to_be_visible()


def test_a_second_reader_sees_a_new_comment_arrive_without_reloading(demo, context):
    first, second = context.new_page(), context.new_page()
    for reader in (first, second):
        reader.goto(f"{demo.url}/articles/{DEMO_SLUG}")
        show_comments(reader.locator("rejoinder-comments"))
        expect(reader.locator("rejoinder-comments li.comment").first).to_be_visible()
    before = second.locator("rejoinder-comments li.comment").count()

    form = first.locator("rejoinder-comments form.compose").first
    form.get_by_label("Name").fill("Taras")
    form.get_by_label("Comment").fill("Live from the first tab.")
    form.get_by_role("button", name="Post").click()
    expect(
        first.locator("rejoinder-comments").get_by_text("Live from the first tab.")
    ).to_be_visible()

    widget = second.locator("rejoinder-comments")
    new = widget.get_by_role("button", name="1 new comment")
    expect(new).to_be_visible()
    expect(widget.locator("li.comment")).to_have_count(before)
    new.click()
    expect(widget.get_by_text("Live from the first tab.")).to_be_visible()
    expect(widget.locator("li.comment")).to_have_count(before + 1)


def test_a_comment_link_opens_the_discussion_and_highlights_it(demo, page):
    created = post_comment(demo, "Linked comment, to share.")
    page.goto(f"{demo.url}/articles/{DEMO_SLUG}#comment-{created['comment']['id']}")
    target = page.locator(f"rejoinder-comments #comment-{created['comment']['id']}")
    expect(target).to_have_class(re.compile("target"))
    expect(target).to_be_in_viewport()


def test_a_link_to_a_comment_that_is_not_there_says_so(demo, page):
    page.goto(f"{demo.url}/articles/{DEMO_SLUG}#comment-999999")
    widget = page.locator("rejoinder-comments")
    expect(widget.locator("p.status")).to_have_text(
        re.compile("The comment this link points to is not in this discussion")
    )


def test_long_threads_load_more(demo, page):
    for number in range(25):
        post_comment(demo, f"Numbered comment {number}.")
    page.goto(f"{demo.url}/articles/{DEMO_SLUG}")
    widget = page.locator("rejoinder-comments")
    show_comments(widget)
    top_level = widget.locator("ol.comments > li.comment")
    expect(top_level).to_have_count(20)
    widget.get_by_role("button", name="Load more").click()
    expect(top_level.nth(20)).to_be_visible()
    assert top_level.count() > 20


def test_field_errors_from_the_api_show_next_to_the_field(demo, page):
    page.goto(f"{demo.url}/articles/{DEMO_SLUG}")
    widget = page.locator("rejoinder-comments")
    show_comments(widget)
    form = widget.locator("form.compose").first
    form.get_by_label("Name").fill("Olena")
    form.get_by_label("Comment").fill("   ")
    form.get_by_role("button", name="Post").click()
    body = form.get_by_label("Comment")
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(form.locator(".field.body .error")).to_have_text(re.compile("write something"))


def test_a_reader_previews_their_markdown_before_posting(demo, page):
    page.goto(f"{demo.url}/articles/{DEMO_SLUG}")
    widget = page.locator("rejoinder-comments")
    show_comments(widget)
    form = widget.locator("form.compose").first
    form.get_by_label("Comment").fill("It is *really* good, ||he lives||.")
    form.get_by_role("button", name="Preview").click()
    preview = form.locator(".preview")
    expect(preview.locator("em")).to_have_text("really")
    expect(preview).to_contain_text("Preview: as it will be published")
    form.get_by_label("Comment").fill("Changed my mind.")
    expect(preview).to_be_hidden()  # never a preview of text that is not there


def test_search_from_the_header_finds_the_article(demo, page):
    page.goto(demo.url + "/")
    page.get_by_role("searchbox", name="Search").fill("deserters")
    page.get_by_role("searchbox", name="Search").press("Enter")
    expect(page).to_have_url(re.compile("/search\\?q=deserters"))
    result = page.locator(".result").first
    expect(result.get_by_role("link")).to_have_text(re.compile("Russian Deserters"))
    expect(result.locator("mark").first).to_be_visible()
    result.get_by_role("link").click()
    expect(page).to_have_url(f"{demo.url}/articles/{DEMO_SLUG}")


def test_an_author_edits_and_deletes_their_comment_inside_the_window(demo, page):
    page.goto(f"{demo.url}/articles/{DEMO_SLUG}")
    widget = page.locator("rejoinder-comments")
    show_comments(widget)
    form = widget.locator("form.compose").first
    form.get_by_label("Name").fill("Olena")
    form.get_by_label("Comment").fill("A typo hree.")
    form.get_by_role("button", name="Post").click()
    posted = widget.locator("li.comment", has_text="A typo hree.")
    mine = widget.locator(f"#{posted.get_attribute('id')}")
    mine.get_by_role("button", name="Edit").click()
    mine.get_by_role("textbox").fill("A typo here, fixed.")
    mine.get_by_role("button", name="Save").click()
    expect(mine.get_by_text("A typo here, fixed.")).to_be_visible()
    expect(mine.locator(".edited")).to_be_visible()
    count = widget.get_by_role("heading", name=re.compile(r"Comments \(\d+\)")).inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    mine.get_by_role("button", name="Delete").click()
    expect(widget.get_by_text("This comment was deleted.")).to_be_visible()
    before = int(re.search(r"\d+", count).group())
    expect(widget.get_by_role("heading", level=2)).to_have_text(f"Comments ({before - 1})")


def test_a_post_whose_answer_is_lost_keeps_its_text_and_a_retry_stores_it_once(demo, page):
    page.goto(f"{demo.url}/articles/{DEMO_SLUG}")
    widget = page.locator("rejoinder-comments")
    show_comments(widget)
    before = widget.get_by_role("heading", name=re.compile(r"Comments \(\d+\)")).inner_text()
    count = int(re.search(r"\d+", before).group())
    text = "Sent from a train going into a tunnel."
    answers: list[int] = []

    def lose_the_first_answer(route):
        if route.request.method != "POST" or answers:
            route.continue_()
            return
        answers.append(route.fetch().status)  # the server stores the comment...
        route.abort("connectionreset")  # ...and its answer never reaches the reader

    page.route(lambda url: url.endswith("/api/comments"), lose_the_first_answer)
    form = widget.locator("form.compose").first
    form.get_by_label("Name").fill("Olena")
    form.get_by_label("Comment").fill(text)
    form.get_by_role("button", name="Post").click()
    expect(form.locator(".form-error")).to_have_text(re.compile("Could not reach"))
    expect(form.get_by_label("Comment")).to_have_value(text)  # nothing to type again

    form.get_by_role("button", name="Post").click()
    expect(widget.get_by_role("heading", name=f"Comments ({count + 1})")).to_be_visible()
    expect(form.get_by_label("Comment")).to_have_value("")
    expect(widget.get_by_text(text)).to_have_count(1)
    assert answers == [201]
    listed = httpx.get(f"{demo.url}/api/comments", params={"thread": DEMO_SLUG}).json()
    assert sum(text in c["html"] for c in listed["comments"]) == 1
