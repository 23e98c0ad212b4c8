"""``rejoinder article add | edit | list``, on both databases."""

from __future__ import annotations

from tests.cli.conftest import rejoinder
from tests.domain.test_articles import GOOD


def test_add_list_and_edit_an_article(tmp_path, env):
    path = tmp_path / "story.md"
    path.write_text(GOOD)
    added = rejoinder("article", "add", str(path), env=env)
    assert added.returncode == 0, added.stderr
    assert "added article 'surge-in-deserters'" in added.stdout

    path.write_text(GOOD.replace("EXPLAINED: Surge", "UPDATED: Surge"))
    edited = rejoinder("article", "edit", str(path), env=env)
    assert edited.returncode == 0, edited.stderr

    listed = rejoinder("article", "list", env=env)
    assert listed.stdout.splitlines() == [
        "surge-in-deserters\t2023-12-08\tUPDATED: Surge in Russian Deserters"
    ]


def test_adding_the_same_slug_twice_is_refused(tmp_path, env):
    path = tmp_path / "story.md"
    path.write_text(GOOD)
    assert rejoinder("article", "add", str(path), env=env).returncode == 0
    again = rejoinder("article", "add", str(path), env=env)
    assert again.returncode == 1
    assert "exists already" in again.stderr


def test_editing_an_unknown_article_and_bad_files_are_clear_errors(tmp_path, env):
    path = tmp_path / "story.md"
    path.write_text(GOOD)
    unknown = rejoinder("article", "edit", str(path), env=env)
    assert unknown.returncode == 1 and "no article" in unknown.stderr
    missing = rejoinder("article", "add", str(tmp_path / "nope.md"), env=env)
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    path.write_text(GOOD.replace("published = 2023-12-08T09:00:00Z\n", ""))
    bad = rejoinder("article", "add", str(path), env=env)
    assert bad.returncode == 1 and "(published)" in bad.stderr


def test_demo_loads_the_reference_article(start_server, env):
    start_server("demo").stop()
    listed = rejoinder("article", "list", env=env)
    assert listed.stdout.startswith("explained-surge-in-russian-deserters\t2023-12-08\tEXPLAINED:")
