"""Configuration: environment over file over default, with clear errors."""

from __future__ import annotations

import pytest

from rejoinder.config import ConfigError, Settings


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
