"""Local log files: events rebuilt from lines, streamed, and counted like CloudWatch events.

CONTRACT section 2, "Local log files":

- a line starting with an ISO 8601 timestamp (``2025-11-26T10:49:43``, optional fraction
  and zone; a space instead of ``T`` and a comma fraction as Python's logging writes
  them, ``2025-11-26 10:49:43,123``; no zone means UTC) starts an event;
- a JSON object line with a ``timestamp``, ``time`` or ``@timestamp`` field (an ISO
  string, or an epoch number) starts an event too, whose message begins with the raw line;
- any other line (a JSON line without such a field included) continues the previous
  event, whichever kind it is (joined with ``"\\n"``); lines before the first event of a
  file belong to no event and are skipped (and counted in :class:`FileStats`);
- ``.gz`` files are read as gzip; bytes are decoded as UTF-8 with ``backslashreplace``;
  only ``\\n`` ends a line (a trailing ``\\r`` is dropped, so CRLF files read the same).

Files are read in chunks, never whole: one event's message is capped at
:data:`MAX_EVENT_CHARS` (its start is kept), so memory stays flat however large a file or
a line grows.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path

from reporter.collect.matching import Classifier, Marker
from reporter.model import EvidenceError, LogsEvidence
from reporter.redact import Redactor
from reporter.text import visible

OPERATION = "read file"

MAX_EVENT_CHARS = 1024 * 1024
"""Longest message kept for one event (1 MiB of characters); the rest is dropped."""

CHUNK_BYTES = 64 * 1024
"""Bytes read at a time; a longer line is read in several chunks."""

READ_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error)
"""What reading a file can raise: missing/unreadable (OSError), bad gzip (BadGzipFile is
an OSError), a truncated gzip stream (EOFError), corrupt compressed data (zlib.error)."""

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})"
    r"(?:[.,](\d+))?"
    r"(Z|z|[+-]\d{2}(?::?\d{2})?)?"
    r"(?!\d)"
)
_JSON_KEYS = ("timestamp", "time", "@timestamp")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------- timestamps


def parse_line_timestamp(line: str) -> datetime | None:
    """The ISO 8601 timestamp a line starts with (as UTC), or None."""
    m = _TIMESTAMP.match(line)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micros = int((m.group(7) or "0")[:6].ljust(6, "0"))
    try:
        when = datetime(year, month, day, hour, minute, second, micros, tzinfo=_zone(m.group(8)))
        return when.astimezone(UTC)
    except (ValueError, OverflowError):  # 2025-13-45, or year 1/9999 pushed out by the zone
        return None


def _zone(text: str | None) -> tzinfo:
    if text is None or text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or "0")
    if hours > 23 or minutes > 59:
        raise ValueError(f"bad zone offset {text!r}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_json_timestamp(line: str) -> datetime | None:
    """The timestamp of a JSON object line (``timestamp``, ``time`` or ``@timestamp``), or None.

    A string must be an ISO 8601 timestamp (no zone means UTC). A number is epoch time,
    its unit told by its size: seconds below 1e11, then milliseconds, microseconds (from
    1e14) and nanoseconds (from 1e17).
    """
    stripped = line.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return None
    try:
        data = json.loads(stripped)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
        return None
    if not isinstance(data, dict):
        return None
    for key in _JSON_KEYS:
        if key in data:
            when = _json_value_time(data[key])
            if when is not None:
                return when
    return None


def _json_value_time(value: object) -> datetime | None:
    if isinstance(value, str):
        when = parse_line_timestamp(value.strip())
        return when if when is not None and _TIMESTAMP.fullmatch(value.strip()) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    magnitude = abs(value)
    scale = 1 if magnitude < 1e11 else 1e3 if magnitude < 1e14 else 1e6 if magnitude < 1e17 else 1e9
    try:
        return _EPOCH + timedelta(seconds=value / scale)
    except (OverflowError, ValueError):  # inf, nan, or beyond year 9999
        return None


# --------------------------------------------------------------------------- reading


def _event_start(line: str) -> datetime | None:
    """The time of the event ``line`` starts, or None when it continues the previous one."""
    if line.lstrip().startswith("{"):
        when = parse_json_timestamp(line)
        if when is not None:
            return when
    return parse_line_timestamp(line)


def _open(path: Path) -> gzip.GzipFile | io.BufferedReader:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def _lines(stream: gzip.GzipFile | io.BufferedReader) -> Iterator[str]:
    """Each line decoded, without its ending, cut at :data:`MAX_EVENT_CHARS`.

    Reads :data:`CHUNK_BYTES` at a time, so a huge line never sits in memory whole.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="backslashreplace")
    while True:
        chunk = stream.readline(CHUNK_BYTES)
        if not chunk:
            return
        parts: list[str] = []
        size = 0
        while True:
            ended = chunk.endswith(b"\n")
            if size < MAX_EVENT_CHARS:
                text = decoder.decode(chunk, final=ended)
                parts.append(text[: MAX_EVENT_CHARS - size])
                size += len(parts[-1])
            if ended:
                break
            chunk = stream.readline(CHUNK_BYTES)
            if not chunk:
                if size < MAX_EVENT_CHARS:
                    parts.append(decoder.decode(b"", final=True)[: MAX_EVENT_CHARS - size])
                break
        decoder.reset()
        line = "".join(parts)
        if line.endswith("\n"):
            line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
        yield line


