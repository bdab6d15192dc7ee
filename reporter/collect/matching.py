"""One pass over log events for every marker text: counts, first/last seen, latest excerpts.

Shared by the CloudWatch and the local-file collectors. Memory stays flat however many
events go through: per text a count, two timestamps and at most ``EXCERPTS`` events.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from reporter.model import LogExcerpt, LogMatch, MarkerKind
from reporter.redact import Redactor
from reporter.text import EXCERPT_CHARS, clean

EXCERPTS = 5
"""Excerpts kept per text: the latest ones in the window."""
KEPT_CHARS = EXCERPT_CHARS * 4
"""How much of a kept event's message is held until the end: enough for redaction to see
across the excerpt's cut, small enough that memory does not grow with event size."""


def fitting_groups(texts: Sequence[str], fits: Callable[[list[str]], bool]) -> list[list[str]]:
    """``texts`` in order, duplicates dropped, packed greedily into groups that each
    ``fits``: a text starts a new group when adding it would not fit. A text that does not
    fit even alone gets a group of its own (the caller says what that group does)."""
    groups: list[list[str]] = []
    current: list[str] = []
    for text in dict.fromkeys(texts):
        if current and not fits([*current, text]):
            groups.append(current)
            current = []
        current.append(text)
    if current:
        groups.append(current)
    return groups


@dataclass(frozen=True)
class Marker:
    """A literal text to look for, and why."""

    text: str
    kinds: tuple[MarkerKind, ...]


@dataclass
class _Tally:
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    # Min-heap of the latest events: (timestamp, stream, message prefix, message length);
    # the oldest is popped.
    latest: list[tuple[datetime, str, str, int]] = field(default_factory=list)


class Classifier:
    """Classifies events by literal, case-sensitive containment of each marker text."""

    def __init__(self, markers: Sequence[Marker]) -> None:
        self.markers = tuple(markers)
        self._tallies = {m.text: _Tally() for m in self.markers}
        self.events = 0

    def feed(self, timestamp: datetime, stream: str, message: str) -> None:
        """Count one event against every marker it contains."""
        self.events += 1
        for text, tally in self._tallies.items():
            if text not in message:
                continue
            tally.count += 1
            if tally.first is None or timestamp < tally.first:
                tally.first = timestamp
            if tally.last is None or timestamp > tally.last:
                tally.last = timestamp
            item = (timestamp, stream, message[:KEPT_CHARS], len(message))
            if len(tally.latest) < EXCERPTS:
                heapq.heappush(tally.latest, item)
            elif item > tally.latest[0]:
                heapq.heapreplace(tally.latest, item)

    def matches(self, redactor: Redactor) -> tuple[LogMatch, ...]:
        """The result per marker, in marker order; excerpts redacted and cut, oldest first."""
        out = []
        for marker in self.markers:
            tally = self._tallies[marker.text]
            excerpts = tuple(
                LogExcerpt(
                    timestamp=ts,
                    stream=clean(stream, redactor, 300),
                    message=clean(message, redactor, total=length),
                )
                for ts, stream, message, length in sorted(tally.latest)
            )
            out.append(
                LogMatch(
                    text=marker.text,
                    kinds=marker.kinds,
                    count=tally.count,
                    first_seen=tally.first,
                    last_seen=tally.last,
                    excerpts=excerpts,
                )
            )
        return tuple(out)


def markers_for(
    hotfix_texts: Sequence[tuple[Sequence[str], Sequence[str]]], context: Sequence[str]
) -> list[Marker]:
    """Markers from each hotfix's (expect_logs, retired_logs) and the context texts.

    A text listed in several places is searched once and carries every kind.
    """
    kinds: dict[str, list[MarkerKind]] = {}

    def add(text: str, kind: MarkerKind) -> None:
        seen = kinds.setdefault(text, [])
        if kind not in seen:
            seen.append(kind)

    for expected, retired in hotfix_texts:
        for text in expected:
            add(text, "expected")
        for text in retired:
            add(text, "retired")
    for text in context:
        add(text, "context")
    return [Marker(text, tuple(k)) for text, k in kinds.items()]
