"""Configuration: one table of settings, resolved once, passed everywhere.

Every setting is declared once, as a field of ``Settings`` made with ``setting(default, help,
parse)``; ``SETTINGS`` lists them in that order. From that one declaration come the default,
the environment variable ``REJOINDER_<NAME>``, the name in the optional TOML file
(``REJOINDER_CONFIG`` or ``--config``), the ``--<name-with-dashes>`` flag of ``rejoinder serve``,
``demo`` and ``check``, and the table in docs/configuration.md (``settings_table``). A flag wins
over the environment, which wins over the file, so a deployment can override one value without
editing the file. Nothing outside ``cli.py`` reads ``os.environ``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from rejoinder.catalogues import parse_language

ENV_PREFIX = "REJOINDER_"
T = TypeVar("T")


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


def _smtp_url(value: str) -> str | None:
    url = _optional(value)
    if url is not None and not re.match(r"^smtps?://([^@/\s]+@)?[^@/\s:]+(:\d+)?/?$", url):
        raise ValueError("an SMTP server is smtp://user:password@host:port (or smtps://)")
    return url


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


def _newcomer_comments(value: str | int) -> int:
    number = int(value)
    if not 1 <= number <= 100:
        raise ValueError(f"must be between 1 and 100, got {value!r}")
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


LOG_FORMATS = ("auto", "json", "text")


def _log_format(value: str) -> str:
    lowered = str(value).strip().lower()
    if lowered not in LOG_FORMATS:
        raise ValueError(f"not a log format: {value!r} (use auto, json or text)")
    return lowered


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


def format_duration(seconds: int) -> str:
    """``60`` → ``"1m"``, ``900`` → ``"15m"``, ``90`` → ``"90s"``: how a duration is written."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _positive_duration(value: str | int) -> int:
    return _positive(parse_duration(value))


@dataclass(frozen=True)
class Setting:
    """One row of the settings table: a field of ``Settings`` with its environment variable,
    its command-line flag and its row in docs/configuration.md.

    ``help`` is markdown, as the docs show it. ``shown_default`` is the docs' default column
    where the value alone would say too little; without it the column shows ``(none)`` for no
    value, else the value as code (a rate as ``30/1m``).
    """

    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any] = str
    shown_default: str | None = None

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def default_text(self) -> str:
        """The default as the docs table shows it."""
        if self.shown_default is not None:
            return self.shown_default
        value = self.default
        if value is None or value == ():
            return "(none)"
        if isinstance(value, bool):
            return f"`{str(value).lower()}`"
        if self.parse is parse_rate:
            return f"`{value[0]}/{format_duration(value[1])}`"
        return f"`{value}`"


_SETTING = "rejoinder.setting"


def setting(
    default: T, help: str, parse: Callable[[Any], T], *, shown_default: str | None = None
) -> T:
    """A field of ``Settings`` that is a setting: its default, its description (markdown, for
    the docs and ``--help``) and the parser for values given as text (or as TOML values)."""
    return field(default=default, metadata={_SETTING: (help, parse, shown_default)})


