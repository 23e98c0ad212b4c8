"""Running the moderation pipeline for one new or edited comment.

Nothing here holds SQLite's single writer while it waits: the database-free steps (word
lists, links, the toxicity model or API) run first, then bans and campaigns are read on a
read connection (``look_up``), and only the thread's moderation mode is read inside the
write transaction (``conclude``). A ban or a campaign copy committed between the read and the
write is seen by the next comment, not this one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from rejoinder.domain.errors import Problem, RejoinderError
from rejoinder.domain.models import Status, StoredComment
from rejoinder.domain.moderation import campaigns, links, nudge, words
from rejoinder.domain.moderation.nudge import Nudge
from rejoinder.domain.moderation.pipeline import (
    Action,
    Finding,
    Mode,
    decide,
    link_findings,
    mode_findings,
    word_findings,
)
from rejoinder.scoring import toxicity_verdict
from rejoinder.service.services import Services
from rejoinder.store import bans as ban_store
from rejoinder.store import campaigns as campaign_store
from rejoinder.store import comments as comment_store
from rejoinder.store import moderation as moderation_store
from rejoinder.store.campaigns import Candidate
from rejoinder.store.database import Connection
from rejoinder.store.threads import ThreadRow


class Prescreen(msgspec.Struct, frozen=True):
    findings: list[Finding]
    toxicity: float | None
    link_count: int
    bands: list[str]
    # What in the words themselves would hold or refuse the comment: why its writer is nudged.
    nudges: list[Nudge] = []


class Screening(msgspec.Struct, frozen=True):
    status: Status
    findings: list[Finding]
    toxicity: float | None
    bands: list[str]
    campaign: list[Candidate]


async def prescreen(app: Services, text: str) -> Prescreen:
    settings = app.settings
    link_count = links.count_links(text)
    banned = words.find_words(text, settings.banned_words)
    suspect = words.find_words(text, settings.suspect_words)
    findings = word_findings(banned, suspect)
    findings += link_findings(link_count, settings.max_links)
    score = await app.scorer.score(text)
    queue, reason = toxicity_verdict(
        score, settings.toxicity_threshold, settings.toxicity_fail_open
    )
    if reason is not None:
        findings.append(Finding("toxicity", Action.QUEUE if queue else Action.NOTE, reason))
    nudges = nudge.text_nudges(
        banned=banned, suspect=suspect, toxic=queue and score.value is not None
    )
    return Prescreen(findings, score.value, link_count, campaigns.band_keys(text), nudges)


def stricter(current: Status, decided: Status) -> Status:
    """An edit may take a comment off the page, never put it back: a comment waiting for a
    moderator (after reports, say) stays waiting however its text changes."""
    if decided is Status.REJECTED:
        return Status.REJECTED
    if current is Status.VISIBLE and decided in (Status.PENDING, Status.SHADOW):
        return decided
    return current


class Evidence(msgspec.Struct, frozen=True):
    """What the database says about the author and the text: shadow-bans and a campaign."""

    findings: list[Finding]
    campaign: list[Candidate]


async def look_up(
    connection: Connection,
    app: Services,
    pre: Prescreen,
    *,
    text: str,
    author_name: str,
    identities: list[tuple[str, str]],
    now: datetime,
    exclude_id: int | None = None,
) -> Evidence:
    """Bans and campaigns; a loud ban refuses the comment here (403).

    A new comment reads them before its write, so that SQLite's one writer never waits on
    them. A ban or a campaign copy committed between this read and the write is seen by the
    next comment, not this one: the price of keeping the writer free, and a small one.
    """
    findings = []
    for ban in await ban_store.bans_matching(connection, identities, now):
        if not ban.shadow:
            until = f" until {ban.expires_at:%d %B %Y %H:%M} UTC" if ban.expires_at else ""
            raise RejoinderError(
                Problem.FORBIDDEN,
                "banned",
                f"You cannot comment here{until}. Reason: {ban.reason or 'not given'}.",
            )
        findings.append(
            Finding("ban", Action.SHADOW, f"shadow-banned by {ban.created_by} ({ban.kind})")
        )
    campaign = await _campaign(connection, app, pre, text, author_name, now, exclude_id)
    if campaign:
        findings.append(_campaign_finding(campaign, app))
    return Evidence(findings, campaign)


async def newcomer_standing(
    connection: Connection,
    app: Services,
    thread: ThreadRow,
    voter_id: int | None,
    *,
    exclude_id: int | None = None,
) -> bool:
    """Whether the writer is still new here: in ``pre_newcomers``, until a moderator (or the
    site) has published ``newcomer_comments`` of theirs. Refused and waiting comments do not
    count, so posting junk never earns trust; a new reader token starts again from nothing.

    An edit asks without the comment itself, so a newcomer's approved comment cannot be
    edited into something else behind the moderator's back. Other modes never ask.
    """
    if thread.mode is not Mode.PRE_NEWCOMERS:
        return False
    if voter_id is None:
        return True
    needed = app.settings.newcomer_comments
    published = await comment_store.published_by(
        connection, voter_id, up_to=needed, exclude_id=exclude_id
    )
    return published < needed


def conclude(
    pre: Prescreen,
    evidence: Evidence,
    *,
    thread: ThreadRow,
    guest: bool,
    newcomer: bool = False,
    acknowledged: bool = False,
) -> Screening:
    """The comment's status and every reason for it, once its thread is known.

    Words that would hold or refuse it are the writer's to reconsider first: unless they
    ``acknowledged`` the nudge (or the site does not nudge), the comment is refused with 422
    ``nudge`` here, inside the caller's transaction, so nothing of it is kept. Sent anyway,
    it is decided as ever, with a note for the moderator that its writer was warned.
    """
    findings = [
        *pre.findings,
        *mode_findings(thread.mode, guest=guest, link_count=pre.link_count, newcomer=newcomer),
        *evidence.findings,
    ]
    if thread.nudge and pre.nudges:
        if not acknowledged:
            raise nudge.refusal(pre.nudges)
        findings.append(nudge.sent_anyway(pre.nudges))
    return Screening(decide(findings), findings, pre.toxicity, pre.bands, evidence.campaign)


def _campaign_finding(campaign: list[Candidate], app: Services) -> Finding:
    names = len({c.author_name.casefold() for c in campaign}) + 1
    minutes = app.settings.campaign_window // 60
    return Finding(
        "campaign",
        Action.QUEUE,
        f"near-identical text from {names} names within {minutes} minutes "
        f"(with #{', #'.join(str(c.id) for c in campaign[:10])})",
    )


async def _campaign(
    connection: Connection,
    app: Services,
    pre: Prescreen,
    text: str,
    author_name: str,
    now: datetime,
    exclude_id: int | None,
) -> list[Candidate]:
    """Recent near-identical comments under other names, when enough names make a campaign."""
    since = now - timedelta(seconds=app.settings.campaign_window)
    found = await campaign_store.similar_recent(connection, pre.bands, since)
    name = author_name.casefold()
    alike = [
        c
        for c in found
        if c.id != exclude_id
        and c.author_name.casefold() != name
        and campaigns.is_near_duplicate(text, c.body_markdown)
    ]
    names = {c.author_name.casefold() for c in alike} | {name}
    return alike if len(names) >= app.settings.campaign_authors else []


async def record(
    connection: Connection,
    app: Services,
    comment: StoredComment,
    screening: Screening,
    now: datetime,
    *,
    edited: bool = False,
) -> list[StoredComment]:
    """Store the pipeline's findings on an edited comment (a new one was stored with them),
    index its text for campaign search, and queue the rest of a campaign it completes; returns
    the comments taken off the page.

    An edited comment's old bands go first; a new one has none to forget.
    """
    campaign_id = None
    if screening.campaign:
        ids = [c.id for c in screening.campaign] + [comment.id]
        campaign_id = min([c.campaign_id for c in screening.campaign if c.campaign_id] + ids)
        await moderation_store.link_campaign(connection, ids, campaign_id)
    if edited or campaign_id is not None:
        await moderation_store.set_pipeline_result(
            connection,
            comment.id,
            findings=screening.findings,
            toxicity=screening.toxicity,
            campaign_id=campaign_id,
        )
    if edited:
        await campaign_store.forget_bands(connection, comment.id)
    await campaign_store.add_bands(connection, comment.id, screening.bands, now)
    hidden = []
    finding = _campaign_finding(screening.campaign, app) if screening.campaign else None
    for candidate in screening.campaign:
        if candidate.status is not Status.VISIBLE:
            continue
        stored = await moderation_store.get_for_update(connection, candidate.id)
        if stored is not None and stored.status is Status.VISIBLE:
            hidden.append(
                await moderation_store.set_status(
                    connection, stored, Status.PENDING, now=now, by=None, finding=finding
                )
            )
    return hidden