@dataclass
class FileStats:
    """What reading one file found, beyond its events."""

    lines: int = 0
    events: int = 0
    skipped_lines: int = 0
    """Lines before the first event: they belong to no event."""


@dataclass
class _Event:
    timestamp: datetime
    line_no: int
    parts: list[str] = field(default_factory=list)
    size: int = 0

    def add(self, text: str) -> None:
        room = MAX_EVENT_CHARS - self.size
        if room <= 0:
            return
        piece = text[:room]
        self.parts.append(piece)
        self.size += len(piece)

    def item(self, display: str) -> tuple[datetime, str, str]:
        return self.timestamp, f"{display}:{self.line_no}", "".join(self.parts)


def iter_events(
    path: Path, display: str, stats: FileStats | None = None
) -> Iterator[tuple[datetime, str, str]]:
    """The events of one file, in file order: ``(timestamp, f"{display}:{line_no}", message)``.

    ``line_no`` is the event's first line (from 1). ``stats``, when given, is filled in
    as the file is read. Reading errors (see :data:`READ_ERRORS`) propagate after the
    event being built has been yielded.
    """
    stats = stats if stats is not None else FileStats()
    current: _Event | None = None
    try:
        with _open(path) as stream:
            for line_no, line in enumerate(_lines(stream), start=1):
                stats.lines = line_no
                start = _event_start(line)
                if start is None:
                    if current is None:
                        stats.skipped_lines += 1
                    else:
                        current.add("\n")
                        current.add(line)
                    continue
                if current is not None:
                    stats.events += 1
                    yield current.item(display)
                current = _Event(start, line_no)
                current.add(line)
    except READ_ERRORS:
        if current is not None:
            stats.events += 1
            yield current.item(display)
        raise
    if current is not None:
        stats.events += 1
        yield current.item(display)


# --------------------------------------------------------------------------- collecting


def display_name(path: Path, base_dir: Path) -> str:
    """``path`` relative to ``base_dir`` in POSIX form; the full path when it lies outside."""
    try:
        return path.relative_to(base_dir).as_posix()
    except ValueError:
        return path.as_posix()


def read_error(display: str, exc: BaseException) -> EvidenceError:
    """The error for a file that could not be read to its end."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return EvidenceError(
        operation=OPERATION,
        code=type(exc).__name__,
        message=f"{display}: {reason or type(exc).__name__}",
    )


def collect_files(
    paths: Sequence[Path],
    base_dir: Path,
    since: datetime,
    until: datetime,
    markers: Sequence[Marker],
    redactor: Redactor,
) -> LogsEvidence:
    """Count every marker text in the events of ``paths`` between ``since`` and ``until``.

    Files are read in the given order; events outside ``[since, until]`` (both inclusive)
    are read but not classified, so ``events_scanned`` counts the events in the window.
    A file that cannot be read to its end (missing, unreadable, bad or truncated gzip)
    stops the collection: what was read so far is kept, and ``error`` names the file, so
    the checks treat the evidence as incomplete.
    """
    classifier = Classifier(markers)
    displays = tuple(display_name(p, base_dir) for p in paths)
    error: EvidenceError | None = None
    skipped = 0
    for path, display in zip(paths, displays, strict=True):
        stats = FileStats()
        try:
            for timestamp, stream, message in iter_events(path, display, stats):
                if since <= timestamp <= until:
                    classifier.feed(timestamp, stream, message)
        except READ_ERRORS as exc:
            error = read_error(display, exc)
            break
        finally:
            skipped += stats.skipped_lines
    return LogsEvidence(
        source="files",
        files=tuple(visible(d, keep_newlines=False) for d in displays),
        since=since,
        until=until,
        events_scanned=classifier.events,
        skipped_lines=skipped,
        matches=classifier.matches(redactor),
        error=error,
    )
