"""The widget on a publisher's own page, its accessibility, and how the article page looks."""

from __future__ import annotations

import gzip
import json

import pytest
from playwright.sync_api import expect

from rejoinder.web.pages import assets
from tests.browser.conftest import AXE, DEMO_SLUG, screenshot, show_comments

WIDGET_FILES = ("embed.js", "widget/element.js", "widget/render.js", "widget/api.js",
                "widget/i18n.js", "widget/time.js", "widget/widget.css")  # fmt: skip


def test_the_snippet_on_another_origin_renders_the_same_thread(demo, publisher, page):
    url = publisher.story("story.html", demo)
    page.goto(url)
    widget = page.locator("rejoinder-comments")
    expect(widget.get_by_role("heading", name="Comments (2)")).to_be_visible()
    show_comments(widget)
    expect(widget.locator(".author")).to_have_text(["John", "Mr Person"])
    expect(widget.locator(".badge.guest")).to_have_count(2)


def test_the_widget_speaks_ukrainian_when_asked(demo, publisher, page):
    url = publisher.story("uk.html", demo, lang="uk", extra=' data-rejoinder-lang="uk"')
    page.goto(url)
    widget = page.locator("rejoinder-comments")
    expect(widget.get_by_role("heading", name="Коментарі (2)")).to_be_visible()
    widget.get_by_role("button", name="Показати коментарі").click()
    expect(widget.locator(".badge.guest").first).to_have_text("Гість")
    expect(widget.locator("time").first).to_have_text("1 день тому")
    expect(widget.get_by_role("button", name="Найновіші")).to_be_visible()


def test_a_ukrainian_reader_reads_refusals_in_ukrainian(demo, publisher, page):
    url = publisher.story("uk-refusal.html", demo, lang="uk", extra=' data-rejoinder-lang="uk"')
    page.goto(url)
    widget = page.locator("rejoinder-comments")
    widget.get_by_role("button", name="Показати коментарі").click()
    form = widget.locator("form.compose").first
    form.locator("input[autocomplete=nickname]").fill("Адмін")
    form.locator("textarea").fill("   ")
    form.get_by_role("button", name="Надіслати").click()
    expect(form.locator(".field.body .error")).to_have_text("Будь ласка, заповніть це поле.")
    form.locator("textarea").fill("Дякую за пояснення.")
    form.locator("input[autocomplete=nickname]").fill("Moderator")
    form.get_by_role("button", name="Надіслати").click()
    expect(form.locator(".field.author_name .error")).to_have_text(
        "Це ім’я належить редакції чи іншому читачеві. Оберіть, будь ласка, інше."
    )


def test_the_widget_is_at_most_25_kb_gzipped():
    def gzipped(name: str) -> int:
        return len(gzip.compress(assets.STATIC.joinpath(name).read_bytes(), 9))

    # A reader downloads English (in i18n.js) and at most one other language's module.
    languages = [f"widget/lang/{p.name}" for p in assets.STATIC.joinpath("widget/lang").iterdir()]
    total = sum(gzipped(name) for name in WIDGET_FILES) + max(map(gzipped, languages))
    assert total <= 25 * 1024, f"widget is {total} bytes gzipped"


def axe_violations(page) -> list[dict]:
    """What axe-core calls serious or critical on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in json.loads(result)["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_article_page_has_no_serious_accessibility_problems(demo, browser, scheme):
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE} (make test installs it from npm)")
    # The page's CSP rightly refuses the injected axe script, so this context bypasses it.
    context = browser.new_context(bypass_csp=True, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(f"{demo.url}/articles/{DEMO_SLUG}")
        widget = page.locator("rejoinder-comments")
        expect(widget.get_by_role("heading", name="Comments (2)")).to_be_visible()
        assert axe_violations(page) == []
        show_comments(widget)
        widget.locator(".spoiler-cover").first.click()
        page.get_by_text("Transcript", exact=True).click()
        expect(widget.locator("li.comment")).to_have_count(2)
        assert axe_violations(page) == []
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_the_article_page(demo, browser, width, scheme):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, device_scale_factor=1
    )
    try:
        page = context.new_page()
        page.goto(f"{demo.url}/articles/{DEMO_SLUG}")
        widget = page.locator("rejoinder-comments")
        show_comments(widget)
        expect(widget.locator("li.comment")).to_have_count(2)
        page.wait_for_function("document.fonts.ready.then(() => true)")
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"the page scrolls sideways at {width} px ({overflow} px wide)"
        screenshot(page, f"article-{width}-{scheme}.png", at_least=10_000)
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_api_reference_reads_offline_under_the_strict_policy(demo, browser, scheme):
    """/api/docs is built from files in the package: with every other host unreachable it
    still shows each endpoint, breaks no rule of its own Content-Security-Policy, and has no
    serious accessibility problem."""
    context = browser.new_context(color_scheme=scheme)
    try:
        page = context.new_page()
        elsewhere: list[str] = []
        own = demo.url.rstrip("/")

        def offline(route) -> None:
            if route.request.url.startswith(own):
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        page.route("**/*", offline)
        refused: list[str] = []
        page.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        answer = page.goto(f"{demo.url}/api/docs")
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        expect(page.get_by_role("heading", name="POST /api/comments", exact=True)).to_be_visible()
        expect(page.get_by_role("heading", name="ErrorBody", exact=True)).to_be_visible()
        assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # its CSS loaded
        assert page.locator("script").count() == 0
        assert elsewhere == [] and refused == []
    finally:
        context.close()
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE} (make test installs it from npm)")
    context = browser.new_context(bypass_csp=True, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(f"{demo.url}/api/docs")
        assert axe_violations(page) == []
    finally:
        context.close()
