"""The widget in every language it ships: each catalogue has every word and every plural form
its language needs, and each language reads well at 360 px, light and dark, with nothing an
accessibility checker calls serious."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from rejoinder.web.pages import assets
from tests.browser.conftest import AXE, DEMO_SLUG, screenshot, show_comments
from tests.browser.test_embed_and_look import axe_violations

I18N = assets.STATIC.joinpath("widget/i18n.js").read_text(encoding="utf-8")
LANGUAGES = re.findall(r'"(\w+)"', re.search(r"LANGUAGES = \[([^\]]*)\]", I18N).group(1))

CHECK_CATALOGUES = """async () => {
  const { ENGLISH, LANGUAGES } = await import("/static/widget/i18n.js");
  const placeholders = (text) => [...text.matchAll(/\\{(\\w+)\\}/g)].map((m) => m[1]).sort().join();
  const report = {};
  for (const lang of LANGUAGES) {
    const words =
      lang === "en" ? ENGLISH : (await import(`/static/widget/lang/${lang}.js`)).default;
    const needed = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
    const problems = [];
    const compare = (english, theirs, path) => {
      for (const [key, value] of Object.entries(english)) {
        const their = theirs?.[key];
        const where = path + key;
        if (their === undefined) problems.push(`missing ${where}`);
        else if (typeof value === "string") {
          if (typeof their !== "string") problems.push(`not a text: ${where}`);
          else if (placeholders(their) !== placeholders(value))
            problems.push(`placeholders: ${where}`);
        } else if ("other" in value) {
          for (const form of needed) if (!(form in their)) problems.push(`plural ${where}.${form}`);
        } else compare(value, their, `${where}.`);
      }
      for (const key of Object.keys(theirs || {}))
        if (!(key in english)) problems.push(`unknown ${path + key}`);
    };
    compare(ENGLISH, words, "");
    report[lang] = problems;
  }
  return report;
}"""


def test_the_widget_ships_six_languages():
    assert LANGUAGES == ["en", "uk", "de", "fr", "es", "pl"]


def test_every_catalogue_has_every_word_and_plural_form_its_language_needs(demo, page):
    page.goto(f"{demo.url}/articles/{DEMO_SLUG}")
    report = page.evaluate(CHECK_CATALOGUES)
    assert report == {lang: [] for lang in LANGUAGES}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_language_reads_well_on_a_phone(demo, publisher, browser, lang, scheme):
    context = browser.new_context(
        viewport={"width": 360, "height": 800},
        color_scheme=scheme,
        device_scale_factor=1,
        bypass_csp=True,
        locale="en-GB",  # the page's own language must win over the browser's
    )
    try:
        page = context.new_page()
        extra = f' data-rejoinder-lang="{lang}"'
        url = publisher.story(f"story-{lang}.html", demo, lang=lang, extra=extra)
        page.goto(url)
        widget = page.locator("rejoinder-comments")
        heading = page.evaluate(
            """async ([base, lang]) => {
              const { loadTranslator } = await import(`${base}/static/widget/i18n.js`);
              return (await loadTranslator(lang))("comments", { n: 2 });
            }""",
            [demo.url, lang],
        )
        expect(widget.get_by_role("heading", name=heading)).to_be_visible()
        show_comments(widget)
        expect(widget.locator("li.comment")).to_have_count(2)
        expect(widget.locator("section.rejoinder")).to_have_attribute("lang", lang)
        page.wait_for_function("document.fonts.ready.then(() => true)")
        wide = page.evaluate(
            """() => {
              const root = document.querySelector("rejoinder-comments").shadowRoot;
              return [document.documentElement.scrollWidth,
                      ...[...root.querySelectorAll(".sorts, .bar, .actions, form")]
                        .map((e) => e.scrollWidth - e.clientWidth)];
            }"""
        )
        assert wide[0] <= 360, f"the page scrolls sideways in {lang} ({wide[0]} px)"
        assert max(wide[1:]) <= 0, f"something overflows its box in {lang}: {wide[1:]}"
        if AXE.exists():
            assert axe_violations(page) == []
        screenshot(page, f"widget-{lang}-360-{scheme}.png")
    finally:
        context.close()
