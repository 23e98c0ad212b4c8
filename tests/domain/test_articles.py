"""Article files: TOML front matter and a markdown body, checked before anything is stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rejoinder.domain.articles import parse_article
from rejoinder.domain.errors import RejoinderError

GOOD = """+++
slug = "surge-in-deserters"
headline = "EXPLAINED: Surge in Russian Deserters"
standfirst = "Reports say desertions are surging."
byline = "Anya Korzun"
published = 2023-12-08T09:00:00Z
tags = ["Explained", "Russia"]
+++
First paragraph with *emphasis*.

<script>alert(1)</script>
"""


def test_a_good_file_becomes_a_rendered_sanitised_article():
    article = parse_article(GOOD)
    assert article.slug == "surge-in-deserters"
    assert article.published_at == datetime(2023, 12, 8, 9, tzinfo=UTC)
    assert article.tags == ["Explained", "Russia"]
    assert "<em>emphasis</em>" in article.body_html
    assert "<script" not in article.body_html


def test_captions_and_video_are_read_from_beside_the_file(tmp_path):
    (tmp_path / "clip.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:02.000\nHello\n")
    (tmp_path / "clip.webm").write_bytes(b"\x1a\x45\xdf\xa3")
    text = GOOD.replace(
        'tags = ["Explained", "Russia"]', 'video = "clip.webm"\ncaptions = "clip.vtt"'
    )
    article = parse_article(text, base=tmp_path)
    assert article.captions_format == "vtt"
    assert article.captions.startswith("WEBVTT")
    assert article.video_src == str((tmp_path / "clip.webm").resolve())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (('slug = "surge-in-deserters"', 'slug = "Not A Slug"'), "slug"),
        (('byline = "Anya Korzun"', 'byline = ""'), "byline"),
        (("published = 2023-12-08T09:00:00Z", "published = 2023-12-08T09:00:00"), "published"),
        (("published = 2023-12-08T09:00:00Z", 'published = "yesterday"'), "published"),
        (('tags = ["Explained", "Russia"]', "tags = [1, 2]"), "tags"),
        (('tags = ["Explained", "Russia"]', 'video = "missing.webm"'), "video"),
        (('tags = ["Explained", "Russia"]', 'colour = "red"'), "colour"),
    ],
)
def test_bad_front_matter_names_the_key(change, field):
    with pytest.raises(RejoinderError) as refused:
        parse_article(GOOD.replace(*change))
    assert refused.value.field == field


def test_a_file_without_front_matter_is_refused():
    with pytest.raises(RejoinderError):
        parse_article("# Just markdown\n")


def test_the_front_matter_may_name_the_writers_staff_username():
    named = GOOD.replace('byline = "Anya Korzun"', 'byline = "Anya Korzun"\nauthor = "anya"')
    assert parse_article(named).author == "anya"
    assert parse_article(GOOD).author is None
    with pytest.raises(RejoinderError) as refused:
        parse_article(GOOD.replace('byline = "Anya Korzun"', 'byline = "A"\nauthor = 7'))
    assert refused.value.field == "author"
