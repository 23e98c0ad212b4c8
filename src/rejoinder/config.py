"""Configuration: one table of settings, resolved once, passed everywhere.

Every setting is declared once in ``SETTINGS`` (name, default, help). The environment variable
is ``REJOINDER_<NAME>``; an optional TOML file (``REJOINDER_CONFIG`` or ``--config``) may set the
same names in lower case. The environment wins over the file, so a deployment can override one
value without editing the file. Nothing outside ``cli.py`` reads ``os.environ``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ENV_PREFIX = "REJOINDER_"


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message names the setting."""


_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)?\s*$")
_DURATION_UNITS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: str | int) -> int:
    """Seconds from ``900``, ``"900"``, ``"15m"``, ``"1h"`` or ``"2d"``."""
    if isinstance(value, int):
        return value
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"not a duration: {value!r} (use seconds, or 30s, 15m, 1h, 2d)")
    return int(match.group(1)) * _DURATION_UNITS[match.group(2)]


def _words(value: str | list[str]) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return tuple(value.split())


def _origins(value: str | list[str]) -> tuple[str, ...]:
    origins = []
    for origin in _words(value):
        origin = origin.rstrip("/")
        if not re.match(r"^https?://[^/\s]+$", origin):
            raise ValueError(f"not an origin (scheme://host[:port]): {origin!r}")
        origins.append(origin.lower())
    return tuple(origins)


def _public_url(value: str) -> str | None:
    if not value:
        return None
    (origin,) = _origins(value) or (None,)
    return origin


def _postgres_url(value: str) -> str | None:
    url = _optional(value)
    if url is not None and not url.startswith(("postgresql://", "postgres://")):
        raise ValueError("a read replica is a PostgreSQL URL (postgresql://user@host/db)")
    return url


def _optional(value: str) -> str | None:
    return value or None


def _phrases(value: str | list[str]) -> tuple[str, ...]:
    """Comma-separated words or phrases (or a TOML list), blanks dropped."""
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(item.strip() for item in items if str(item).strip())


def _fraction(value: str | float) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"must be between 0 and 1, got {value!r}")
    return number


def _positive(value: str | int) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"must be at least 1, got {value!r}")
    return number


