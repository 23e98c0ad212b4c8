"""The tables, in SQLAlchemy Core. One schema for SQLite and PostgreSQL.

Alembic migrations in ``migrations/versions`` create exactly this; a test compares the two so
they cannot drift.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

# SQLite's INTEGER PRIMARY KEY is its rowid only when spelled INTEGER; PostgreSQL gets BIGINT.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Always an aware UTC datetime in Python, whatever the database keeps.

    SQLite has no time zones, so naive UTC is stored there; PostgreSQL gets timestamptz.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(DateTime(timezone=True))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

sites = Table(
    "sites",
    metadata,
    Column("id", Id, primary_key=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # "post" (publish, then moderate), "pre", "pre_guests", "pre_links" or "pre_newcomers"
    # (domain/moderation/pipeline.py's Mode); threads may override.
    Column("moderation_mode", String(16), nullable=False, server_default=text("'post'")),
    # Threads stop taking comments this many days after publication; NULL keeps them open.
    Column("auto_close_days", Integer),
    # Whether a writer whose words would hold or refuse their comment is told why first
    # (domain/moderation/nudge.py).
    Column("nudge", Boolean, nullable=False, server_default=text("true")),
)

threads = Table(
    "threads",
    metadata,
    Column("id", Id, primary_key=True),
    Column("site_id", Id, ForeignKey("sites.id"), nullable=False),
    Column("key", String(512), nullable=False),
    Column("title", String(300)),
    Column("url", String(2048)),
    Column("closed", Boolean, nullable=False, server_default=text("false")),
    Column("comment_count", Integer, nullable=False, server_default=text("0")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_comment_at", UTCDateTime),
    Column("moderation_mode", String(16)),
    # Shown above the comments: house rules for a sensitive story, or why it was closed.
    Column("message", Text),
    # When the story went out; auto-close counts from here (or from the thread's creation).
    Column("published_at", UTCDateTime),
    # Bumped by every change readers could see: a cached page of the thread is fresh while
    # its version is the thread's (see web/read_cache.py).
    Column("version", Integer, nullable=False, server_default=text("0")),
    # Shadow-banned comments in the thread; while there are none, every reader sees the same.
    Column("shadowed", Integer, nullable=False, server_default=text("0")),
    # Editors' picks ever marked and not unmarked: while 0, nobody looks for them.
    Column("featured", Integer, nullable=False, server_default=text("0")),
    # When webhooks were told it closed: by a moderator, or by itself after auto_close_days
    # (the outbox's scheduled pass, service/webhooks.queue_auto_closed); once either way.
    Column("close_announced_at", UTCDateTime),
    UniqueConstraint("site_id", "key"),
)

voters = Table(
    "voters",
    metadata,
    Column("id", Id, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("key", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("kind", "key"),
)

comments = Table(
    "comments",
    metadata,
    Column("id", Id, primary_key=True),
    Column("thread_id", Id, ForeignKey("threads.id"), nullable=False),
    Column("parent_id", Id, ForeignKey("comments.id")),
    # The top-level comment this one answers, directly or not: one indexed lookup fetches
    # every reply under a page of top-level comments. NULL for top-level comments.
    Column("root_id", Id, ForeignKey("comments.id")),
    Column("author_name", String(64), nullable=False),
    Column("author_email", String(254)),
    Column("author_guest", Boolean, nullable=False),
    Column("author_badge", String(32)),
    Column("author_ip_hash", String(64)),
    Column("voter_id", Id, ForeignKey("voters.id")),
    Column("body_markdown", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("spoiler", Boolean, nullable=False, server_default=text("false")),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("edited_at", UTCDateTime),
    Column("deleted_at", UTCDateTime),
    Column("votes_up", Integer, nullable=False, server_default=text("0")),
    Column("votes_down", Integer, nullable=False, server_default=text("0")),
    # Wilson lower bound of the votes, kept in step with them, so "Best" is an index scan.
    Column("score", Float(53), nullable=False, server_default=text("0")),
    # Direct replies that readers see: visible ones and deleted placeholders that still
    # have replies of their own.
    Column("reply_count", Integer, nullable=False, server_default=text("0")),
    # A signed-in (SSO) author; guests are known by their browser's voter id instead.
    Column("user_id", Id),
    Column("featured", Boolean, nullable=False, server_default=text("false")),
    # JSON list of what the moderation pipeline and moderators decided, with their reasons.
    Column("moderation", Text),
    Column("toxicity", Float(53)),
    # The first comment of a coordinated campaign this one belongs to.
    Column("campaign_id", Id),
    Column("report_count", Integer, nullable=False, server_default=text("0")),
    Column("moderated_at", UTCDateTime),
    Column("moderated_by", String(64)),
    # A random value the comment's edit token signs with its id, so that a token outlives
    # neither its comment nor a restore that hands the same id to another comment. NULL on
    # comments written before edit keys, whose tokens sign the id alone.
    Column("edit_key", String(32)),
    # An imported comment's archive format ("disqus") and id there; NULL for native ones.
    # ``source_parent`` is the id there of the comment it answers, until that one arrives.
    Column("source", String(32)),
    Column("source_id", String(255)),
    Column("source_parent", String(255)),
    Index(None, "thread_id", "parent_id", "created_at", "id"),
    Index(None, "status", "created_at"),
    # The editors' picks of a thread, found without reading all its comments. Partial, so
    # that no planner is tempted to read a thread's ordinary comments through it.
    Index(
        "ix_comments_featured_thread_id",
        "thread_id",
        sqlite_where=text("featured = 1"),
        postgresql_where=text("featured"),
    ),
    Index(None, "user_id"),
    Index(None, "voter_id"),
    Index(None, "author_ip_hash"),
    Index(None, "campaign_id"),
    Index(None, "thread_id", "parent_id", "score", "created_at", "id"),
    Index(None, "root_id", "created_at", "id"),
    # For the foreign key: removing a comment row looks for replies by parent_id alone, and
    # without this it read the whole table each time (an import of 1,000,000 comments spent
    # hours dropping 20,000 empty placeholders). tests/store/test_schema_indexes.py.
    Index(None, "parent_id"),
    Index("ix_comments_source_source_id", "source", "source_id", unique=True),
)

votes = Table(
    "votes",
    metadata,
    Column("comment_id", Id, ForeignKey("comments.id"), primary_key=True),
    Column("voter_id", Id, ForeignKey("voters.id"), primary_key=True),
    Column("value", SmallInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # Keyed hash of the voter's address (an IPv6 /64): one address adds a bounded number of
    # votes to a comment, however many reader identities it mints.
    Column("address_hash", String(64)),
    Index(None, "comment_id", "address_hash"),
    Index(None, "voter_id"),  # for the foreign key: erasing a reader removes their voter
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", SmallInteger),
    Column("response", Text),
    # Who used the key (a hash of their identity): another client presenting it is refused.
    Column("client", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "created_at"),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Id, primary_key=True),
    Column("site_id", Id, ForeignKey("sites.id"), nullable=False),
    Column("slug", String(120), nullable=False),
    Column("headline", String(300), nullable=False),
    Column("standfirst", Text, nullable=False),
    Column("byline", String(200), nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    # JSON list of tag words; tags are few and only ever read with their article.
    Column("tags", Text, nullable=False, server_default=text("'[]'")),
    Column("body_markdown", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("video_src", String(2048)),
    Column("video_poster", String(2048)),
    Column("captions", Text),
    Column("captions_format", String(8)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The staff username of the story's writer, who may ask for its comments by e-mail.
    Column("author", String(64)),
    UniqueConstraint("site_id", "slug"),
    Index(None, "site_id", "published_at"),
)

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True),
    # Staff who sign in to /admin with a password have a username; SSO readers a subject.
    Column("username", String(64), unique=True),
    Column("sso_subject", String(300), unique=True),
    Column("display_name", String(64), nullable=False),
    Column("email", String(254)),
    Column("password_hash", String(255)),
    # Space-separated: admin, moderator, staff, commenter.
    Column("roles", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime),
)

sessions = Table(
    "sessions",
    metadata,
    # SHA-256 of the cookie's token, so a leaked database does not leak live sessions.
    Column("id", String(64), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "user_id"),
)

bans = Table(
    "bans",
    metadata,
    Column("id", Id, primary_key=True),
    # "user" (a user id), "voter" (a guest browser), "email" or "address" (a keyed hash).
    Column("kind", String(16), nullable=False),
    Column("value", String(254), nullable=False),
    Column("shadow", Boolean, nullable=False, server_default=text("false")),
    Column("reason", Text),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("lifted_at", UTCDateTime),
    Index(None, "kind", "value"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", Id, primary_key=True),
    Column("comment_id", Id, ForeignKey("comments.id"), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("note", Text),
    # "voter:<id>" or "user:<id>". A reader's repeated report is kept for the moderator,
    # but only distinct readers and distinct addresses count towards hiding the comment.
    Column("reporter", String(80), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("address_hash", String(64)),
    Index(None, "comment_id", "reporter"),
    Index(None, "resolved_at", "comment_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target", String(80), nullable=False),
    # JSON snapshots of what the action changed.
    Column("before", Text),
    Column("after", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "created_at"),
)

campaign_bands = Table(
    "campaign_bands",
    metadata,
    # Locality-sensitive hash bands of a comment's text: near-identical texts share a band,
    # so finding a campaign is an indexed lookup, not a comparison with every recent comment.
    # One B-tree in the lookup's order (recent comments under a band): a comment's sixteen
    # random keys each dirty a page of every tree holding them (see migration 0008).
    Column("band", String(24), primary_key=True),
    Column("created_at", UTCDateTime, primary_key=True),
    Column("comment_id", Id, ForeignKey("comments.id"), primary_key=True),
    Index(None, "comment_id"),
    sqlite_with_rowid=False,
)

# Live events kept for an hour when there is no Redis: every process delivers them to its own
# readers in id order, and a reader who reconnects with Last-Event-ID is replayed from here.
live_events = Table(
    "live_events",
    metadata,
    Column("id", Id, primary_key=True),
    Column("channel", String(64), nullable=False),
    Column("data", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "channel", "id"),
    Index(None, "created_at"),
)

# Messages to send (mail, webhook deliveries), written in the transaction of the change that
# causes them, so a crash after the commit loses none (service/outbox.py delivers them).
outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True),
    # Sent with the message (the webhook-id header, a mail's Message-ID) so a receiver can
    # tell a second delivery of the same message after a crash mid-send.
    Column("message_id", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # "webhook" or "mail"
    # The webhook endpoint, for a delivery: its last deliveries are shown to the publisher.
    Column("endpoint_id", Id, ForeignKey("webhook_endpoints.id", ondelete="CASCADE")),
    Column("event", String(40), nullable=False),
    Column("payload", Text, nullable=False),
    Column("state", String(8), nullable=False),  # "pending", "sent" or "failed"
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("due_at", UTCDateTime, nullable=False),
    # A worker that takes a message holds it until then; if it dies, another takes it after.
    Column("claimed_until", UTCDateTime),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Index(None, "state", "due_at"),
    Index(None, "endpoint_id", "id"),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Id, primary_key=True),
    Column("url", String(2048), nullable=False),
    Column("description", String(200)),
    # Space-separated event names ("comment.created comment.approved"), or "*" for all.
    Column("events", Text, nullable=False),
    Column("secret", String(80), nullable=False),
    # While a receiver moves to a new secret, requests are signed with both.
    Column("previous_secret", String(80)),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("failures_in_row", Integer, nullable=False, server_default=text("0")),
    # Why it was switched off (too many failures in a row), shown in /admin.
    Column("disabled_reason", Text),
    Column("created_at", UTCDateTime, nullable=False),
)

# Reply notifications by e-mail (service/mail.py): an address a reader gave, confirmed by the
# link in the one confirmation mail before anything else is sent to it.
mail_addresses = Table(
    "mail_addresses",
    metadata,
    Column("id", Id, primary_key=True),
    Column("address", String(254), nullable=False, unique=True),  # as given, lower-cased
    # The reader's language and the origin the links in their mail start with, from the post.
    Column("language", String(8), nullable=False),
    Column("link_base", String(2048), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("confirm_sent_at", UTCDateTime),
    Column("confirmed_at", UTCDateTime),
    Column("unsubscribed_at", UTCDateTime),
    # The digest waiting in the outbox, while more replies may still join it, and the earliest
    # the next one may go (the last one's time plus ``mail_digest_minutes``).
    Column("digest_outbox_id", Id, ForeignKey("outbox.id", ondelete="SET NULL")),
    Column("next_digest_at", UTCDateTime),
    Index(None, "digest_outbox_id"),  # for the foreign key: the outbox's sweep removes rows
)

reply_subscriptions = Table(
    "reply_subscriptions",
    metadata,
    Column("comment_id", Id, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    Column("address_id", Id, ForeignKey("mail_addresses.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "address_id"),
)

# Moderators' queue digests (service/staff_mail.py): "hour" or "day" while a staff user wants
# one, the moment the last one covered up to, and when the next is due.
staff_mail = Table(
    "staff_mail",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("language", String(8), nullable=False),
    Column("queue_every", String(8)),
    Column("queue_since", UTCDateTime),
    Column("queue_due_at", UTCDateTime),
    # "E-mail me the comments on my stories" (articles whose ``author`` is this user), and
    # the digest of them waiting in the outbox, as for readers' replies (store/mail.py).
    Column("stories", Boolean, nullable=False, server_default=text("false")),
    Column("story_outbox_id", Id, ForeignKey("outbox.id", ondelete="SET NULL")),
    Column("story_next_at", UTCDateTime),
    # The origin the choice was made on (the configured public_url, else the request's): the
    # mails' links point there, as readers' addresses keep theirs.
    Column("link_base", String(2048)),
    Index(None, "queue_due_at"),
    Index(None, "story_outbox_id"),  # for the foreign key: the outbox's sweep removes rows
)
