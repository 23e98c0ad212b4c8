"""Configuration: flag over environment over file over default, with clear errors; one table
of settings that the dataclass, the flags and docs/configuration.md are made from."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from rejoinder.cli import _settings, build_parser
from rejoinder.config import (
    SETTINGS,
    TABLE_BEGIN,
    TABLE_END,
    ConfigError,
    Settings,
    settings_table,
)

CONFIGURATION = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def test_defaults():
    settings = Settings.load({})
    assert settings.database_url == "sqlite:///./rejoinder.db"
    assert settings.edit_window == 900
    assert settings.allowed_origins == ()


def test_environment_wins_over_the_file(tmp_path):
    config = tmp_path / "rejoinder.toml"
    config.write_text('edit_window = "10m"\nallowed_origins = ["https://a.example/"]\n')
    settings = Settings.load({"REJOINDER_EDIT_WINDOW": "30s"}, config)
    assert settings.edit_window == 30
    assert settings.allowed_origins == ("https://a.example",)
    assert settings.sources["edit_window"] == "REJOINDER_EDIT_WINDOW"


def test_space_separated_origins_and_proxies():
    settings = Settings.load(
        {
            "REJOINDER_ALLOWED_ORIGINS": "https://News.example http://localhost:3000",
            "REJOINDER_TRUSTED_PROXIES": "10.0.0.0/8 127.0.0.1",
        }
    )
    assert settings.allowed_origins == ("https://news.example", "http://localhost:3000")
    assert settings.trusted_proxies == ("10.0.0.0/8", "127.0.0.1")


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"REJOINDER_EDIT_WINDOW": "soon"}, "REJOINDER_EDIT_WINDOW"),
        ({"REJOINDER_ALLOWED_ORIGINS": "news.example"}, "REJOINDER_ALLOWED_ORIGINS"),
        ({"REJOINDER_NEWCOMER_COMMENTS": "0"}, "REJOINDER_NEWCOMER_COMMENTS"),
        ({"REJOINDER_NEWCOMER_COMMENTS": "101"}, "REJOINDER_NEWCOMER_COMMENTS"),
        ({"REJOINDER_LOG_FORMAT": "xml"}, "REJOINDER_LOG_FORMAT"),
    ],
)
def test_bad_values_name_the_setting(env, named):
    with pytest.raises(ConfigError, match=named):
        Settings.load(env)


def test_unknown_setting_in_file_is_an_error(tmp_path):
    config = tmp_path / "rejoinder.toml"
    config.write_text('edit_windw = "10m"\n')
    with pytest.raises(ConfigError, match="edit_windw"):
        Settings.load({}, config)


def test_describe_hides_the_secret_and_passwords():
    settings = Settings.load(
        {
            "REJOINDER_SECRET": "s3cret",
            "REJOINDER_DATABASE_URL": "postgresql://app:hunter2@db.internal/rejoinder",
        }
    )
    shown = str(settings.describe())
    assert "s3cret" not in shown and "hunter2" not in shown
    assert "postgresql://app:***@db.internal/rejoinder" in shown


def test_a_read_replica_is_postgresql_beside_a_postgresql_primary():
    replica = "postgresql://reader@replica.internal/rejoinder"
    with pytest.raises(ConfigError, match="needs a PostgreSQL database_url"):
        Settings.load({"REJOINDER_READ_DATABASE_URL": replica})
    with pytest.raises(ConfigError, match="REJOINDER_READ_DATABASE_URL"):
        Settings.load(
            {
                "REJOINDER_DATABASE_URL": "postgresql://db.internal/rejoinder",
                "REJOINDER_READ_DATABASE_URL": "sqlite:///replica.db",
            }
        )
    settings = Settings.load(
        {"REJOINDER_DATABASE_URL": "postgresql://db/r", "REJOINDER_READ_DATABASE_URL": replica}
    )
    assert settings.read_database_url == replica


def test_every_field_is_a_setting_and_the_defaults_are_the_tables():
    assert [f.name for f in fields(Settings) if f.name != "sources"] == [s.name for s in SETTINGS]
    assert Settings.load({}) == Settings()
    assert all(getattr(Settings(), s.name) == s.default for s in SETTINGS)


def test_the_docs_table_is_the_settings_table():
    document = CONFIGURATION.read_text(encoding="utf-8")
    assert TABLE_BEGIN in document and TABLE_END in document
    documented = document.split(TABLE_BEGIN, 1)[1].split(TABLE_END, 1)[0].strip("\n")
    assert documented == settings_table().strip("\n"), (
        "docs/configuration.md's settings table differs from the settings in "
        "src/rejoinder/config.py: change the setting there, then run "
        "`.venv/bin/python scripts/make-settings-docs`"
    )


def test_a_flag_wins_over_the_environment_and_the_file(tmp_path):
    config = tmp_path / "rejoinder.toml"
    config.write_text('edit_window = "10m"\nmax_links = 7\n')
    settings = Settings.load(
        {"REJOINDER_EDIT_WINDOW": "30s", "REJOINDER_MAX_LINKS": "5"},
        config,
        edit_window="1h",
        max_links=None,  # a flag not given
    )
    assert settings.edit_window == 3600
    assert settings.sources["edit_window"] == "flag"
    assert settings.max_links == 5
    assert settings.sources["max_links"] == "REJOINDER_MAX_LINKS"


@pytest.mark.parametrize("command", ["serve", "demo", "check"])
def test_serve_demo_and_check_take_a_flag_for_every_setting(command, monkeypatch):
    monkeypatch.setenv("REJOINDER_EDIT_WINDOW", "10m")
    monkeypatch.setenv("REJOINDER_RATE_LOGINS", "3/1m")
    args = build_parser().parse_args(
        [command, "--edit-window", "15s", "--banned-words", "scum, vile words"]
    )
    settings = _settings(args)
    assert settings.edit_window == 15
    assert settings.banned_words == ("scum", "vile words")
    assert settings.rate_logins == (3, 60)
    assert settings.sources["edit_window"] == "flag"
    assert settings.sources["rate_logins"] == "REJOINDER_RATE_LOGINS"
    parser_help = _subcommand(command).format_help()
    for setting in SETTINGS:
        assert f"{setting.flag} VALUE" in parser_help


def test_the_hand_written_flags_are_still_there():
    args = build_parser().parse_args(
        ["serve", "--host", "0.0.0.0", "--port", "9000", "--workers", "3", "--no-access-log"]
    )
    assert (args.host, args.port, args.workers, args.access_log) == ("0.0.0.0", 9000, 3, False)
    migrate = build_parser().parse_args(["migrate", "--database-url", "sqlite:///x.db"])
    assert _settings(migrate).sources["database_url"] == "flag"


def test_a_bad_flag_value_names_the_flag():
    with pytest.raises(ConfigError, match="--edit-window: not a duration"):
        Settings.load({}, edit_window="soon")


def _subcommand(name: str):
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    return subparsers.choices[name]


def test_the_log_is_text_on_a_terminal_and_json_elsewhere_unless_told(monkeypatch):
    import sys

    from rejoinder.serving import log_format

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert (log_format("auto"), log_format("json")) == ("text", "json")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert (log_format("auto"), log_format("text")) == ("json", "text")
    assert Settings.load({"REJOINDER_LOG_FORMAT": "JSON"}).log_format == "json"
