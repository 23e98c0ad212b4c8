"""Counting the links in a comment."""

from __future__ import annotations

import pytest

from rejoinder.domain.moderation.links import count_links, links_in


@pytest.mark.parametrize(
    ("markdown", "count"),
    [
        ("no links here, e.g. Node.js and example.com", 0),
        ("see https://example.com/a", 1),
        ("see [the report](https://example.com/report)", 1),
        ("see <https://example.com/x>", 1),
        ("see www.example.com/page.", 1),
        ("[a](https://a.example) and [b](https://b.example 'title')", 2),
        ("http://x.example, https://y.example; ftp://z.example!", 3),
        ("![chart](https://img.example/c.png)", 1),
        ("[home](<https://example.com/with space>)", 1),
    ],
)
def test_every_kind_of_link_counts(markdown, count):
    assert count_links(markdown) == count


def test_the_same_destination_counts_once():
    text = (
        "[Example](https://example.com/a) and again https://example.com/a "
        "or http://www.example.com/a/ or <https://EXAMPLE.com/a>"
    )
    assert count_links(text) == 1


def test_different_paths_on_one_site_count_separately():
    assert count_links("https://example.com/a https://example.com/b") == 2


def test_trailing_sentence_punctuation_is_not_part_of_the_link():
    assert links_in("Read https://example.com/story. Then www.example.org!") == {
        "example.com/story",
        "example.org",
    }


def test_a_fragment_only_link_is_not_counted():
    assert count_links("[jump](#comments)") == 0


def test_email_addresses_are_not_links():
    assert count_links("write to editor@www.example.com") == 0
