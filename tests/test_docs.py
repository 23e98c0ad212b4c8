"""Documentation that cannot drift: every setting and every command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rejoinder.cli import build_parser
from rejoinder.config import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
DEPLOYING = (ROOT / "docs" / "deploying.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_in_the_configuration_docs(setting):
    assert f"`{setting.name}`" in CONFIGURATION
    assert f"`{setting.env}`" in CONFIGURATION


def commands() -> list[str]:
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    return sorted(subparsers.choices)


@pytest.mark.parametrize("command", commands())
def test_every_command_is_documented(command):
    assert f"rejoinder {command}" in CONFIGURATION
    assert f"rejoinder {command}" in README


def test_readme_quickstart_is_two_commands():
    assert "make demo" in README and "make test" in README


def test_the_export_format_docs_list_every_field_of_every_record():
    from rejoinder.store.exports import KINDS

    backup = (ROOT / "docs" / "backup.md").read_text(encoding="utf-8")
    for kind in KINDS:
        fields = ", ".join(f"`{field.name}`" for field in kind.fields)
        omitted = ", ".join(f"`{name}`" for name in kind.omitted)
        row = f"| `{kind.name}` | `{kind.table.name}` | {fields} | {omitted} |"
        assert row.replace("|  |", "| |") in backup.replace("|  |", "| |"), row


def test_every_setting_the_deploying_guide_names_exists():
    settings = {s.name for s in SETTINGS}
    variables = {s.env for s in SETTINGS}
    named = set(re.findall(r"`([a-z]+(?:_[a-z]+)+)`", DEPLOYING))
    assert named - settings == set()
    set_in_examples = set(re.findall(r"\b(REJOINDER_[A-Z][A-Z_]*)\b", DEPLOYING))
    assert set_in_examples and set_in_examples - variables == set()


def test_the_deploying_guide_lists_what_production_must_change():
    table = re.findall(r"^\| `([a-z_]+)`", DEPLOYING, re.MULTILINE)
    must = {"database_url", "public_url", "allowed_origins", "trusted_proxies", "secret"}
    must |= {"redis_url", "backup_dir", "admin_token"}
    assert must <= set(table)
    assert "docs/deploying.md" in README


def test_the_systemd_unit_waits_as_long_as_the_shutdown_may_take():
    from rejoinder.config import Settings
    from rejoinder.serving import EXIT_GRACE_SECONDS

    (stop,) = re.findall(r"^TimeoutStopSec=(\d+)$", DEPLOYING, re.MULTILINE)
    assert int(stop) >= Settings().shutdown_timeout + EXIT_GRACE_SECONDS
