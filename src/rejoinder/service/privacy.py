"""A commenter's own data: what they may see of it, download, or erase.

Signed-in readers are known by their sign-on token; guests by their reader token, so a guest
can take out or erase what they wrote from that browser, and nobody else's. An identity that
names no reader gets nothing: an address alone is shared by too many people to hand out
their data.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rejoinder.domain.events import CommentHidden, Event
from rejoinder.domain.identity import Identity
from rejoinder.service.outcomes import Outcome
from rejoinder.service.services import Services
from rejoinder.store import privacy
from rejoinder.store import threads as thread_store
from rejoinder.store.authors import ReaderThread, find_author, reader_thread


async def author_data(app: Services, identity: Identity) -> dict[str, Any]:
    """Everything stored about the reader, as one JSON-ready document; each comment's status
    is the one they see (a shadow-banned author's comments are published, for them)."""
    async with app.db.read() as connection:
        author = await find_author(connection, identity)
        data = await privacy.author_data(
            connection, user_id=author.user_id, voter_id=author.voter_id
        )
    for comment in data["comments"]:
        comment["status"] = comment["status"].as_seen_by_author().value
    return data


async def erase(app: Services, identity: Identity) -> Outcome[int]:
    """Delete the reader's account or their browser's guest comments; how many went.

    Recent live events hold their words, so the event log forgets everything it kept (and
    reconnecting readers reload) before the removals are announced.
    """
    now = app.clock()
    async with app.db.write() as connection:
        author = await find_author(connection, identity)
        removed = await privacy.erase_author(
            connection, user_id=author.user_id, voter_id=author.voter_id, now=now
        )
        events: list[Event] = []
        for comment_id, thread_id in removed:
            events.append(
                CommentHidden(
                    thread=await thread_store.thread_key(connection, thread_id),
                    id=comment_id,
                    comment_count=await thread_store.visible_count(connection, thread_id),
                )
            )
    if removed:
        await app.publisher.log.forget_all()
    return Outcome(len(removed), events)


async def reader_part(app: Services, identity: Identity, thread_key: str) -> ReaderThread:
    """The reader's votes in the thread, and their comments they may still edit, each with
    the moment its edit window closes."""
    now = app.clock()
    window = timedelta(seconds=app.settings.edit_window)
    async with app.db.read() as connection:
        found = await thread_store.find_thread(connection, thread_key)
        author = await find_author(connection, identity)
        if found is None:
            return ReaderThread({}, [])
        part = await reader_thread(connection, found.id, author, now - window)
    return ReaderThread(part.votes, [(comment_id, at + window) for comment_id, at in part.own])
