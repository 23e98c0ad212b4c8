"""Request and response bodies of the JSON API. The OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from rejoinder.domain.comments import MAX_BODY_LENGTH

ThreadKey = Annotated[
    str,
    Meta(
        description="The article's id (its slug), or the canonical URL of the page",
        examples=["explained-surge-in-russian-deserters"],
    ),
]
CommentBody = Annotated[
    str,
    Meta(
        description=f"Markdown, no HTML; at most {MAX_BODY_LENGTH:,} characters, never cut short",
        examples=["Thanks for the explainer: the part on the border crossings was new to me."],
    ),
]

NudgeAcknowledged = Annotated[
    bool,
    Meta(
        description="The writer was shown a `nudge` refusal for this text and sends it as it "
        "is: a comment the pipeline would hold waits for a moderator, noted as sent anyway"
    ),
]


class NewComment(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    thread: ThreadKey
    body: CommentBody
    # Required of guests; a signed-in reader's name comes from their sign-on token.
    author_name: Annotated[
        str | None, Meta(description="Required of guests", examples=["Olena"])
    ] = None
    # Believed only from the publisher's own pages (an allowed origin) or sign-on.
    thread_title: str | None = None
    thread_url: str | None = None
    parent_id: Annotated[int | None, Meta(description="The comment this replies to")] = None
    author_email: str | None = None
    spoiler: Annotated[bool, Meta(description="Cover the text until a reader opens it")] = False
    nudge_acknowledged: NudgeAcknowledged = False
    notify_replies: Annotated[
        bool,
        Meta(
            description="Mail replies to `author_email` (after it is confirmed by the link in "
            "one confirmation mail); refused 400 `mail_off` when the server sends no mail"
        ),
    ] = False
    language: Annotated[
        str | None, Meta(description="The reader's language, for their mail", examples=["uk"])
    ] = None


class CommentEdit(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    body: CommentBody
    spoiler: bool | None = None
    nudge_acknowledged: NudgeAcknowledged = False


class PreviewRequest(msgspec.Struct, forbid_unknown_fields=True):
    body: str


class Preview(msgspec.Struct):
    html: str  # sanitised, as the comment would be published


class VoteRequest(msgspec.Struct, forbid_unknown_fields=True):
    value: Literal[-1, 0, 1]


class Counts(msgspec.Struct):
    counts: dict[str, int]


class Health(msgspec.Struct):
    status: str
    database: str


class ArticleInput(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An article as a newsroom's tools send it; media are http(s) URLs."""

    headline: Annotated[str, Meta(examples=["Ukraine's grain corridor, explained"])]
    byline: Annotated[str, Meta(examples=["Anya Korzun"])]
    published_at: Annotated[datetime, Meta(examples=["2026-11-30T09:00:00Z"])]
    body: Annotated[str, Meta(description="Markdown", examples=["The corridor opened in July."])]
    # Made from the headline when not given; it is the article's address and never changes.
    slug: Annotated[str | None, Meta(examples=["grain-corridor-explained"])] = None
    standfirst: str = ""
    tags: list[str] = []
    video: str | None = None
    poster: str | None = None
    captions: str | None = None
    captions_format: Literal["vtt", "srt"] | None = None
    author: Annotated[
        str | None,
        Meta(description="The writer's staff username: they may ask for the comments by e-mail"),
    ] = None


class ArticleSummary(msgspec.Struct):
    slug: str
    url: str
    headline: str
    standfirst: str
    byline: str
    published_at: datetime
    tags: list[str]
    has_video: bool


class ArticleList(msgspec.Struct):
    articles: list[ArticleSummary]


class ArticleOut(ArticleSummary, kw_only=True):
    """An article in full: the summary, its text and its media's addresses."""

    body_markdown: str
    body_html: str
    video: str | None
    poster: str | None
    captions: str | None
    captions_format: str | None
    updated_at: datetime
    author: str | None = None


class ErrorDetail(msgspec.Struct):
    # A stable machine code ("required", "rate_limited"...) clients may translate.
    code: str
    message: str
    # The request field, parameter or header at fault, when there is one.
    field: str | None
    reasons: Annotated[
        list[str] | None,
        Meta(
            description="Only on a `nudge` (422): why, as codes the widget shows: "
            "`toxicity`, `suspect_words`, `banned_words`"
        ),
    ] = None


class ErrorBody(msgspec.Struct):
    """Every refusal, from any endpoint, whatever the status."""

    error: ErrorDetail
