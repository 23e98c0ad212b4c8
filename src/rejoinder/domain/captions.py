"""Captions (WebVTT or SRT) read as cues: the transcript a reader can follow and search.

Both formats are blocks separated by blank lines, each with a ``start --> end`` timing line
followed by the text. SRT writes a comma before the milliseconds, WebVTT a dot; WebVTT may
also leave out the hours. Cue settings after the end time and inline tags (``<v Speaker>``,
``<i>``) are dropped: the transcript is text, and the page escapes it.
"""

from __future__ import annotations

import html
import re

import msgspec

from rejoinder.domain.errors import invalid

_TIMING = re.compile(
    r"^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})"
)
_TAG = re.compile(r"<[^>]*>")


class Cue(msgspec.Struct, frozen=True):
    start: float  # seconds
    end: float
    text: str


def _seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    seconds = float(parts[-1])
    minutes = int(parts[-2])
    hours = int(parts[-3]) if len(parts) == 3 else 0
    return hours * 3600 + minutes * 60 + seconds


def parse_captions(text: str, field: str = "captions") -> list[Cue]:
    """The cues in order; a file with no timed cue at all is refused, naming ``field``."""
    cues = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = block.strip("\n").split("\n")
        for index, line in enumerate(lines):
            match = _TIMING.match(line)
            if match:
                start, end = _seconds(match.group(1)), _seconds(match.group(2))
                words = " ".join(_TAG.sub("", rest).strip() for rest in lines[index + 1 :])
                words = html.unescape(" ".join(words.split()))
                if words and end >= start:
                    cues.append(Cue(start=start, end=end, text=words))
                break
    if not cues:
        raise invalid("invalid_captions", "The captions file has no timed cues.", field)
    return cues


def transcript_text(cues: list[Cue]) -> str:
    """The cues' words as one text, for the search index."""
    return " ".join(cue.text for cue in cues)
