"""The collector against a line-by-line reference of the local-file rules.

The reference is written as plainly as possible.

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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from backports import zstd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reporter.collect import files
from reporter.collect.logformats import FileLogOptions, LineParser, epoch, shape_after
from reporter.collect.matching import Marker
from reporter.redact import Redactor


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


# --------------------------------------------------------------------------- the comparisons

DATA = Path(__file__).parent / "data" / "logs"
SINCE = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
UNTIL = datetime(2025, 11, 26, 11, 0, tzinfo=UTC)
TEXTS = (
    "Requested platforms",
    ", platform='linkedin'",
    "platform",
    "INFO",
    "Traceback",
    "e",
    "ERROR - Parsing failed\nTraceback",
    'said "hi"',
)
WINDOWS = (
    (SINCE, UNTIL),
    (
        datetime(2025, 11, 26, 9, 12, 0, 500000, tzinfo=UTC),
        datetime(2025, 11, 26, 9, 46, 1, tzinfo=UTC),
    ),
    (datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)),
)


WAYS = ("simd", "bulk", "lines")
"""The collector's ways of reading a block, each compared with the reference: one SIMD
pass (the window's parts as minute keys; blocks of any size), the bulk rules' regular
expressions (no SIMD pass), and line by line."""


def _compare(
    paths: Sequence[Path],
    base: Path,
    since: datetime,
    until: datetime,
    texts: Sequence[str],
    options: FileLogOptions = FileLogOptions(),  # noqa: B008
) -> Counter[str]:
    """The collector, every way, against the reference, text by text; how many blocks the
    "simd" way read by each way.

    Texts with a line break turn the bulk rules off, so the comparison runs with and
    without them.
    """
    single = [t for t in texts if "\n" not in t]
    blocks: Counter[str] = Counter()
    for chosen in (single, texts):
        _compare_texts(paths, base, since, until, chosen, options, blocks)
    return blocks


def _compare_texts(
    paths: Sequence[Path],
    base: Path,
    since: datetime,
    until: datetime,
    texts: Sequence[str],
    options: FileLogOptions,
    blocks: Counter[str],
) -> None:
    ref_files, ref_texts = reference(paths, since, until, texts, options)
    markers = [Marker(t, ("retired",)) for t in texts]
    for way in WAYS:
        bulk = way != "lines"
        saved = files.SIMD_MIN_BYTES
        files.SIMD_MIN_BYTES = 0 if way == "simd" else 1 << 62
        try:
            evidence = files._collect(
                paths,
                base,
                since,
                until,
                markers,
                Redactor(),
                options=options,
                bulk=bulk,
                blocks=blocks if way == "simd" else None,
            )
        finally:
            files.SIMD_MIN_BYTES = saved
        assert evidence.error is None
        for stats, ref in zip(evidence.file_stats, ref_files, strict=True):
            assert (
                stats.lines,
                stats.events,
                stats.events_in_window,
                stats.undated_lines,
                stats.first_timestamp,
                stats.last_timestamp,
            ) == (ref.lines, ref.events, ref.in_window, ref.undated, ref.first, ref.last), (
                stats.path,
                way,
            )
        for match, ref_text in zip(evidence.matches, ref_texts, strict=True):
            assert (
                match.count,
                match.outside_window,
                match.unknown_time,
                match.first_seen,
                match.last_seen,
            ) == (
                ref_text.count,
                ref_text.outside,
                ref_text.unknown,
                ref_text.first,
                ref_text.last,
            ), (
                match.text,
                way,
            )
            assert [e.location for e in match.unknown_time_excerpts] == ref_text.unknown_at[:5]
        assert evidence.events_scanned == sum(r.in_window for r in ref_files)
        assert evidence.outside_window == sum(r.events - r.in_window for r in ref_files)
        assert evidence.skipped_lines == sum(r.undated for r in ref_files)
        lives = [r.live for r in ref_files if r.live is not None]
        if lives:
            assert evidence.live_event is not None
            when, where = lives[0]
            assert evidence.live_event.timestamp == when, way
            stream = evidence.live_event.stream
            if ":" not in where:  # a CloudWatch export: the reference keeps no line numbers
                stream = stream.rsplit(":", 1)[0]
            assert stream == where, way
        else:
            assert evidence.live_event is None


@pytest.mark.parametrize("window", WINDOWS, ids=["window", "narrow", "wide"])
@pytest.mark.parametrize("name", sorted(p.name for p in DATA.iterdir()))
def test_every_data_file_counts_like_the_line_by_line_reference(
    name: str, window: tuple[datetime, datetime]
) -> None:
    _compare([DATA / name], DATA, *window, TEXTS)


def test_all_data_files_at_once_count_like_the_reference() -> None:
    _compare(sorted(DATA.iterdir()), DATA, SINCE, UNTIL, TEXTS)


_LONGEST = max(
    len(line) for p in DATA.iterdir() for line in decompress(p.read_bytes()).split(b"\n")
)


@pytest.mark.parametrize("block", [_LONGEST + 1, 397, 1024])
def test_small_blocks_count_like_the_reference(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    """Blocks a little longer than the longest line (a longer line is dated by its first
    block: see test_files.py), so that every file is read in many blocks."""
    monkeypatch.setattr(files, "BLOCK_BYTES", block)
    monkeypatch.setattr(files, "RAW_BYTES", 31)
    _compare(sorted(DATA.iterdir()), DATA, SINCE, UNTIL, TEXTS)


# A generated file mixes every kind of line the rules tell apart.
_ZONES = ("Z", "+01:00", "+0100", " -0500", "", " UTC", "z", " EST")
_LINES = st.one_of(
    st.builds(
        lambda minute, second, frac, zone, sep, text: (
            f"2025-11-26{sep}{9 + minute // 60:02d}:{minute % 60:02d}:{second:02d}"
            f"{frac}{zone} {text}"
        ),
        st.integers(0, 150),
        st.integers(0, 60),
        st.sampled_from(("", ".5", ".123456789", ",123", ".")),
        st.sampled_from(_ZONES),
        st.sampled_from(("T", " ", "t")),
        st.sampled_from((*TEXTS, "ok", "x", " stdout F y", "")),
    ),
    st.sampled_from(
        (
            "",
            "  indented, platform='linkedin'",
            "\tat com.example.A(A.java:1)",
            "Traceback (most recent call last):",
            "ValueError: boom, platform='linkedin'",
            "Caused by: java.lang.Error: Requested platforms",
            "java.lang.IllegalStateException: x",
            "panic: Requested platforms",
            "goroutine 1 [running]:",
            "main.main()",
            "no time here: Requested platforms",
            '{"time": "2025-11-26T10:00:00Z", "msg": "said \\"hi\\" Requested platforms"}',
            '{"msg": "no time"}',
            '10.0.0.1 - - [26/Nov/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 0',
            "Nov 26 10:00:00 host app: Requested platforms",
            "2025-11-26T10:00:00.000000001Z stdout P Requested plat",
            "2025-11-26T10:00:00.000000002Z stdout F forms",
            "2025-13-45T10:00:00Z impossible date",
            "2025-11-26T10:00:60Z a leap second",
            "2025-11-26T10:00:00Z5 a digit after the zone",
            "2025-11-26T10:00:001 too many digits",
            "\r",
            "   ",
        )
    ),
)


def _layout(zone: str, fraction: str, separator: str) -> st.SearchStrategy[str]:
    """Lines of one ISO layout, the kind the bulk rules are chosen for."""
    return st.builds(
        lambda minute, micros, text: (
            f"2025-11-26{separator}{8 + minute // 60:02d}:{minute % 60:02d}:"
            f"{micros // 10**6:02d}{fraction}{micros % 10**6:06d}{zone} {text}"
        ),
        st.integers(0, 200),
        st.integers(0, 60 * 10**6 - 1),
        st.sampled_from((*TEXTS, "ok", "a b c", "")),
    )


_MOSTLY_ONE_LAYOUT = st.sampled_from(
    [("Z", ".", "T"), ("", ",", " "), ("+01:00", ".", "T"), (" +0000", ".", " ")]
).flatmap(
    lambda layout: st.lists(
        st.one_of(_layout(*layout), _layout(*layout), _layout(*layout), _LINES), max_size=80
    )
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(st.lists(_LINES, max_size=60), _MOSTLY_ONE_LAYOUT),
    st.sampled_from(("\n", "\r\n")),
    st.booleans(),
    st.sampled_from(("UTC", "America/New_York")),
    st.sampled_from((131, 397, 4096)),  # longer than any line: long lines have their own test
    st.integers(1, 40),
)
def test_generated_files_count_like_the_reference(
    tmp_path: Path,
    lines: list[str],
    ending: str,
    final: bool,
    zone: str,
    block: int,
    repeat: int,
) -> None:
    """Generated files, repeated into several blocks of a few sizes."""
    path = tmp_path / "gen.log"
    path.write_bytes(((ending.join(lines) + ending) * repeat).encode()[: None if final else -1])
    saved = files.BLOCK_BYTES, files.RAW_BYTES
    files.BLOCK_BYTES, files.RAW_BYTES = block, max(block // 3, 1)
    try:
        _compare([path], tmp_path, SINCE, UNTIL, TEXTS, FileLogOptions(timezone=zone))
    finally:
        files.BLOCK_BYTES, files.RAW_BYTES = saved


@settings(max_examples=300, deadline=None)
@example("2025-13-45T10:00:00Z impossible date", "Z", ".", "T")
@given(
    _LINES,
    st.sampled_from([z for z in _ZONES if z != " EST"]),  # the layouts bulk rules are made for
    st.sampled_from((".", ",")),
    st.sampled_from(("T", " ")),
)
def test_a_line_the_bulk_rules_date_is_dated_to_that_minute_by_the_parser(
    line: str, zone: str, fraction: str, separator: str
) -> None:
    """The promise that lets bulk counting agree with line-by-line parsing."""
    fast = files._Fast.build(separator.encode(), fraction.encode(), zone.encode() or None)
    parser = LineParser(FileLogOptions(), UNTIL)
    raw = line.encode()
    m = fast.keys.match(b"\n" + raw + b"\n")
    if m is None:
        return
    stamp = parser.parse(raw)
    key = m[1].decode()
    try:
        minute = datetime.strptime(key[:10] + " " + key[11:], "%Y-%m-%d %H:%M")
    except ValueError:  # 2025-13-45: the block is read line by line (see _Fast.build's users)
        assert stamp is None, line
        return
    assert stamp is not None, line
    assert stamp.format in ("iso8601", "python-logging")
    written = _written_zone(zone)
    assert stamp.when.replace(second=0, microsecond=0) == (minute - written).replace(tzinfo=UTC)


def _written_zone(zone: str) -> timedelta:
    text = zone.strip()
    if text in ("", "Z", "z", "UTC"):
        return timedelta(0)
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))


# --------------------------------------------------------------------------- one SIMD pass

_KEYS = st.tuples(
    st.sampled_from(
        ["2025", "2024", "2000", "1900", "2100", "0000", "0001", "0002", "9998", "9999"]
    ),
    st.sampled_from(["00", "01", "02", "04", "09", "11", "12", "13", "19", "20"]),
    st.sampled_from(["00", "01", "09", "28", "29", "30", "31", "32", "40"]),
    st.sampled_from(["00", "08", "09", "10", "19", "20", "23", "24", "29", "30"]),
    st.sampled_from(["00", "05", "30", "59", "60", "99"]),
)
_AFTER_KEY = st.tuples(
    st.sampled_from([":00", ":59", ":60", ":5", ":", "", ":0a"]),
    st.sampled_from(["", ".", ",", ".5", ",123", ".123456789", ".1.2", ".x"]),
    st.sampled_from(
        [
            *("Z", "z", "+01:00", "+0100", "+01", " -0500", " +0000", " +00001", "", " UTC"),
            *(" UTX", " EST", "Z5", "+01:0", " UTCx", "Z stdout F x", " stderr P", " stdout F"),
        ]
    ),
    st.sampled_from(["", " hello", "1", "x", " stdout F y", " stderr P", ".5", ",5", "\r"]),
)


def _key_line(key: tuple[str, ...], separator: str, after: tuple[str, ...], cut: int) -> bytes:
    year, month, day, hour, minute = key
    line = f"{year}-{month}-{day}{separator}{hour}:{minute}" + "".join(after)
    return line[: cut or None].encode()


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from([z for z in _ZONES if z != " EST"]),
    st.sampled_from((".", ",")),
    st.sampled_from(("T", " ", "t")),
    st.lists(
        st.one_of(
            st.builds(
                _key_line, _KEYS, st.sampled_from(("T", " ", "t")), _AFTER_KEY, st.integers(0, 30)
            ),
            _LINES.map(lambda s: s.encode()),
        ),
        min_size=1,
        max_size=20,
    ),
    st.one_of(st.none(), st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31))),
    st.one_of(st.none(), st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31))),
    st.one_of(
        st.none(),
        st.tuples(
            st.datetimes(datetime(2024, 1, 1), datetime(2026, 12, 31)),
            st.integers(0, 24 * 60),
        ),
    ),
)
def test_the_simd_pass_flags_every_line_the_bulk_rules_would_not_count_in_that_part(
    zone: str,
    fraction: str,
    separator: str,
    lines: list[bytes],
    low_at: datetime | None,
    high_at: datetime | None,
    unknown_at: tuple[datetime, int] | None,
) -> None:
    """The flagged patterns are the exact complement of a bulk-rule line (``_Fast.keys``,
    whose agreement with the parser the test above proves) with a real date and a minute
    key in the part's range but not among the local minutes a clock change skips or
    repeats, among the lines that are not continuation lines."""
    sep = separator.encode()
    fast = files._Fast.build(sep, fraction.encode(), zone.encode() or None)

    def key(at: datetime) -> bytes:
        return f"{at.year:04d}-{at:%m-%d}{separator}{at:%H:%M}".encode()

    low = None if low_at is None else key(low_at)
    high = None if high_at is None else key(high_at)
    if low is not None and high is not None and low > high:
        low, high = high, low
    unknown: tuple[tuple[bytes, bytes], ...] = ()
    if unknown_at is not None:
        unknown = ((key(unknown_at[0]), key(unknown_at[0] + timedelta(minutes=unknown_at[1]))),)
    rules = files._line_rules((b"needle",), sep, fast.fraction, fast.zone, low, high, unknown)
    assert rules is not None
    data = b"\n" + b"\n".join(lines) + b"\n"
    scan = rules.scan(data)
    flagged = {data.rfind(b"\n", 0, end - 1) + 1 for end in scan.flagged}
    continued = set(scan.continued)
    position = 1
    for line in lines:
        m = fast.keys.match(data, position - 1)
        valid = False
        if m is not None:
            year, month, day = int(m[1][0:4]), int(m[1][5:7]), int(m[1][8:10])
            try:
                valid = 2 <= year <= 9998 and bool(datetime(year, month, day))
            except ValueError:
                valid = False
            valid = valid and (low is None or m[1] >= low) and (high is None or m[1] <= high)
            valid = valid and not any(a <= m[1] <= b for a, b in unknown)
        indented = line[:1] in (b" ", b"\t") or line in (b"", b"\r")
        assert (position in continued) == indented, line
        assert (position in flagged) == (not indented and not valid), (line, low, high)
        position += len(line) + 1


GROWING_TEXTS = ("Requested platforms", ", platform='linkedin'", 'said "hi"', "Traceback")
"""Texts that no generated line holds by chance (``e`` would be on every line)."""


def _monotonic_file(
    path: Path,
    layout: tuple[str, str, str],
    gaps: list[int],
    texts: list[int],
    others: list[tuple[int, str]],
    start: datetime = datetime(2025, 11, 26, 8, 0, tzinfo=UTC),
    local_zone: str | None = None,
) -> tuple[datetime, datetime]:
    """A file of one ISO layout, its times growing by ``gaps`` (µs) from ``start``,
    ``GROWING_TEXTS`` on some lines, other lines among them; the first and last time
    written. With ``local_zone``, times are written in that zone's local time."""
    zone, fraction, separator = layout
    offset = timedelta(hours=1) if zone == "+01:00" else timedelta(0)
    at = start
    first = at
    out = []
    extra = dict(others)
    for n, gap in enumerate(gaps):
        at += timedelta(microseconds=gap)
        if local_zone is not None:
            local = at.astimezone(ZoneInfo(local_zone)).replace(tzinfo=None)
        else:
            local = (at + offset).replace(tzinfo=None)
        stamp = local.strftime(f"%Y-%m-%d{separator}%H:%M:%S{fraction}%f") + zone
        text = f" {GROWING_TEXTS[n % len(GROWING_TEXTS)]}" if n in texts else ""
        out.append(f"{stamp} line {n}{text}")
        if n % 7 == 3:
            out.append("    at a continuation line")
        if n in extra:
            out.append(extra[n])
    path.write_text("\n".join(out) + "\n")
    return first, at


_SIMD_LAYOUTS = st.sampled_from(
    [
        ("Z", ".", "T"),
        ("", ",", " "),
        ("+01:00", ".", "T"),
        (" +0000", ".", " "),
        (" UTC", ".", "T"),
    ]
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    _SIMD_LAYOUTS,
    st.lists(
        st.sampled_from([0, 1, 999, 250_000, 1_000_000, 7_000_000, 59_999_999]),
        min_size=30,
        max_size=600,
    ),
    st.lists(st.integers(0, 599), max_size=8),
    st.lists(st.tuples(st.integers(0, 599), _LINES), max_size=4),
    st.floats(0, 1),
    st.floats(0, 1),
    st.sampled_from((512, 1024, 4096)),
)
def test_growing_times_count_like_the_reference_with_the_window_anywhere(
    tmp_path: Path,
    layout: tuple[str, str, str],
    gaps: list[int],
    texts: list[int],
    others: list[tuple[int, str]],
    since_at: float,
    length: float,
    block: int,
) -> None:
    """The files the SIMD pass is made for: one layout, growing times, the window's edges
    anywhere (in the middle of a minute too), a few lines of other kinds."""
    path = tmp_path / "grow.log"
    first, last = _monotonic_file(path, layout, gaps, texts, others)
    span = last - first + timedelta(seconds=2)
    since = first - timedelta(seconds=1) + span * since_at
    until = since + span * length
    saved = files.BLOCK_BYTES
    files.BLOCK_BYTES = block
    try:
        _compare([path], tmp_path, since, until, GROWING_TEXTS)
    finally:
        files.BLOCK_BYTES = saved


@pytest.mark.parametrize(
    ("layout", "zone"),
    [(("Z", ".", "T"), "UTC"), (("", ",", " "), "Europe/Berlin")],
    ids=["utc", "local-time"],
)
def test_a_growing_file_is_read_by_the_simd_pass_but_where_the_window_cuts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: tuple[str, str, str], zone: str
) -> None:
    """Work counted: of 40,000 lines over 11 hours (one a second), only those holding a text
    and those of the minutes the window's edges cut are parsed one by one."""
    path = tmp_path / "app.log"
    gaps = [1_000_000] * 40_000
    texts = list(range(0, 40_000, 4_000))  # 10 lines hold a text
    start = datetime(2025, 11, 26, 8, 0, tzinfo=UTC)
    _monotonic_file(path, layout, gaps, texts, [], start, None if zone == "UTC" else zone)
    since = datetime(2025, 11, 26, 10, 0, 30, tzinfo=UTC)
    until = datetime(2025, 11, 26, 15, 30, 30, 500_000, tzinfo=UTC)
    monkeypatch.setattr(files, "BLOCK_BYTES", 64 * 1024)
    monkeypatch.setattr(files, "SIMD_MIN_BYTES", 0)
    parsed = 0
    original = files._FileScan._line

    def counted(self: files._FileScan, *args: Any) -> None:
        nonlocal parsed
        parsed += 1
        original(self, *args)

    monkeypatch.setattr(files._FileScan, "_line", counted)
    blocks: Counter[str] = Counter()
    files._collect(
        [path], tmp_path, since, until, [Marker(t, ("retired",)) for t in GROWING_TEXTS],
        Redactor(), options=FileLogOptions(timezone=zone), bulk=True, blocks=blocks,
    )  # fmt: skip
    lines = 40_000 + 40_000 // 7
    assert blocks["simd"] >= 0.9 * sum(blocks.values())
    # each edge minute has 60 lines (and their continuation lines), each text line a few
    assert parsed <= 2 * 70 + 10 * 3 + sum(blocks.values())
    assert parsed < lines / 100


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 900), st.sampled_from(GROWING_TEXTS)),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from(("\n", "\r\n")),
    st.booleans(),
    st.booleans(),
    st.sampled_from((7, 64, 333, 1 << 20)),
)
def test_reads_of_any_size_read_every_line_like_the_reference(
    tmp_path: Path,
    lines: list[tuple[int, int, str]],
    ending: str,
    final: bool,
    packed: bool,
    read: int,
) -> None:
    """Blocks are read ``READ_BYTES`` at a time and grow to ``BLOCK_BYTES`` for a longer
    line (plain files with ``pread`` from a line's start, compressed ones through the
    decompressor): every line, a text anywhere in it, and its time are read as the
    reference reads them, whatever the sizes."""
    kinds = ("2025-11-26T10:{:02d}:00Z {}", "  indented {}", "no time {}", "")
    out = []
    for n, (kind, width, text) in enumerate(lines):
        body = "x" * width + f" {text} " + "y" * (width // 2)
        out.append(kinds[kind].format(n % 60, body) if kind < 2 else kinds[kind].format(body))
    data = (ending.join(out) + ending).encode()[: None if final else -len(ending)]
    path = tmp_path / "read.log"
    path.write_bytes(gzip.compress(data) if packed else data)
    saved = files.BLOCK_BYTES, files.READ_BYTES, files.RAW_BYTES
    files.BLOCK_BYTES, files.READ_BYTES, files.RAW_BYTES = 4096, read, max(read // 3, 1)
    try:
        _compare([path], tmp_path, SINCE, UNTIL, GROWING_TEXTS)
    finally:
        files.BLOCK_BYTES, files.READ_BYTES, files.RAW_BYTES = saved


_CLOCK_CHANGES = (
    ("America/New_York", datetime(2025, 11, 2, 4, 30, tzinfo=UTC)),  # 02:00 EDT -> 01:00 EST
    ("America/New_York", datetime(2025, 3, 9, 5, 30, tzinfo=UTC)),  # 02:00 EST -> 03:00 EDT
    ("Europe/Berlin", datetime(2025, 10, 25, 23, 30, tzinfo=UTC)),
    ("Australia/Lord_Howe", datetime(2025, 4, 5, 13, 30, tzinfo=UTC)),  # half an hour back
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.sampled_from(_CLOCK_CHANGES),
    st.sampled_from([("", ",", " "), ("", ".", "T")]),
    st.lists(
        st.sampled_from([0, 999, 1_000_000, 20_000_000, 59_999_999]), min_size=30, max_size=500
    ),
    st.lists(st.integers(0, 499), max_size=6),
    st.floats(0, 1),
    st.floats(0, 1),
    st.sampled_from((512, 2048)),
)
def test_local_times_across_a_clock_change_count_like_the_reference(
    tmp_path: Path,
    change: tuple[str, datetime],
    layout: tuple[str, str, str],
    gaps: list[int],
    texts: list[int],
    since_at: float,
    length: float,
    block: int,
) -> None:
    """Times written in local time without a zone (``timezone`` says which): the minutes a
    clock change repeats or skips have no known time, the others are read by the SIMD
    pass, the window's edges anywhere."""
    zone, start = change
    path = tmp_path / "local.log"
    first, last = _monotonic_file(path, layout, gaps, texts, [], start, zone)
    span = last - first + timedelta(seconds=2)
    since = first - timedelta(seconds=1) + span * since_at
    until = since + span * length
    saved = files.BLOCK_BYTES
    files.BLOCK_BYTES = block
    try:
        _compare([path], tmp_path, since, until, GROWING_TEXTS, FileLogOptions(timezone=zone))
    finally:
        files.BLOCK_BYTES = saved
