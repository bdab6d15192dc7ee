"""How checks word their facts: times, durations, counts, quoted texts, short identifiers.

Shared by the check functions so every sentence reads the same way; nothing here judges.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from reporter.model import LogsEvidence


def when(moment: datetime) -> str:
    """``2025-11-25 21:54:59 UTC``."""
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def span(delta: timedelta) -> str:
    """A duration in words: ``10 h 5 min``, ``3 min``, ``2 d 4 h``."""
    minutes = int(abs(delta).total_seconds()) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min" if mins else "under a minute"


def times(count: int) -> str:
    """``1 time``, ``3 times``."""
    return f"{count} time" if count == 1 else f"{count} times"


def quoted(text: str, limit: int = 80) -> str:
    """A marker text in quotes, cut when very long."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def short_task(arn: str) -> str:
    """The task id at the end of a task ARN."""
    return arn.rsplit("/", 1)[-1]


def short_digest(digest: str) -> str:
    """``sha256:0123456789ab``."""
    return digest[:19]


def image_repository(reference: str) -> str:
    """The repository part of an image reference (registry host, tag and digest removed)."""
    name = reference.split("@", 1)[0]
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        name = rest
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > last_slash:
        name = name[:colon]
    return name


def logs_where(logs: LogsEvidence) -> str:
    """Where the logs came from, for sentences: the group or the files."""
    if logs.source == "cloudwatch":
        return f"log group {logs.group}"
    names = ", ".join(logs.files[:3]) + (
        f" and {len(logs.files) - 3} more" if len(logs.files) > 3 else ""
    )
    return f"log files {names}"


def logs_window(logs: LogsEvidence) -> str:
    """``between 2025-11-26 09:00:00 UTC and 2025-11-26 10:50:00 UTC``."""
    return f"between {when(logs.since)} and {when(logs.until)}"


def sentence(text: str) -> str:
    """``text`` with a capital first letter and a full stop."""
    return text[:1].upper() + text[1:] + "."


def listed(texts: Sequence[str], separator: str = "; ", limit: int = 3) -> str:
    """The first ``limit`` texts joined, then ``and N more``."""
    shown = separator.join(texts[:limit])
    return shown + (f"{separator}and {len(texts) - limit} more" if len(texts) > limit else "")