def _boolean(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not true or false: {value!r}")


def parse_rate(value: str | tuple[int, int]) -> tuple[int, int]:
    """``"5/1m"`` → (5 requests, per 60 seconds)."""
    if isinstance(value, tuple):
        return value
    count, _, period = str(value).partition("/")
    try:
        limit = int(count)
    except ValueError:
        raise ValueError(f"not a rate: {value!r} (use COUNT/PERIOD, like 5/1m)") from None
    if limit < 1 or not period:
        raise ValueError(f"not a rate: {value!r} (use COUNT/PERIOD, like 5/1m)")
    return limit, parse_duration(period)


def _key_text(value: str) -> str | None:
    """A PEM key given inline, or the path of a file holding one."""
    if not value:
        return None
    if "-----BEGIN" in value:
        return value
    try:
        return Path(value).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read key file {value}: {exc}") from exc


def mask_password(url: str) -> str:
    """The URL with any password replaced, so it can be printed and logged."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any] = str

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url",
        "sqlite:///./rejoinder.db",
        "Where comments live: sqlite:///path.db (default) or postgresql://user@host/db.",
    ),
    Setting(
        "read_database_url",
        None,
        "Optional PostgreSQL read replica (postgresql://user@replica/db) for building shared "
        "thread pages; never used for a page older than the primary's.",
        _postgres_url,
    ),
    Setting(
        "redis_url",
        None,
        "Optional Redis (redis://host:6379/0): live events and rate-limit counters shared "
        "by every process (without it, live events go through the database).",
        _optional,
    ),
    Setting(
        "public_url",
        None,
        "The address readers reach this server at (https://comments.news.example): used for "
        "canonical links and links sent out, instead of the request's Host header.",
        _public_url,
    ),
    Setting(
        "allowed_origins",
        (),
        "Space-separated origins (https://news.example) allowed to embed the widget and write "
        "cross-origin. The server's own origin is always allowed.",
        _origins,
    ),
    Setting(
        "trusted_proxies",
        (),
        "Space-separated addresses of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto headers are believed.",
        _words,
    ),
    Setting(
        "secret",
        None,
        "Signing key for edit tokens, voter cookies and address hashes. When not set, it is "
        "read from secret_file (generated there on first run), never kept in the database.",
        _optional,
    ),
    Setting(
        "secret_file",
        None,
        "File holding the signing key when secret is not set, created (mode 0600) on first "
        "run. Default: <name>.key beside a SQLite database file, else ./rejoinder.key.",
        _optional,
    ),
    Setting(
        "admin_token",
        None,
        "Bearer token that lets a newsroom's tools create and edit articles through "
        "/api/articles. Unset, those writes are refused.",
        _optional,
    ),
    Setting(
        "edit_window",
        900,
        "How long an author may edit or delete their comment: seconds, or 30s, 15m, 1h.",
        parse_duration,
    ),
    Setting(
        "sso_secret",
        None,
        "Shared secret for publisher single sign-on tokens signed with HS256.",
        _optional,
    ),
    Setting(
        "sso_public_key",
        None,
        "PEM public key (inline or a file path) for SSO tokens signed with RS256, ES256 or EdDSA.",
        _key_text,
    ),
    Setting("sso_audience", None, "Required `aud` claim of SSO tokens, when set.", _optional),
    Setting("sso_issuer", None, "Required `iss` claim of SSO tokens, when set.", _optional),
    Setting(
        "banned_words",
        (),
        "Comma-separated words or phrases that get a comment rejected.",
        _phrases,
    ),
    Setting(
        "suspect_words",
        (),
        "Comma-separated words or phrases that send a comment to the moderation queue.",
        _phrases,
    ),
    Setting("max_links", 2, "Comments with more links than this are queued.", int),
    Setting(
        "toxicity_threshold",
        0.9,
        "Toxicity score (0 to 1) at or above which a comment is queued.",
        _fraction,
    ),
    Setting(
        "toxicity_url",
        None,
        "A Perspective-style scoring API to use instead of the built-in offline model.",
        _optional,
    ),
    Setting(
        "toxicity_api_key",
        None,
        "The external scorer's API key, sent as its `key` query parameter (Perspective's).",
        _optional,
    ),
    Setting(
        "toxicity_languages",
        (),
        "Space-separated language codes (en uk) the external scorer is told the comments are "
        "in; unset, it detects them.",
        _words,
    ),
    Setting("toxicity_timeout", 2, "Seconds to wait for the external scorer.", parse_duration),
    Setting(
        "toxicity_fail_open",
        True,
        "When the external scorer fails: true publishes (fail open), false queues.",
        _boolean,
    ),
    Setting(
        "campaign_window",
        3600,
        "How far back near-identical comments from other names count as a campaign.",
        parse_duration,
    ),
    Setting(
        "campaign_authors",
        3,
        "Distinct names posting near-identical text within the window that make a campaign.",
        _positive,
    ),
    Setting(
        "report_threshold",
        3,
        "Reports that hide a comment until a moderator reviews it: they must come from this "
        "many different readers and this many different addresses.",
        _positive,
    ),
    Setting(
        "votes_per_address",
        10,
        "Votes one address (an IPv6 /64) may add to one comment, however many readers it has.",
        _positive,
    ),
    Setting(
        "rate_votes_per_address",
        (30, 60),
        "Votes one address may cast: COUNT/PERIOD, like 30/1m.",
        parse_rate,
    ),
    Setting(
        "rate_posts_per_address",
        (10, 60),
        "Comments one address may post: COUNT/PERIOD, like 10/1m.",
        parse_rate,
    ),
    Setting(
        "rate_posts_per_user",
        (10, 60),
        "Comments one signed-in user may post: COUNT/PERIOD.",
        parse_rate,
    ),
    Setting(
        "rate_logins",
        (5, 900),
        "Admin sign-in attempts per address, and per address for one username: COUNT/PERIOD.",
        parse_rate,
    ),
    Setting(
        "rate_logins_per_username",
        (100, 900),
        "Admin sign-in attempts for one username from all addresses together: COUNT/PERIOD.",
        parse_rate,
    ),
    Setting(
        "shutdown_timeout",
        10,
        "On SIGTERM, how long open requests and event streams may take to finish before they "
        "are cut off: seconds, or 30s, 1m.",
        lambda value: _positive(parse_duration(value)),
    ),
    Setting(
        "header_timeout",
        10,
        "How long a new connection may take to send a complete request head before it is "
        "closed: seconds, or 30s.",
        lambda value: _positive(parse_duration(value)),
    ),
    Setting(
        "max_connections",
        1000,
        "Open connections one worker process holds; beyond it, new ones get 503 at once. "
        "Keep it below the open-file limit (ulimit -n).",
        _positive,
    ),
)


@dataclass(frozen=True)
class Settings:
    """The resolved configuration. Build it with ``Settings.load`` (or directly in tests)."""

    database_url: str = "sqlite:///./rejoinder.db"
    read_database_url: str | None = None
    redis_url: str | None = None
    public_url: str | None = None
    allowed_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    secret: str | None = None
    secret_file: str | None = None
    admin_token: str | None = None
    edit_window: int = 900
    sso_secret: str | None = None
    sso_public_key: str | None = None
    sso_audience: str | None = None
    sso_issuer: str | None = None
    banned_words: tuple[str, ...] = ()
    suspect_words: tuple[str, ...] = ()
    max_links: int = 2
    toxicity_threshold: float = 0.9
    toxicity_url: str | None = None
    toxicity_api_key: str | None = None
    toxicity_languages: tuple[str, ...] = ()
    toxicity_timeout: int = 2
    toxicity_fail_open: bool = True
    campaign_window: int = 3600
    campaign_authors: int = 3
    report_threshold: int = 3
    rate_posts_per_address: tuple[int, int] = (10, 60)
    rate_posts_per_user: tuple[int, int] = (10, 60)
    votes_per_address: int = 10
    rate_votes_per_address: tuple[int, int] = (30, 60)
    rate_logins: tuple[int, int] = (5, 900)
    rate_logins_per_username: tuple[int, int] = (100, 900)
    shutdown_timeout: int = 10
    header_timeout: int = 10
    max_connections: int = 1000
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str],
        config_file: str | Path | None = None,
        **overrides: Any,
    ) -> Settings:
        """Resolve each setting from CLI overrides, else environment, else file, else default."""
        file_values: dict[str, Any] = {}
        config_file = config_file or environ.get(ENV_PREFIX + "CONFIG")
        if config_file:
            try:
                file_values = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"cannot read config file {config_file}: {exc}") from exc
            known = {s.name for s in SETTINGS}
            unknown = sorted(set(file_values) - known)
            if unknown:
                raise ConfigError(f"unknown setting(s) in {config_file}: {', '.join(unknown)}")
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for setting in SETTINGS:
            if overrides.get(setting.name) is not None:
                raw, source = overrides[setting.name], "option"
            elif setting.env in environ:
                raw, source = environ[setting.env], setting.env
            elif setting.name in file_values:
                raw, source = file_values[setting.name], str(config_file)
            else:
                values[setting.name] = setting.default
                sources[setting.name] = "default"
                continue
            try:
                values[setting.name] = setting.parse(raw)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{setting.env}: {exc}") from exc
            sources[setting.name] = source
        if values["read_database_url"] and not str(values["database_url"]).startswith(
            ("postgresql://", "postgres://")
        ):
            raise ConfigError(
                "REJOINDER_READ_DATABASE_URL: a read replica needs a PostgreSQL database_url"
            )
        return cls(**values, sources=sources)

    def describe(self) -> list[tuple[str, str, str]]:
        """(name, shown value, where it came from), with the secret masked, for ``check``."""
        rows = []
        for f in fields(self):
            if f.name == "sources":
                continue
            value = getattr(self, f.name)
            if f.name.startswith("rate_"):
                shown = f"{value[0]}/{value[1]}s"
            elif f.name in ("sso_secret", "sso_public_key", "toxicity_api_key"):
                shown = "(set)" if value else "(none)"
            elif f.name == "secret" and value:
                shown = "(set)"
            elif f.name == "secret":
                shown = "(from secret_file)"
            elif f.name == "secret_file":
                from rejoinder.secret_key import key_file

                shown = str(key_file(self)) + (" (unused: secret is set)" if self.secret else "")
            elif f.name == "admin_token":
                shown = "(set)" if value else "(none: the articles API is read-only)"
            elif isinstance(value, tuple):
                shown = " ".join(value) or "(none)"
            elif value is None:
                shown = "(none)"
            elif f.name.endswith("_url"):
                shown = mask_password(value)
            else:
                shown = str(value)
            rows.append((f.name, shown, self.sources.get(f.name, "default")))
        return rows
