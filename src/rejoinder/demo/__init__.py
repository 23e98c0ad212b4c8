"""Demo content: the reference article and its two guest comments."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

from rejoinder.config import Settings
from rejoinder.domain.articles import ArticleDraft, parse_article
from rejoinder.domain.comments import draft_comment
from rejoinder.domain.models import Status
from rejoinder.store.articles import add_article, find_article
from rejoinder.store.comments import insert_comment
from rejoinder.store.database import Database
from rejoinder.store.threads import find_thread, thread_for_new_comment


def reference_article() -> ArticleDraft:
    """The reference story, read like any newsroom's file; its media sit beside it."""
    folder = Path(str(files(__package__)))
    return parse_article((folder / reference()["article"]["file"]).read_text("utf-8"), folder)


def reference() -> dict[str, Any]:
    return tomllib.loads(files(__package__).joinpath("reference.toml").read_text("utf-8"))


async def load_demo(
    settings: Settings, now: datetime | None = None, site_url: str = "http://127.0.0.1:8080"
) -> str:
    """Load the reference discussion once; running it again changes nothing."""
    now = now or datetime.now(UTC)
    content = reference()
    article = reference_article()
    thread_url = f"{site_url.rstrip('/')}/articles/{article.slug}"
    database = Database(settings.database_url)
    try:
        async with database.write() as connection:
            if await find_thread(connection, article.slug) is not None:
                return f"demo thread {article.slug!r} is already loaded"
            if await find_article(connection, article.slug) is None:
                await add_article(connection, article, now)
            thread = await thread_for_new_comment(
                connection, article.slug, article.headline, thread_url, now
            )
            for item in content["comments"]:
                draft = draft_comment(
                    thread=article.slug,
                    author_name=item["author"],
                    body=item["body"].strip(),
                    spoiler=item["spoiler"],
                )
                await insert_comment(
                    connection,
                    thread_id=thread.id,
                    draft=draft,
                    root_id=None,
                    author_guest=True,
                    author_badge=None,
                    voter_id=None,
                    ip_hash=None,
                    status=Status.VISIBLE,
                    now=now - timedelta(days=item["age_days"]),
                )
        return f"loaded demo thread {article.slug!r} with {len(content['comments'])} comments"
    finally:
        await database.dispose()
