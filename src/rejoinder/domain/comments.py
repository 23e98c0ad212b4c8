"""What makes a comment acceptable, and what an author may do with it afterwards."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from rejoinder.domain import markup
from rejoinder.domain.errors import Problem, RejoinderError, invalid
from rejoinder.domain.models import CommentDraft
from rejoinder.domain.names import clean_author_name
from rejoinder.domain.text import check_single_line, has_control, reject_nul

MAX_BODY_LENGTH = 10_000
MAX_THREAD_KEY_LENGTH = 512
MAX_TITLE_LENGTH = 300
MAX_URL_LENGTH = 2048
MAX_EMAIL_LENGTH = 254
# Ids are 64-bit signed integers in both databases; anything beyond cannot name a comment.
MAX_ID = 2**63 - 1

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HTTP_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


def is_http_url(value: str) -> bool:
    """An absolute http or https address (a thread's, as a publisher gives it)."""
    return _HTTP_URL.match(value) is not None


def check_thread_key(key: str, field: str = "thread") -> str:
    """A publisher's article id or canonical URL: any text up to 512 characters."""
    return check_single_line(key, field, max_length=MAX_THREAD_KEY_LENGTH, label="Thread key")


def check_body(body: str, field: str = "body") -> str:
    """The comment text: never empty, never over the limit, and never truncated to fit."""
    reject_nul(body, field)
    if has_control(body, allow="\t\n\r"):
        raise invalid("control_character", "Comments cannot contain control characters.", field)
    if not body.strip():
        raise invalid("required", "Please write something before posting.", field)
    if len(body) > MAX_BODY_LENGTH:
        raise RejoinderError(
            Problem.TOO_LARGE,
            "too_long",
            f"Comments can be at most {MAX_BODY_LENGTH:,} characters; this one has {len(body):,}.",
            field,
        )
    return body.replace("\r\n", "\n").replace("\r", "\n")


def _optional_title(title: str | None) -> str | None:
    if title is None or not title.strip():
        return None
    return check_single_line(
        title.strip(), "thread_title", max_length=MAX_TITLE_LENGTH, label="Thread title"
    )


def _optional_url(url: str | None) -> str | None:
    if url is None or not url.strip():
        return None
    url = check_single_line(
        url.strip(), "thread_url", max_length=MAX_URL_LENGTH, label="Thread URL"
    )
    if not is_http_url(url):
        raise invalid("invalid_url", "Thread URL must be an http or https address.", "thread_url")
    return url


def _optional_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    email = check_single_line(
        email.strip(), "author_email", max_length=MAX_EMAIL_LENGTH, label="Email"
    )
    if not _EMAIL.match(email):
        raise invalid("invalid_email", "This does not look like an email address.", "author_email")
    return email


def draft_comment(
    *,
    thread: str,
    author_name: str,
    body: str,
    thread_title: str | None = None,
    thread_url: str | None = None,
    parent_id: int | None = None,
    author_email: str | None = None,
    spoiler: bool = False,
) -> CommentDraft:
    """Check every field of a new comment and render it; the first problem found is raised."""
    key = check_thread_key(thread)
    if parent_id is not None and not 1 <= parent_id <= MAX_ID:
        raise invalid("invalid_parent", "parent_id must be a positive comment id.", "parent_id")
    name = clean_author_name(author_name)
    email = _optional_email(author_email)
    title = _optional_title(thread_title)
    url = _optional_url(thread_url)
    text = check_body(body)
    return CommentDraft(
        thread_key=key,
        thread_title=title,
        thread_url=url,
        parent_id=parent_id,
        author_name=name,
        author_email=email,
        body_markdown=text,
        body_html=markup.render(text),
        spoiler=spoiler,
    )


def is_possible_id(value: int) -> bool:
    return 1 <= value <= MAX_ID


def check_still_editable(created_at: datetime, now: datetime, window_seconds: int) -> None:
    """Authors may change their mind for a while; after that the comment belongs to the thread."""
    if now - created_at > timedelta(seconds=window_seconds):
        raise RejoinderError(
            Problem.FORBIDDEN,
            "edit_window_closed",
            "This comment can no longer be changed: the edit window has closed.",
        )