@dataclass(frozen=True)
class Settings:
    """The resolved configuration. Build it with ``Settings.load`` (or directly in tests).

    Each field declared with ``setting(...)`` is one setting: this class is the settings table
    that ``SETTINGS``, the ``REJOINDER_<NAME>`` variables, the ``--<name>`` flags and the
    table in docs/configuration.md (``settings_table``) are made from, in this order.
    """

    database_url: str = setting(
        "sqlite:///./rejoinder.db",
        "Where comments live: `sqlite:///path.db` or `postgresql://user@host:5432/db`.",
        str,
    )
    read_database_url: str | None = setting(
        None,
        "Optional PostgreSQL read replica, `postgresql://user@replica:5432/db`, for building "
        "the thread pages anonymous readers share. A page is built there only if the replica "
        "has caught up with the thread's version on the primary; a replica that fails is left "
        "alone for 30 seconds. See [scaling.md](scaling.md#several-processes-and-machines).",
        _postgres_url,
    )
    redis_url: str | None = setting(
        None,
        "Optional Redis, `redis://host:6379/0`: live events and rate-limit counters shared by "
        "every process. Without it, live events still reach every process through the "
        "database, and rate limits are per process. "
        "See [scaling.md](scaling.md#several-processes-and-machines).",
        _optional,
    )
    public_url: str | None = setting(
        None,
        "The origin readers reach this server at, such as `https://comments.news.example`. "
        "Canonical links and every link the server writes out use it; without it they follow "
        "the request's `Host` header, which a client chooses, so set it in production.",
        _public_url,
    )
    language: str = setting(
        "en",
        "The language of the site's pages (articles, search, the comments they show): `en`, "
        "`uk`, `de`, `fr`, `es` or `pl`. The moderation pages follow each moderator's browser "
        "among these, and fall back to this one. The widget follows its page's language.",
        parse_language,
    )
    allowed_origins: tuple[str, ...] = setting(
        (),
        "Space-separated origins (`https://news.example`) whose pages may post, vote and "
        "report through the widget; any other site may show the discussion, read-only. The "
        "server's own origin is always allowed.",
        _origins,
    )
    trusted_proxies: tuple[str, ...] = setting(
        (),
        "Space-separated addresses or networks (`10.0.0.0/8`) of reverse proxies whose "
        "`X-Forwarded-For`, `X-Forwarded-Proto` and `X-Request-Id` are believed.",
        _words,
    )
    secret: str | None = setting(
        None,
        "Signing key for edit tokens, reader tokens (and the voter cookie) and address hashes. "
        "When unset, the key is read from `secret_file`, where the first run generates it. It "
        "is never kept in the database: see [The signing key](#the-signing-key).",
        _optional,
        shown_default="(none: the key file)",
    )
    secret_file: str | None = setting(
        None,
        "File holding the signing key when `secret` is unset, created with mode 0600 on first "
        "run. Ignored when `secret` is set.",
        _optional,
        shown_default="`<name>.key` beside a SQLite database file "
        "(`./rejoinder.db` → `./rejoinder.key`), else `./rejoinder.key`",
    )
    backup_dir: str | None = setting(
        None,
        "A directory for automatic daily backups, taken by the running server (see "
        "[backup.md](backup.md)); unset, only `rejoinder backup` takes them.",
        _optional,
        shown_default="(none: no automatic backups)",
    )
    backup_keep: int = setting(
        7, "How many of the automatic daily backups to keep; older ones are removed.", _positive
    )
    outbox_attempts: int = setting(
        12,
        "How many times an outgoing message (a webhook delivery, an e-mail) is tried before it "
        "is kept as failed, to be sent again from `/admin/outbox`.",
        _positive,
    )
    outbox_retry: int = setting(
        30,
        "The wait before a failed message's second attempt; each later wait doubles, up to six "
        "hours (so 12 attempts span about a day and a half).",
        _positive_duration,
        shown_default="`30s`",
    )
    outbox_timeout: int = setting(
        10,
        "How long one webhook delivery or SMTP conversation may take before it counts as failed.",
        _positive_duration,
        shown_default="`10s`",
    )
    smtp_url: str | None = setting(
        None,
        "The SMTP server that sends reply notifications: `smtp://user:password@host:587` "
        "(STARTTLS when the server offers it) or `smtps://…:465` (TLS from the start). Unset, "
        "nothing is mailed and readers are not offered notifications. See [email.md](email.md).",
        _smtp_url,
        shown_default="(none: no e-mail)",
    )
    mail_from: str = setting(
        "Rejoinder <rejoinder@localhost>",
        "The `From` of every mail the server sends.",
        str,
    )
    mail_digest_minutes: int = setting(
        15,
        "A reader is mailed about replies at most once in this many minutes; replies that "
        "arrive meanwhile are gathered into one mail.",
        _positive,
    )
    webhook_allow_private: bool = setting(
        False,
        "Let webhooks go to private, loopback and link-local addresses (a receiver on the same "
        "machine or network). Off, such an endpoint is refused when registered and at each "
        "delivery, whatever its name resolved to before.",
        _boolean,
    )
    webhook_disable_after: int = setting(
        5,
        "A webhook endpoint is switched off once this many of its messages in a row have failed "
        "every attempt (`outbox_attempts`); /admin says why. Switched on again, it gets new "
        "events; the failed ones are sent again from `/admin/webhooks`.",
        _positive,
    )
    admin_token: str | None = setting(
        None,
        "Bearer token for creating and editing articles through `/api/articles` "
        "(`Authorization: Bearer TOKEN`). Unset, those writes are refused with 403; reading "
        "stays open. Shown only as `(set)` by `rejoinder check`.",
        _optional,
    )
    metrics_token: str | None = setting(
        None,
        "Bearer token for Prometheus' scrapes of `/metrics` (`Authorization: Bearer TOKEN`). "
        "Unset, `/metrics` answers 404. Shown only as `(set)` by `rejoinder check`. See "
        "[operations.md](operations.md#metrics).",
        _optional,
    )
    edit_window: int = setting(
        900,
        "How long an author may edit or delete their comment: seconds, or `30s`, `15m`, `1h`, "
        "`2d`.",
        parse_duration,
        shown_default="`900` (15 minutes)",
    )
    sso_secret: str | None = setting(
        None,
        "Shared secret for publisher single sign-on tokens signed with HS256. "
        "See [moderation.md](moderation.md#single-sign-on).",
        _optional,
    )
    sso_public_key: str | None = setting(
        None,
        "The publisher's PEM public key, inline or as a file path, for SSO tokens signed with "
        "RS256, ES256 or EdDSA.",
        _key_text,
    )
    sso_audience: str | None = setting(
        None, "When set, SSO tokens must carry this `aud` claim.", _optional
    )
    sso_issuer: str | None = setting(
        None, "When set, SSO tokens must carry this `iss` claim.", _optional
    )
    banned_words: tuple[str, ...] = setting(
        (),
        "Comma-separated words or phrases that get a comment rejected (matched on word "
        "boundaries, through leetspeak, look-alike letters and spacing tricks).",
        _phrases,
    )
    suspect_words: tuple[str, ...] = setting(
        (),
        "Comma-separated words or phrases that send a comment to the moderation queue.",
        _phrases,
    )
    max_links: int = setting(2, "Comments with more links than this wait in the queue.", int)
    newcomer_comments: int = setting(
        3,
        "In the `pre_newcomers` moderation mode, a writer's comments wait for a moderator "
        "until this many of theirs are published (1 to 100).",
        _newcomer_comments,
    )
    toxicity_threshold: float = setting(
        0.9,
        "Toxicity score (0 to 1) at or above which a comment waits in the queue.",
        _fraction,
    )
    toxicity_url: str | None = setting(
        None,
        'A Perspective-style scoring API (`POST {"comment": {"text": …}}`, answer '
        "`attributeScores.TOXICITY.summaryScore.value`) used instead of the built-in model.",
        _optional,
        shown_default="(none: the built-in offline model)",
    )
    toxicity_api_key: str | None = setting(
        None,
        "The `toxicity_url` API's key, sent as its `key` query parameter (Perspective's); "
        "shown as `(set)` by `rejoinder check`.",
        _optional,
    )
    toxicity_languages: tuple[str, ...] = setting(
        (),
        "Space-separated language codes (`en uk`) the `toxicity_url` API is told the comments "
        "are in.",
        _words,
        shown_default="(none: the API detects them)",
    )
    toxicity_timeout: int = setting(
        2, "Seconds to wait for the `toxicity_url` API.", parse_duration
    )
    toxicity_fail_open: bool = setting(
        True,
        "When the `toxicity_url` API fails or times out: `true` publishes the comment (noting "
        "why), `false` queues it.",
        _boolean,
    )
    campaign_window: int = setting(
        3600,
        "How far back near-identical comments from other names count towards a coordinated "
        "campaign.",
        parse_duration,
        shown_default="`3600` (1 hour)",
    )
    campaign_authors: int = setting(
        3,
        "Distinct names posting near-identical text within the window that make a campaign: "
        "all of its comments are queued and linked.",
        _positive,
    )
    report_threshold: int = setting(
        3,
        "Reports that hide a comment until a moderator reviews it: from this many different "
        "readers **and** this many different addresses.",
        _positive,
    )
    votes_per_address: int = setting(
        10,
        "Votes one address (an IPv6 /64) may add to one comment, however many readers or "
        "reader tokens it has.",
        _positive,
    )
    rate_votes_per_address: tuple[int, int] = setting(
        (30, 60),
        "Votes one address may cast per period, on all comments together: COUNT/PERIOD, "
        "like `30/1m`.",
        parse_rate,
    )
    rate_posts_per_address: tuple[int, int] = setting(
        (10, 60),
        "Comments one client address may post per period (COUNT/PERIOD); beyond it, 429 with "
        "`Retry-After`.",
        parse_rate,
    )
    rate_posts_per_user: tuple[int, int] = setting(
        (10, 60),
        "Comments one signed-in user may post per period: COUNT/PERIOD.",
        parse_rate,
    )
    rate_logins: tuple[int, int] = setting(
        (5, 900),
        "Admin sign-in attempts per address, and per address for one username, per period: "
        "COUNT/PERIOD.",
        parse_rate,
    )
    rate_logins_per_username: tuple[int, int] = setting(
        (100, 900),
        "Admin sign-in attempts for one username from all addresses together: COUNT/PERIOD. "
        "Much higher than `rate_logins`, so that wrong passwords sent from other addresses "
        "cannot lock a moderator out, while a guessing campaign spread over many addresses is "
        "still capped.",
        parse_rate,
    )
    shutdown_timeout: int = setting(
        10,
        "On SIGTERM, how long open requests and event streams may take to finish before they "
        "are cut off: seconds, or `30s`, `1m`. The process exits at most 5 seconds after that. "
        "See [operations.md](operations.md#shutdown-and-connections).",
        _positive_duration,
    )
    header_timeout: int = setting(
        10,
        "How long a new connection may take to send a complete request head before it is "
        "closed: seconds, or `30s`. Between requests on a kept-alive connection, uvicorn's "
        "5-second keep-alive timeout applies the same way.",
        _positive_duration,
    )
    max_connections: int = setting(
        1000,
        "Open connections one worker process holds; beyond it, new connections are answered "
        "503 with `Retry-After: 1` and closed. Keep `workers × max_connections` below the "
        "open-file limit (`ulimit -n`).",
        _positive,
    )
    log_format: str = setting(
        "auto",
        "How the server writes its log on stderr: `json` (one object a line, for a log "
        "collector), `text` (for a person), or `auto`: `text` when stderr is a terminal, else "
        "`json`. See [operations.md](operations.md#the-log).",
        _log_format,
    )
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str],
        config_file: str | Path | None = None,
        **overrides: Any,
    ) -> Settings:
        """Resolve each setting from ``overrides`` (command-line flags, recorded as "flag"),
        else the environment, else the TOML file, else its default. An override of ``None``
        is a flag not given."""
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
        for entry in SETTINGS:
            if overrides.get(entry.name) is not None:
                raw, source, named = overrides[entry.name], "flag", entry.flag
            elif entry.env in environ:
                raw, source, named = environ[entry.env], entry.env, entry.env
            elif entry.name in file_values:
                raw, source, named = file_values[entry.name], str(config_file), entry.env
            else:
                values[entry.name] = entry.default
                sources[entry.name] = "default"
                continue
            try:
                values[entry.name] = entry.parse(raw)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{named}: {exc}") from exc
            sources[entry.name] = source
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
            elif f.name == "metrics_token":
                shown = "(set)" if value else "(none: /metrics is off)"
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


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(f.name, f.default, *f.metadata[_SETTING])
    for f in fields(Settings)
    if _SETTING in f.metadata
)


def settings_table() -> str:
    """The markdown table of every setting, as docs/configuration.md holds it between
    ``TABLE_BEGIN`` and ``TABLE_END`` (``scripts/make-settings-docs`` writes it there)."""
    rows = [
        "| setting | environment variable | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for entry in SETTINGS:
        cells = (f"`{entry.name}`", f"`{entry.env}`", entry.default_text, entry.help)
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


TABLE_BEGIN = (
    "<!-- The settings table is generated from src/rejoinder/config.py: edit the settings "
    "there, then run scripts/make-settings-docs. -->"
)
TABLE_END = "<!-- End of the generated settings table. -->"


def with_settings_table(document: str) -> str:
    """``document`` (docs/configuration.md) with the text between its table markers replaced
    by ``settings_table()``."""
    before, begin, rest = document.partition(TABLE_BEGIN)
    _, end, after = rest.partition(TABLE_END)
    if not begin or not end:
        raise ValueError(f"no {TABLE_BEGIN!r} … {TABLE_END!r} markers in the document")
    return f"{before}{TABLE_BEGIN}\n{settings_table()}{TABLE_END}{after}"
