"""Comment markdown renders to safe HTML: no scripts, handlers, dangerous URLs or images."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it.common.utils import escapeHtml

from rejoinder.domain.markup import _PLAIN_LINE, _markdown, is_plain_line, render, sanitise


class Inspector(HTMLParser):
    """Collects every tag, attribute and href of rendered HTML, as a browser would parse it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value) for name, value in attrs]

    handle_startendtag = handle_starttag


def inspect(html: str) -> Inspector:
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector


ALLOWED_TAGS = {
    "p",
    "br",
    "em",
    "strong",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "span",
}


def assert_safe(html: str) -> None:
    found = inspect(html)
    assert set(found.tags) <= ALLOWED_TAGS, found.tags
    for tag, name, value in found.attributes:
        assert not name.lower().startswith("on"), (tag, name)
        assert (tag, name) in {("a", "href"), ("a", "rel"), ("ol", "start"), ("span", "class")}
        if name == "href":
            assert value is not None
            assert value.lower().startswith(("http://", "https://", "mailto:")), value
        if name == "class":
            assert value == "spoiler"


def test_markdown_subset_renders():
    source = "*em* **strong** [link](https://news.example/a)\n\n> quote\n\n- one\n- two\n\n`code`"
    html = render(source)
    assert "<em>em</em>" in html and "<strong>strong</strong>" in html
    assert '<a href="https://news.example/a" rel="nofollow ugc noopener">link</a>' in html
    assert "<blockquote>" in html and "<li>one</li>" in html and "<code>code</code>" in html


def test_single_newline_is_a_line_break():
    assert render("line one\nline two") == "<p>line one<br>\nline two</p>"


def test_inline_spoiler_becomes_a_hidden_span():
    html = render("The killer is ||the *butler*||.")
    assert html == '<p>The killer is <span class="spoiler">the <em>butler</em></span>.</p>'


def test_pipes_that_are_not_a_spoiler_stay_text():
    assert render("a | b || c") == "<p>a | b || c</p>"


def test_mailto_links_are_kept():
    assert 'href="mailto:desk@news.example"' in render("[desk](mailto:desk@news.example)")


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](%6A%61vascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](DATA:text/html,<script>alert(1)</script>)",
        "[x](vbscript:msgbox(1))",
        "<javascript:alert(1)>",
        "![pic](https://evil.example/track.png)",
        '![pic](https://evil.example/x.png "title" onerror=alert(1))',
        "<iframe src=https://evil.example></iframe>",
        "<svg onload=alert(1)>",
        '<div style="background:url(javascript:alert(1))">x</div>',
        "[x](//evil.example/protocol-relative)",
        "[x](/relative/path)",
        '[x](https://ok.example/" onmouseover="alert(1))',
        "<a href=https://ok.example onclick=alert(1)>x</a>",
        "||<img src=x onerror=alert(1)>||",
    ],
)
def test_attacks_never_survive(attack):
    html = render(attack)
    assert_safe(html)
    lowered = html.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<iframe" not in lowered


MARKUP_PIECES = st.sampled_from(
    [
        "<",
        ">",
        "&",
        '"',
        "'",
        "`",
        "*",
        "_",
        "[",
        "]",
        "(",
        ")",
        "||",
        "!",
        "#",
        "\n",
        " ",
        "<script>",
        "</script>",
        "<img src=x onerror=alert(1)>",
        "<a href='",
        "javascript:",
        "JAVASCRIPT:",
        "data:",
        "vbscript:",
        "&#x6A;",
        "&#106;",
        "%6A",
        "\t",
        "\x0b",
        "onerror=",
        "onclick=",
        "http://",
        "https://",
        "mailto:",
        "//",
        "<svg",
        "style=",
        "[x](",
        "![y](",
        "<http://",
        "&lt;",
        "\\",
        "\u202e",
        "\u200b",
        "> ",
        "- ",
        "1. ",
    ]
)
MARKDOWNISH = st.lists(st.one_of(MARKUP_PIECES, st.text(max_size=8)), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(MARKDOWNISH)
def test_property_rendered_html_is_always_safe(source):
    assert_safe(render(source))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_property_any_text_renders_safely(source):
    assert_safe(render(source))


@settings(max_examples=200, deadline=None)
@given(
    label=st.text(min_size=1, max_size=10),
    scheme=st.sampled_from(
        ["javascript", "data", "vbscript", "file", "JaVaScRiPt", "jav\tascript"]
    ),
    rest=st.text(max_size=20),
)
def test_property_links_with_dangerous_schemes_never_become_links(label, scheme, rest):
    html = render(f"[{label}]({scheme}:{rest})")
    assert_safe(html)


_PROSE = st.text(alphabet=st.characters(codec="utf-8"), max_size=80) | st.from_regex(
    _PLAIN_LINE, fullmatch=True
)


@settings(max_examples=3000)
@given(_PROSE.filter(is_plain_line))
def test_a_plain_line_renders_as_the_markdown_parser_would(text):
    """The shortcut for one line of plain prose gives exactly the parser's HTML."""
    assert _markdown().render(text) == f"<p>{escapeHtml(text)}</p>\n"
    assert render(text) == sanitise(_markdown().render(text)).strip()


def test_lines_that_look_like_markdown_are_not_plain():
    for text in ["1. first", "2) second", "- item", "> quote", "*em*", "a\nb", "a  ", "[x](y)"]:
        assert not is_plain_line(text), text
    assert is_plain_line('1-23: a reader\'s "view" > yours')
