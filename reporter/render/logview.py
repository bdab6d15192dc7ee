"""How the report shows log excerpts: one chronological list, structured lines made readable.

The bundle keeps each excerpt exactly as collected (redacted, cut, escaped). For the report,
a structured (JSON) line — ``{"time": ..., "level": "INFO", "message": "..."}`` — reads as
``time level message``: the event's time, the level and the message decoded from the JSON.
What decoding could reveal is made safe again: control and bidirectional characters become
visible escapes, and the redaction rules (the built-in ones and the spec's ``[redact]``
patterns) run on the decoded text, so a secret hidden behind JSON escapes stays hidden.
A line that is not a JSON object with a message (or was cut) is shown as it is stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from reporter.model import LogExcerpt, LogsEvidence, MarkerKind
from reporter.redact import Redactor
from reporter.text import visible

LEVEL_KEYS = ("level", "levelname", "severity", "lvl", "log.level", "loglevel")
"""JSON fields read as the level, the first present wins."""
MESSAGE_KEYS = ("message", "msg", "@message", "event", "text")
"""JSON fields read as the message, the first present wins."""
MAX_JSON_CHARS = 20_000
"""Longest stored line tried as JSON (excerpts are cut far below this)."""


@dataclass(frozen=True)
class ShownLine:
    """One log event as the report shows it."""

    timestamp: datetime
    stream: str
    """The log stream, or ``file:line``."""
    message: str
    """The stored message, or the message field of a structured line."""
    level: str | None = None
    """The level field of a structured line."""
    structured: bool = False
    """Shown from its JSON fields (the bundle keeps the raw line)."""
    kinds: tuple[MarkerKind, ...] = ()
    """Why it is shown: the kinds of the watched texts it holds."""


def shown(excerpt: LogExcerpt, redactor: Redactor, kinds: tuple[MarkerKind, ...] = ()) -> ShownLine:
    """``excerpt`` as the report shows it (structured lines as ``time level message``)."""
    fields = _json_object(excerpt.message)
    message = _first(fields, MESSAGE_KEYS) if fields is not None else None
    if fields is None or message is None:
        return ShownLine(excerpt.timestamp, excerpt.stream, excerpt.message, kinds=kinds)
    level = _first(fields, LEVEL_KEYS)
    return ShownLine(
        timestamp=excerpt.timestamp,
        stream=excerpt.stream,
        message=visible(redactor(message)),
        level=None if level is None else visible(redactor(level), keep_newlines=False),
        structured=True,
        kinds=kinds,
    )


def _json_object(text: str) -> dict[str, object] | None:
    stripped = text.strip()
    if not stripped.startswith("{") or len(stripped) > MAX_JSON_CHARS:
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _first(fields: dict[str, object], keys: Iterable[str]) -> str | None:
    for key in keys:
        value = fields.get(key)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
    return None


def matched_lines(logs: LogsEvidence, redactor: Redactor) -> tuple[ShownLine, ...]:
    """Every stored excerpt of every watched text, each event once, oldest first.

    An event that holds several watched texts is shown once, with all their kinds.
    """
    events: dict[tuple[datetime, str, str], list[MarkerKind]] = {}
    for match in logs.matches:
        for excerpt in match.excerpts:
            key = (excerpt.timestamp, excerpt.stream, excerpt.message)
            kinds = events.setdefault(key, [])
            kinds.extend(k for k in match.kinds if k not in kinds)
    ordered = sorted(events.items(), key=lambda item: item[0])
    return tuple(
        shown(LogExcerpt(timestamp=t, stream=s, message=m), redactor, tuple(kinds))
        for (t, s, m), kinds in ordered
    )
