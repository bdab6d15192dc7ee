"""A line-by-line reference of the local-file rules, written as plainly as possible.

It reads a whole file into memory (tests use small files), splits it into lines and
applies the rules of ``reporter/collect/files.py``'s docstring one line at a time, with
the same format recognition (:class:`LineParser`, :func:`shape_after`) but none of the
collector's blocks, bulk counting or matcher. Tests compare the collector with it.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from backports import zstd

from reporter.collect.logformats import FileLogOptions, LineParser, epoch, shape_after


@dataclass
class RefText:
    """What the reference found for one text."""

    count: int = 0
    outside: int = 0
    unknown: int = 0
    first: datetime | None = None
    last: datetime | None = None
    unknown_at: list[str] = field(default_factory=list)


@dataclass
class RefFile:
    """What the reference found in one file."""

    lines: int = 0
    events: int = 0
    in_window: int = 0
    undated: int = 0
    first: datetime | None = None
    last: datetime | None = None
    live: tuple[datetime, str] | None = None


@dataclass
class RefEvent:
    when: datetime
    line_no: int
    lines: list[bytes]
    message: str | None
    partial: bool
    stream: str | None
    joined: bool = False


def decompress(raw: bytes) -> bytes:
    """The file's content, decompressed as its first bytes say."""
    if raw.startswith(b"\x1f\x8b"):
        return gzip.decompress(raw)
    if raw.startswith(b"BZh"):
        return bz2.decompress(raw)
    if raw.startswith(b"\xfd7zXZ\x00"):
        return lzma.decompress(raw)
    if raw.startswith(b"\x28\xb5\x2f\xfd"):
        return zstd.decompress(raw)
    return raw


def reference(
    paths: Sequence[Path],
    since: datetime,
    until: datetime,
    texts: Sequence[str],
    options: FileLogOptions = FileLogOptions(),  # noqa: B008
) -> tuple[list[RefFile], list[RefText]]:
    """Per file and per text, what the rules give, read line by line."""
    parser = LineParser(options, until)
    results = [RefText() for _ in texts]
    files: list[RefFile] = []
    for path in paths:
        data = decompress(path.read_bytes())
        stats = RefFile()
        files.append(stats)
        if data.lstrip().startswith(b"{") and b'"events"' in data[:200]:
            _export(data, path.name, since, until, texts, stats, results)
            continue
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        stats.lines = len(lines)
        events: list[RefEvent] = []
        undated: list[tuple[int, bytes]] = []
        current: RefEvent | None = None
        state = "none"
        shape: str | None = None
        for number, line in enumerate(lines, start=1):
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:
                if current is not None:
                    current.lines.append(line)
                continue
            if line[:1] in (b" ", b"\t"):
                if state == "dated" and current is not None:
                    current.lines.append(line)
                else:
                    undated.append((number, line))
                continue
            stamp = parser.parse(line)
            if stamp is not None:
                if (
                    current is not None
                    and current.partial
                    and stamp.format == "cri"
                    and stamp.stream == current.stream
                ):
                    current.message = (current.message or "") + (stamp.message or "")
                    current.partial = stamp.partial
                    current.joined = True
                    current.lines.append(line)
                    continue
                current = RefEvent(
                    stamp.when, number, [line], stamp.message, stamp.partial, stamp.stream
                )
                events.append(current)
                state, shape = "dated", None
                continue
            if state == "dated" and current is not None:
                next_shape = shape_after(shape, line)
                if next_shape is not None:
                    shape = next_shape
                    current.lines.append(line)
                    continue
            state, current = "undated", None
            undated.append((number, line))
        for event in events:
            whole = b"\n".join(event.lines)
            found = [
                i
                for i, t in enumerate(texts)
                if t.encode() in whole or (event.message is not None and t in event.message)
            ]
            _dated(stats, results, event.when, found, since, until, f"{path.name}:{event.line_no}")
        for number, line in undated:
            stats.undated += 1
            for i, t in enumerate(texts):
                if t.encode() in line:
                    results[i].unknown += 1
                    results[i].unknown_at.append(f"{path.name}:{number}")
    return files, results


def _dated(
    stats: RefFile,
    results: list[RefText],
    when: datetime,
    found: list[int],
    since: datetime,
    until: datetime,
    where: str,
) -> None:
    stats.events += 1
    if stats.first is None:
        stats.first = when
    stats.last = when
    inside = since <= when <= until
    if inside:
        stats.in_window += 1
        if stats.live is None:
            stats.live = (when, where)
    for i in found:
        result = results[i]
        if not inside:
            result.outside += 1
            continue
        result.count += 1
        result.first = when if result.first is None else min(result.first, when)
        result.last = when if result.last is None else max(result.last, when)


def _export(
    data: bytes,
    name: str,
    since: datetime,
    until: datetime,
    texts: Sequence[str],
    stats: RefFile,
    results: list[RefText],
) -> None:
    document = json.loads(data)
    stats.lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    for item in document["events"]:
        message = item.get("message")
        text = message if isinstance(message, str) else json.dumps(message)
        found = [i for i, t in enumerate(texts) if t in text]
        stamp = item.get("timestamp")
        when = epoch(stamp) if isinstance(stamp, int | float) else None
        if when is None:
            stats.undated += 1
            for i in found:
                results[i].unknown += 1
            continue
        _dated(stats, results, when, found, since, until, name)
