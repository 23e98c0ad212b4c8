"""What an operation hands back: its result, and the events to publish after its commit.

Operations do not publish themselves: the caller publishes (``Services.publish``) once the
transaction has committed and it is done with the result, so nothing is announced that did
not happen, and a caller that runs several operations can announce them together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from rejoinder.domain.events import Event

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    result: T
    events: list[Event] = field(default_factory=list)
