"""The tables of a Rejoinder export, read a page at a time and written back into an empty
database with their ids, so links to ``#comment-123`` and bans of a reader keep meaning the
same after a move from SQLite to PostgreSQL.

What a newsroom owns is exported: sites, users (never their password hashes), readers' voter
rows, articles, threads, comments with their moderation history, votes, reports, bans,
readers' reply-mail addresses and the comments they follow, staff's mail choices, and the
audit log. What can be made again is not: rendered HTML (made afresh from the markdown on
restore, so nothing in a file reaches a page unsanitised), the cache version of a thread, the
edit keys of comments (secrets for tokens that expire within minutes), sessions, retry keys,
live events, campaign bands, webhook endpoints (their secrets should not travel) and the
outbox. ``docs/backup.md`` documents each record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    Integer,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.sql import ColumnElement

from rejoinder.store.database import Connection
from rejoinder.store.schema import (
    UTCDateTime,
    articles,
    audit_log,
    bans,
    comments,
    mail_addresses,
    reply_subscriptions,
    reports,
    sites,
    staff_mail,
    threads,
    users,
    voters,
    votes,
)


@dataclass(frozen=True)
class Field:
    """One column as the export format knows it: a plain description, so that reading a file
    (service/exporting.py) can check each value without knowing SQL types."""

    name: str
    kind: str  # "int", "float", "bool", "text", "time" or "json"
    required: bool
    max_length: int | None = None


@dataclass(frozen=True)
class Kind:
    name: str
    table: Table
    omitted: tuple[str, ...] = ()
    json: tuple[str, ...] = ()  # text columns holding JSON, exported as the values they hold

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.table.primary_key.columns)

    @property
    def fields(self) -> list[Field]:
        return [
            _field(self, column) for column in self.table.columns if column.name not in self.omitted
        ]


def _field(kind: Kind, column: Any) -> Field:
    required = not column.nullable and column.server_default is None
    if column.name in kind.json:
        return Field(column.name, "json", required)
    kinds: list[tuple[type, str]] = [
        (UTCDateTime, "time"),
        (Boolean, "bool"),
        (Float, "float"),
        (Integer, "int"),  # BigInteger and SmallInteger too
        (String, "text"),  # Text too
    ]
    for sql_type, name in kinds:
        if isinstance(column.type, sql_type):
            length = getattr(column.type, "length", None) if name == "text" else None
            return Field(column.name, name, required, length)
    raise TypeError(f"{kind.table.name}.{column.name}: no export kind for {column.type!r}")


# In the order a restore writes them: each refers only to those before it.
KINDS: tuple[Kind, ...] = (
    Kind("site", sites),
    Kind("user", users, omitted=("password_hash",)),
    Kind("voter", voters),
    Kind("article", articles, omitted=("body_html",), json=("tags",)),
    Kind("thread", threads, omitted=("version",)),
    Kind("comment", comments, omitted=("body_html", "edit_key"), json=("moderation",)),
    Kind("vote", votes),
    Kind("report", reports),
    Kind("ban", bans),
    # Readers' reply notifications and staff's mail choices; a digest waiting in the outbox
    # is not carried over (the outbox is not), so the reference to it is not either.
    Kind("mail_address", mail_addresses, omitted=("digest_outbox_id",)),
    Kind("reply_subscription", reply_subscriptions),
    Kind("staff_mail", staff_mail, omitted=("story_outbox_id",)),
    Kind("audit", audit_log, json=("before", "after")),
)
BY_NAME = {kind.name: kind for kind in KINDS}
PAGE = 1000


def _since(kind: Kind, since: datetime) -> ColumnElement[bool] | None:
    """What a ``--since`` export keeps of each kind: what was made or changed since then.
    Sites, users, voters and articles are few, and are all kept."""
    t = kind.table.c
    if kind.name == "thread":
        recent = select(comments.c.thread_id).where(comments.c.created_at >= since)
        return or_(t.created_at >= since, t.id.in_(recent))
    if kind.name == "comment":
        return or_(t.created_at >= since, t.edited_at >= since, t.moderated_at >= since)
    if kind.name == "vote":
        return t.updated_at >= since
    if kind.name == "ban":
        return or_(t.created_at >= since, t.lifted_at >= since)
    if kind.name in ("report", "audit", "reply_subscription"):
        return t.created_at >= since
    if kind.name == "mail_address":
        return or_(t.created_at >= since, t.confirmed_at >= since, t.unsubscribed_at >= since)
    return None


def _of_site(kind: Kind, site_id: int) -> ColumnElement[bool] | None:
    t = kind.table.c
    site_threads = select(threads.c.id).where(threads.c.site_id == site_id)
    if kind.name == "site":
        return t.id == site_id
    if kind.name in ("thread", "article"):
        return t.site_id == site_id
    if kind.name == "comment":
        return t.thread_id.in_(site_threads)
    site_comments = select(comments.c.id).where(comments.c.thread_id.in_(site_threads))
    if kind.name in ("vote", "report", "reply_subscription"):
        return t.comment_id.in_(site_comments)
    if kind.name == "mail_address":  # those following a comment on the site
        followed = select(reply_subscriptions.c.address_id).where(
            reply_subscriptions.c.comment_id.in_(site_comments)
        )
        return t.id.in_(followed)
    return None


async def site_id(connection: Connection, slug: str) -> int | None:
    return (await connection.execute(select(sites.c.id).where(sites.c.slug == slug))).scalar()


async def page_of(
    connection: Connection,
    kind: Kind,
    after: tuple[Any, ...] | None,
    *,
    site: int | None = None,
    since: datetime | None = None,
) -> list[dict[str, Any]]:
    """The next ``PAGE`` rows of ``kind`` after the key ``after``, in key order: a page at a
    time, so an export of millions of comments holds a thousand in memory."""
    t = kind.table
    key = [t.c[name] for name in kind.key]
    query = select(*(t.c[f.name] for f in kind.fields)).order_by(*key).limit(PAGE)
    if after is not None:
        query = query.where(tuple_(*key) > tuple_(*after) if len(key) > 1 else key[0] > after[0])
    for condition in (
        _of_site(kind, site) if site is not None else None,
        _since(kind, since) if since is not None else None,
    ):
        if condition is not None:
            query = query.where(condition)
    return [dict(row._mapping) for row in await connection.execute(query)]


async def occupied(connection: Connection) -> list[str]:
    """The tables, among those a restore writes, that already hold rows (sites aside: a
    migrated database has its default site, which the export's replaces)."""
    found = []
    for kind in KINDS[1:]:
        if (await connection.execute(select(func.count()).select_from(kind.table))).scalar():
            found.append(kind.table.name)
    return found


async def write(connection: Connection, kind: Kind, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows of ``kind`` with their own ids; a site with a taken id replaces it."""
    if not rows:
        return
    if kind.name == "site":
        for row in rows:
            await connection.execute(delete(sites).where(sites.c.id == row["id"]))
    await connection.execute(insert(kind.table), list(rows))


async def link_parents(connection: Connection, links: Sequence[dict[str, Any]]) -> None:
    """Parents and roots of comments that came before them in the file (an archive imported
    with late parents gives a reply a smaller id than its parent)."""
    if not links:
        return
    statement = (
        update(comments)
        .where(comments.c.id == bindparam("comment"))
        .values(parent_id=bindparam("parent"), root_id=bindparam("root"))
    )
    await connection.execute(statement, list(links))


async def after_restore(connection: Connection) -> None:
    """PostgreSQL's id sequences moved past the restored ids, so the next native comment does
    not collide with one. Counts are restored as they were exported, with their comments."""
    if connection.dialect.name != "postgresql":
        return
    for kind in KINDS:
        if kind.key != ("id",):
            continue
        name = kind.table.name
        await connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"COALESCE((SELECT max(id) FROM {name}), 0) + 1, false)"
        )
