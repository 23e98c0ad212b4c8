"""The reader's pages, server-rendered: front page, article, transcript, media and headers."""

from __future__ import annotations

import re
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rejoinder.domain.articles import parse_article
from rejoinder.store.articles import add_article
from rejoinder.store.database import Database
from tests.conftest import run
from tests.support import add_moderator, post, sign_in

VTT = """WEBVTT

00:00:00.000 --> 00:00:02.500
Deserters are <i>surging</i>.

00:00:03.000 --> 00:00:05.000
Families want the men home &amp; safe.
"""
STORY = """+++
slug = "{slug}"
headline = "{headline}"
standfirst = "What the numbers say."
byline = "Anya Korzun"
published = {published}
tags = ["Explained"]
video = "clip.webm"
poster = "clip.jpg"
captions = "clip.vtt"
+++
The *body* of the story.
"""


def store_article(
    database_url: str,
    folder: Path,
    slug: str = "deserters",
    headline: str = "Surge in deserters",
    published: str = "2023-12-08T09:00:00Z",
) -> None:
    (folder / "clip.webm").write_bytes(bytes(range(256)) * 40)
    (folder / "clip.jpg").write_bytes(b"\xff\xd8\xff" + b"0" * 100)
    (folder / "clip.vtt").write_text(VTT)
    draft = parse_article(STORY.format(slug=slug, headline=headline, published=published), folder)

    async def add() -> None:
        database = Database(database_url)
        try:
            async with database.write() as connection:
                await add_article(connection, draft, datetime.now(UTC))
        finally:
            await database.dispose()

    run(add())


@pytest.fixture
def story(database_url: str, tmp_path: Path) -> str:
    store_article(database_url, tmp_path)
    return "deserters"


def test_front_page_lists_stories_newest_first_with_comment_counts(client, database_url, tmp_path):
    store_article(database_url, tmp_path, "older", "The older story", "2023-01-01T00:00:00Z")
    store_article(database_url, tmp_path, "newer", "The newer story", "2024-01-01T00:00:00Z")
    post(client, thread="older", body="One")
    post(client, thread="older", body="Two")
    html = client.get("/").text
    assert html.index("The newer story") < html.index("The older story")
    assert re.search(r'href="/articles/older#comments">Comments \(2\)', html)
    assert re.search(r'href="/articles/newer#comments">Comments \(0\)', html)


def test_article_page_has_the_reference_layout(client, story):
    response = client.get(f"/articles/{story}")
    assert response.status_code == 200
    html = response.text
    order = [
        'class="today"',
        'role="search"',
        "<h1>Surge in deserters</h1>",
        'class="standfirst"',
        "<video",
        "<summary>Transcript</summary>",
        "<em>body</em>",
        'class="byline">By <span class="author">Anya Korzun',
        'data-rejoinder-thread="deserters"',
    ]
    positions = [html.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert f'datetime="{datetime.now(UTC).date().isoformat()}"' in html
    assert "<title>Surge in deserters · " in html
    assert '<script src="/embed.js" async></script>' in html


def test_transcript_cues_are_buttons_that_know_where_to_seek(client, story):
    html = client.get(f"/articles/{story}").text
    cues = re.findall(r'<button type="button" class="cue" data-start="([\d.]+)"', html)
    assert cues == ["0.0", "3.0"]
    assert "Deserters are surging." in html
    assert "Families want the men home &amp; safe." in html


def test_article_page_sets_a_strict_content_security_policy(client, story):
    response = client.get(f"/articles/{story}")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in response.text and "style=" not in response.text


def test_article_page_has_open_graph_tags(client, story):
    html = client.get(f"/articles/{story}").text
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:title" content="Surge in deserters">' in html
    assert '<meta property="og:description" content="What the numbers say.">' in html
    assert f'<meta property="og:url" content="http://testserver.local/articles/{story}">' in html
    assert (
        f'<meta property="og:image" content="http://testserver.local/media/articles/{story}/poster">'
        in html
    )
    assert '<link rel="canonical"' in html


def test_unknown_article_is_a_friendly_404_page(client):
    response = client.get("/articles/no-such-story")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Page not found" in response.text


def test_video_is_served_whole_and_in_ranges(client, story):
    whole = client.get(f"/media/articles/{story}/video")
    assert whole.status_code == 200
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-type"] == "video/webm"
    assert len(whole.content) == 10240
    part = client.get(f"/media/articles/{story}/video", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == "bytes 100-199/10240"
    assert part.content == whole.content[100:200]
    tail = client.get(f"/media/articles/{story}/video", headers={"Range": "bytes=-10"})
    assert tail.content == whole.content[-10:]
    beyond = client.get(f"/media/articles/{story}/video", headers={"Range": "bytes=99999-"})
    assert beyond.status_code == 416


def test_captions_are_served_as_webvtt_for_the_track_element(client, story):
    response = client.get(f"/media/articles/{story}/captions.vtt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/vtt")
    assert response.text.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nDeserters are")


def test_missing_media_is_a_404_json_error(client, story):
    for path in (f"/media/articles/{story}/subtitles", "/media/articles/nothing/video"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_embed_script_and_widget_modules_load_from_any_origin(client):
    script = client.get("/embed.js", headers={"Origin": "https://news.example"})
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["access-control-allow-origin"] == "*"
    module = client.get("/static/widget/element.js", headers={"Origin": "https://news.example"})
    assert module.status_code == 200
    assert module.headers["access-control-allow-origin"] == "*"
    assert "customElements.define" in module.text


def test_every_kind_of_response_names_its_media_type_and_charset_once(client, story, database_url):
    post(client, thread=story)
    add_moderator(database_url)
    sign_in(client)
    html, script, text = "text/html", "text/javascript", "; charset=utf-8"
    expected = {
        "/": html + text,
        f"/articles/{story}": html + text,
        "/articles/no-such-story": html + text,
        "/api/docs": html + text,
        "/admin": html + text,
        "/embed.js": script + text,
        "/static/widget/element.js": script + text,
        "/static/site.css": "text/css" + text,
        f"/media/articles/{story}/captions.vtt": "text/vtt" + text,
        "/admin/audit.csv": "text/csv" + text,
        f"/api/comments?thread={story}": "application/json",
        f"/api/counts?thread={story}": "application/json",
        "/api/docs/openapi.json": "application/vnd.oai.openapi+json",
    }
    answered = {}
    for path in expected:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        answered[path] = response.headers.get_list("content-type")
    assert answered == {path: [media_type] for path, media_type in expected.items()}


def test_the_site_has_an_icon_where_pages_link_it_and_where_browsers_look(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/vnd.microsoft.icon"
    assert icon.headers["cache-control"] == "public, max-age=86400"
    reserved, kind, images = struct.unpack("<HHH", icon.content[:6])
    assert (reserved, kind, images) == (0, 1, 2)  # an icon file, 16x16 and 32x32
    for path in ("/", "/admin/login", "/api/docs"):
        link = re.search(
            r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', client.get(path).text
        )
        assert link, path
        svg = client.get(link.group(1))
        assert svg.status_code == 200
        assert svg.headers["content-type"] == "image/svg+xml"
        assert svg.text.startswith("<svg")
