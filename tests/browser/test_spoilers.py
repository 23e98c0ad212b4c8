"""Spoilers in the widget: covered until the reader asks, readable once they do, in either
colour scheme and at a phone's width or a desktop's, whether the reader clicks, taps or
uses the keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_SLUG, TIMEOUT_MS, post_comment, show_comments

# WCAG 2's contrast ratio of an element's text against what is behind it: the first opaque
# background up the tree (through the shadow root to its host), with any translucent ones
# between laid over it, and the page's white canvas under everything.
CONTRAST = """(element) => {
  const rgba = (css) => {
    const n = (css.match(/-?[\\d.]+(?:e-?\\d+)?/g) || []).map(Number);
    if (css.startsWith("color(srgb")) return [n[0] * 255, n[1] * 255, n[2] * 255, n[3] ?? 1];
    if (css.startsWith("rgb")) return [n[0], n[1], n[2], n[3] ?? 1];
    throw new Error(`a colour this test cannot read: ${css}`);
  };
  const over = ([r, g, b, a], under) =>
    [r, g, b].map((channel, i) => channel * a + under[i] * (1 - a));
  const layers = [];
  for (let node = element; node; node = node.parentElement || node.getRootNode().host) {
    const layer = rgba(getComputedStyle(node).backgroundColor);
    if (layer[3] > 0) layers.push(layer);
    if (layer[3] >= 1) break;
  }
  const background = layers.reduceRight((below, layer) => over(layer, below), [255, 255, 255]);
  const text = over(rgba(getComputedStyle(element).color), background);
  const luminance = (rgb) => {
    const [r, g, b] = rgb.map((c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(text), luminance(background)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}"""
SCHEMES = ["light", "dark"]
OPEN = re.compile(r"\bopen\b")
WIDTHS = [360, 1280]


def contrast(locator) -> float:
    return locator.evaluate(CONTRAST)


@pytest.fixture(scope="module")
def spoilers(demo) -> dict[str, int]:
    """Two comments with inline spoilers, beside the demo's whole-comment ones."""
    return {
        "one": post_comment(demo, "The ending: ||the lighthouse keeper was the narrator||.")[
            "comment"
        ]["id"],
        "three": post_comment(
            demo, "Three twists: ||the dog knew||, ||the letter was never sent|| and ||a dream||."
        )["comment"]["id"],
    }


@pytest.fixture
def reader(browser, request):
    """A reader in a colour scheme, at a width, on a touch screen (as phones are)."""
    scheme, width = request.param
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        color_scheme=scheme,
        has_touch=True,
        locale="en-GB",
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def open_discussion(demo, page):
    page.goto(f"{demo.url}/articles/{DEMO_SLUG}")
    widget = page.locator("rejoinder-comments")
    show_comments(widget)
    expect(widget.locator("li.comment").first).to_be_visible()
    return widget


EVERY_LOOK = [(scheme, width) for scheme in SCHEMES for width in WIDTHS]


@pytest.mark.parametrize("reader", EVERY_LOOK, indirect=True, ids=lambda p: f"{p[0]}-{p[1]}")
def test_revealed_spoiler_is_readable(demo, spoilers, reader):
    widget = open_discussion(demo, reader)
    whole = widget.locator(".spoiler-comment").filter(has_text="Transcript please.")
    whole.get_by_role("button", name="This comment contains spoilers.", exact=False).click()
    words = whole.locator(".text p").first
    expect(words).to_be_visible()
    assert contrast(words) >= 4.5

    inline = widget.locator(f"#comment-{spoilers['one']} .text .spoiler")
    inline.click()
    expect(inline).to_have_class(OPEN)
    expect(inline).to_have_text("the lighthouse keeper was the narrator")
    assert contrast(inline) >= 4.5
    # The words around it read as well as before.
    assert contrast(widget.locator(f"#comment-{spoilers['one']} .text p")) >= 4.5


@pytest.mark.parametrize("reader", EVERY_LOOK, indirect=True, ids=lambda p: f"{p[0]}-{p[1]}")
def test_a_covered_inline_spoiler_shows_nothing_of_its_words(demo, spoilers, reader):
    widget = open_discussion(demo, reader)
    covered = widget.locator(f"#comment-{spoilers['one']} .text .spoiler")
    expect(covered).to_have_attribute("aria-expanded", "false")
    assert contrast(covered) < 1.01
    covered.hover()  # a mouse passing over it opens nothing
    expect(covered).to_have_attribute("aria-expanded", "false")
    assert contrast(covered) < 1.01


@pytest.mark.parametrize(
    "reader", [("light", 360), ("dark", 1280)], indirect=True, ids=["light-360", "dark-1280"]
)
def test_inline_spoilers_open_with_the_keyboard_or_a_tap_and_stay_open(demo, spoilers, reader):
    widget = open_discussion(demo, reader)
    comment = widget.locator(f"#comment-{spoilers['three']}")
    # Closed, a spoiler is a button named for what it is, not for the words it hides.
    covers = comment.get_by_role("button", name="Spoiler: press to show")
    expect(covers).to_have_count(3)
    spoilers_here = comment.locator(".text .spoiler")
    enter, space, tap = (spoilers_here.nth(i) for i in range(3))

    enter.focus()
    reader.keyboard.press("Enter")
    expect(enter).to_have_class(OPEN)
    expect(covers).to_have_count(2)
    assert contrast(enter) >= 4.5

    reader.keyboard.press("Tab")
    expect(space).to_be_focused()
    reader.keyboard.press(" ")
    expect(space).to_have_class(OPEN)
    assert contrast(space) >= 4.5

    tap.tap()
    expect(tap).to_have_class(OPEN)
    expect(covers).to_have_count(0)
    assert contrast(tap) >= 4.5

    # Open they are text, and stay open when the reader moves on or presses them again.
    expect(comment.get_by_text("the dog knew")).to_be_visible()
    widget.get_by_role("heading", name="Comments", exact=False).click()
    enter.click()
    for opened in (enter, space, tap):
        expect(opened).to_have_class(OPEN)
        assert contrast(opened) >= 4.5


def test_a_link_in_a_covered_spoiler_opens_the_spoiler_not_the_link(demo, page):
    created = post_comment(demo, "Read ||[the ending](https://example.org/ending)|| first.")
    widget = open_discussion(demo, page)
    spoiler = widget.locator(f"#comment-{created['comment']['id']} .text .spoiler")
    link = spoiler.get_by_role("link", name="the ending")
    expect(link).to_have_attribute("tabindex", "-1")
    spoiler.click()
    expect(spoiler).to_have_class(OPEN)
    expect(page).to_have_url(re.compile(re.escape(f"/articles/{DEMO_SLUG}")))
    expect(link).not_to_have_attribute("tabindex", "-1")
