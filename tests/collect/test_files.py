"""The local log-file collector: formats, the unknown-time rules, accounting, compression,
errors, progress and cancellation. Each format has a file in ``data/logs`` written the
way the program writes it."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import threading
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from backports import zstd

from reporter.collect import files
from reporter.collect.files import (
    FileLogOptions,
    collect_files,
    display_name,
    iter_events,
)
from reporter.collect.matching import Marker
from reporter.errors import Cancelled
from reporter.model import LogsEvidence
from reporter.redact import REDACTED, Redactor

DATA = Path(__file__).parent / "data" / "logs"
SINCE = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
UNTIL = datetime(2025, 11, 26, 11, 0, tzinfo=UTC)
NEW = "Requested platforms"
OLD = ", platform='linkedin'"
MARKERS = [Marker(NEW, ("expected",)), Marker(OLD, ("retired",))]


def utc(hour: int, minute: int = 0, second: int = 0, micro: int = 0, day: int = 26) -> datetime:
    return datetime(2025, 11, day, hour, minute, second, micro, tzinfo=UTC)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def collect(
    paths: Sequence[Path],
    base: Path,
    markers: Sequence[Marker] = MARKERS,
    options: FileLogOptions = FileLogOptions(),  # noqa: B008
) -> LogsEvidence:
    return collect_files(paths, base, SINCE, UNTIL, markers, Redactor(), options=options)


def times(path: Path, options: FileLogOptions = FileLogOptions()) -> list[tuple[int, datetime]]:  # noqa: B008
    return [
        (int(stream.rsplit(":", 1)[1]), when)
        for when, stream, _ in iter_events(path, path.name, options, until=UNTIL)
    ]


# --------------------------------------------------------------------------- formats

FORMATS: dict[str, tuple[str, list[tuple[int, datetime]], int]] = {
    # file: (format, [(line, time)], lines with no known time)
    "iso8601.log": (
        "iso8601",
        [
            (1, utc(9, 30)),
            (2, utc(9, 31, 0, 123000)),
            (3, utc(9, 32, 0, 123456)),
            (4, utc(9, 33)),
            (5, utc(9, 34, 0, 500000)),
            (6, utc(9, 35)),
            (7, utc(9, 36, 0, 123456)),
            (8, utc(9, 37)),
            (9, utc(8, 59, 59)),
        ],
        0,
    ),
    "python-logging.log": (
        "python-logging",
        [(1, utc(9, 40, 0, 123000)), (2, utc(9, 41, 0, 456000)), (15, utc(9, 42, 0, 789000))],
        0,
    ),
    "level-first.log": (
        "level-iso8601",
        [(1, utc(9, 50)), (2, utc(9, 51)), (3, utc(9, 52, 0, 123000)), (4, utc(9, 53))],
        2,  # uvicorn access lines carry no time
    ),
    "gunicorn.log": (
        "bracketed-iso8601",
        [(1, utc(9, 55)), (2, utc(9, 55)), (3, utc(9, 55, 1)), (4, utc(9, 56))],
        0,
    ),
    "nginx-access.log": (
        "common-log",
        [(1, utc(9, 57)), (2, utc(9, 57, 1)), (3, utc(9, 57, 2))],
        0,
    ),
    "nginx-error.log": ("nginx-error", [(1, utc(9, 58)), (2, utc(9, 58, 1))], 0),
    "klog.log": (
        "klog",
        [(1, utc(9, 59, 0, 123456)), (2, utc(9, 59, 1, 1)), (3, utc(9, 59, 2, 500000))],
        0,
    ),
    "syslog.log": (
        "syslog",
        [(1, utc(9, 45)), (2, utc(9, 45, 1)), (3, utc(9, 45, 2, day=6)), (4, utc(9, 45, 3, 3000))],
        0,
    ),
    "logfmt.log": (
        "logfmt",
        [
            (1, utc(9, 46)),
            (2, utc(9, 46, 1, 500000)),
            (3, utc(9, 46, 2)),
            (4, utc(9, 46, 3, 250000)),
        ],
        0,
    ),
    "app.jsonl": (
        "json",
        [
            (1, utc(9, 20)),
            (2, utc(9, 20, 1, 500000)),
            (3, utc(9, 20, 2)),
            (4, utc(9, 20, 3, 123000)),
            (5, utc(9, 20, 4)),
            (6, utc(9, 20, 5)),
            (7, utc(9, 20, 6, 789000)),
            (8, utc(9, 20, 7)),
            (10, utc(9, 20, 9)),
        ],
        1,  # a JSON line with no time field
    ),
    "docker.log": (
        "docker-json",
        [(1, utc(9, 10, 0, 123456)), (2, utc(9, 10, 1)), (3, utc(9, 10, 2, 500000))],
        0,
    ),
    "cri.log": (
        "cri",
        [(1, utc(9, 11, 0, 123456)), (2, utc(9, 11, 1)), (4, utc(9, 11, 2)), (5, utc(9, 11, 3))],
        0,
    ),
    "journald.jsonl": ("journald-json", [(1, utc(9, 11, 0, 123456)), (2, utc(9, 11, 1))], 0),
    "cloudwatch-filter.json": (
        "cloudwatch-export",
        [(3, utc(9, 12)), (10, utc(9, 12, 1, 500000)), (17, utc(6, 53, 20))],
        0,
    ),
    "cloudwatch-get.json": ("cloudwatch-export", [(3, utc(9, 12, 10))], 0),
    "cloudwatch-events.jsonl": (
        "cloudwatch-json",
        [(1, utc(9, 12)), (2, utc(9, 12, 1, 500000))],
        0,
    ),
    "aws-logs-tail.log": ("iso8601", [(1, utc(9, 12, 0, 123000)), (2, utc(9, 12, 1))], 0),
    "java.log": ("iso8601", [(1, utc(9, 13, 0, 123000)), (8, utc(9, 13, 1))], 0),
    "go-panic.log": ("iso8601", [(1, utc(9, 14)), (10, utc(9, 14, 5))], 0),
    "undated.log": ("iso8601", [(2, utc(9, 15)), (6, utc(9, 15, 1))], 3),
}


def test_every_data_file_has_a_format_test() -> None:
    assert sorted(p.name for p in DATA.iterdir()) == sorted(FORMATS)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_format_dates_its_events(name: str) -> None:
    fmt, expected, undated = FORMATS[name]
    assert times(DATA / name) == expected
    evidence = collect([DATA / name], DATA)
    (stats,) = evidence.file_stats
    assert stats.format is not None
    assert stats.format.split(", ")[0] == fmt
    assert stats.events == len(expected)
    assert stats.undated_lines == undated
    assert stats.first_timestamp == expected[0][1]
    assert stats.last_timestamp == expected[-1][1]
    assert evidence.error is None


# Where each text is found, per file: (new in window, old in window, new outside, old
# outside, new at no known time, old at no known time).
COUNTS = {
    "iso8601.log": (1, 0, 1, 0, 0, 0),
    "python-logging.log": (1, 2, 0, 0, 0, 0),  # the traceback's last line is in its event
    "level-first.log": (3, 0, 0, 0, 0, 1),  # the uvicorn line has no known time
    "gunicorn.log": (1, 0, 0, 0, 0, 0),
    "nginx-access.log": (0, 0, 0, 0, 0, 0),  # %20 in the URL: not the literal text
    "klog.log": (1, 1, 0, 0, 0, 0),
    "syslog.log": (1, 1, 0, 0, 0, 0),
    "logfmt.log": (1, 0, 0, 0, 0, 0),  # no ", " before platform= there
    "app.jsonl": (1, 1, 0, 0, 1, 0),  # \u0027 in JSON is matched in the decoded message
    "docker.log": (1, 1, 0, 0, 0, 0),
    "cri.log": (1, 1, 0, 0, 0, 0),  # a text split over a P line and its F line is found
    "journald.jsonl": (1, 1, 0, 0, 0, 0),  # MESSAGE as bytes
    "cloudwatch-filter.json": (1, 1, 1, 0, 0, 0),
    "cloudwatch-get.json": (1, 0, 0, 0, 0, 0),
    "cloudwatch-events.jsonl": (1, 1, 0, 0, 0, 0),
    "aws-logs-tail.log": (1, 1, 0, 0, 0, 0),
    "java.log": (1, 1, 0, 0, 0, 0),
    "go-panic.log": (1, 1, 0, 0, 0, 0),
    "undated.log": (1, 1, 0, 0, 1, 1),
}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_each_format_accounts_for_every_text(name: str) -> None:
    new, old = collect([DATA / name], DATA).matches
    assert (
        new.count,
        old.count,
        new.outside_window,
        old.outside_window,
        new.unknown_time,
        old.unknown_time,
    ) == COUNTS[name]


def test_a_cri_message_drops_the_prefix_and_joins_partial_lines() -> None:
    events = list(iter_events(DATA / "cri.log", "cri.log", until=UNTIL))
    assert [m for _, _, m in events] == [
        "INFO app started",
        "Requested platforms: ['linkedin']",
        "item, platform='linkedin'",
        "",
    ]
    new = collect([DATA / "cri.log"], DATA).matches[0]
    assert new.excerpts[0].stream == "cri.log:2"
    assert new.excerpts[0].message == "Requested platforms: ['linkedin']"


def test_json_messages_come_from_the_message_fields() -> None:
    messages = [m for _, _, m in iter_events(DATA / "docker.log", "d", until=UNTIL)]
    assert messages[1] == "Requested platforms: ['linkedin', 'twitter']"
    evidence = collect([DATA / "journald.jsonl"], DATA)
    assert evidence.matches[1].excerpts[0].message == "item, platform='linkedin'\\xff"


def test_a_text_with_a_quote_is_found_in_an_escaped_json_string(tmp_path: Path) -> None:
    line = json.dumps({"log": 'said "hello"\n', "stream": "stdout", "time": "2025-11-26T10:00:00Z"})
    path = write(tmp_path / "d.log", line + "\n")
    (match,) = collect([path], tmp_path, [Marker('said "hello"', ("expected",))]).matches
    assert match.count == 1


# --------------------------------------------------------------------------- no known time


def test_lines_with_no_known_time_are_counted_and_shown_with_file_and_line() -> None:
    evidence = collect([DATA / "undated.log"], DATA)
    new, old = evidence.matches
    assert [e.location for e in new.unknown_time_excerpts] == ["undated.log:1"]
    assert [e.location for e in old.unknown_time_excerpts] == ["undated.log:4"]
    assert old.unknown_time_excerpts[0].message == "a line with no time, platform='linkedin'"
    assert old.count == 1  # the indented line of the dated event at line 2
    assert [e.stream for e in old.excerpts] == ["undated.log:2"]
    assert evidence.skipped_lines == 3
    assert evidence.file_stats[0].undated_lines == 3


def test_a_line_the_parser_cannot_date_is_never_glued_to_the_event_before(tmp_path: Path) -> None:
    path = write(
        tmp_path / "app.log",
        "2025-11-26T08:00:00Z INFO before the window\n"
        "INFO:     10.0.1.23:51234 - \"GET /x HTTP/1.1\" 200 OK, platform='linkedin'\n",
    )
    old = collect([path], tmp_path).matches[1]
    assert (old.count, old.outside_window, old.unknown_time) == (0, 0, 1)


def test_unknown_time_excerpts_are_redacted_cut_and_escaped(tmp_path: Path) -> None:
    line = f"{NEW} password=hunter22 \x1b[31m " + "x" * 5000
    path = write(tmp_path / "a.log", line + "\n")
    (excerpt,) = collect([path], tmp_path).matches[0].unknown_time_excerpts
    assert "hunter22" not in excerpt.message
    assert REDACTED in excerpt.message
    assert "\\x1b[31m" in excerpt.message
    assert "more characters cut" in excerpt.message


def test_at_most_five_unknown_time_excerpts_but_every_line_counted(tmp_path: Path) -> None:
    path = write(tmp_path / "a.log", "".join(f"{NEW} #{n}\n" for n in range(12)))
    new = collect([path], tmp_path).matches[0]
    assert new.unknown_time == 12
    assert [e.location for e in new.unknown_time_excerpts] == [f"a.log:{n}" for n in range(1, 6)]


def test_a_zone_abbreviation_is_used_only_when_unambiguous(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.log",
        "2025-11-26 04:00:00 EST Requested platforms: EST\n"
        "2025-11-26 09:00:00 GMT Requested platforms: GMT\n"
        "2025-11-26 10:00:00 CST Requested platforms: CST\n",
    )
    assert times(path) == [(2, utc(9))]  # EST and CST mean nothing certain in UTC
    york = FileLogOptions(timezone="America/New_York")
    assert times(path, york) == [(1, utc(9)), (2, utc(9))]  # EST is New York's in November
    chicago = FileLogOptions(timezone="America/Chicago")
    assert times(path, chicago) == [(2, utc(9)), (3, utc(16))]


def test_a_local_time_a_clock_change_repeats_has_no_known_time(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.log",
        "2025-11-02 01:30:00 repeated when New York's clocks went back\n"
        "2025-11-02 03:30:00 after the change\n"
        "2025-03-09 02:30:00 skipped when they went forward\n",
    )
    assert [n for n, _ in times(path, FileLogOptions(timezone="America/New_York"))] == [2]


def test_timezone_applies_to_timestamps_written_without_one(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.log",
        "2025-11-26 10:00:00,000 naive\n2025-11-26T10:00:00Z zoned\nNov 26 10:00:00 host x\n",
    )
    berlin = FileLogOptions(timezone="Europe/Berlin")
    assert times(path, berlin) == [(1, utc(9)), (2, utc(10)), (3, utc(9))]


def test_the_year_of_a_syslog_line_comes_from_the_window(tmp_path: Path) -> None:
    path = write(tmp_path / "a.log", "Dec 31 23:59:00 host x\nJan  1 00:01:00 host y\n")
    until = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    found = [w for w, _, _ in iter_events(path, "a", until=until)]
    assert found == [
        datetime(2025, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 1, tzinfo=UTC),
    ]


def test_timestamp_field_names_the_json_time(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.jsonl",
        '{"time": "2020-01-01T00:00:00Z", "meta": {"at": "2025-11-26T10:00:00Z"}, "msg": "x"}\n',
    )
    assert times(path) == [(1, datetime(2020, 1, 1, tzinfo=UTC))]
    assert times(path, FileLogOptions(timestamp_field="meta.at")) == [(1, utc(10))]


def test_timestamp_pattern_and_format_date_other_layouts(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.log",
        "app|26.11.2025 10:00:01|Requested platforms: custom\n"
        "app|2025-11-26T10:00:02Z|iso inside the pattern\n"
        "2025-11-26T10:00:03Z a built-in format still works\n",
    )
    pattern = FileLogOptions(
        timestamp_pattern=r"app\|(?P<time>[^|]+)\|(?P<message>.*)",
        timestamp_format="%d.%m.%Y %H:%M:%S",
        timezone="Europe/Berlin",
    )
    assert times(path, pattern) == [(1, utc(9, 0, 1)), (3, utc(10, 0, 3))]
    no_format = FileLogOptions(timestamp_pattern=r"app\|(?P<time>[^|]+)\|")
    assert times(path, no_format) == [(2, utc(10, 0, 2)), (3, utc(10, 0, 3))]
    events = list(iter_events(path, "a", pattern, until=UNTIL))
    assert events[0][2] == "Requested platforms: custom"


def test_options_come_from_the_spec_logs_section() -> None:
    from reporter.spec import LogsSection

    logs = LogsSection(
        files=("a.log",),
        timezone="Europe/Berlin",
        timestamp_field="ts",
        timestamp_pattern="(?P<time>.{19})",
        timestamp_format="%Y-%m-%d %H:%M:%S",
    )
    assert FileLogOptions.from_spec(logs) == FileLogOptions(
        timezone="Europe/Berlin",
        timestamp_field="ts",
        timestamp_pattern="(?P<time>.{19})",
        timestamp_format="%Y-%m-%d %H:%M:%S",
    )
    assert FileLogOptions.from_spec(LogsSection(files=("a.log",))) == FileLogOptions()


# --------------------------------------------------------------------------- the window


def test_window_edges_are_inclusive_and_outside_events_are_counted(tmp_path: Path) -> None:
    path = write(
        tmp_path / "logs" / "app.log",
        "2025-11-26T08:59:59.999Z Requested platforms: before\n"
        "2025-11-26T09:00:00Z Requested platforms: at since\n"
        "2025-11-26T10:00:00+01:00 Requested platforms: zoned, 09:00 UTC\n"
        "2025-11-26 10:30:00,000 INFO Parsed content item, platform='linkedin'\n"
        "2025-11-26T11:00:00Z Requested platforms: at until\n"
        "2025-11-26T11:00:00.001Z Requested platforms: after\n",
    )
    evidence = collect([path], tmp_path)
    assert evidence.files == ("logs/app.log",)
    assert (evidence.events_scanned, evidence.outside_window) == (4, 2)
    new, old = evidence.matches
    assert (new.count, new.outside_window, new.first_seen, new.last_seen) == (3, 2, SINCE, UNTIL)
    assert [e.stream for e in new.excerpts] == [
        "logs/app.log:2",
        "logs/app.log:3",
        "logs/app.log:5",
    ]
    assert (old.count, old.outside_window) == (1, 0)
    assert evidence.live_event is not None
    assert evidence.live_event.stream == "logs/app.log:2"
    (stats,) = evidence.file_stats
    assert (stats.events, stats.events_in_window, stats.lines) == (6, 4, 6)


def test_a_file_with_no_dated_event_in_the_window_is_a_silent_source(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.log",
        "2025-11-26T08:00:00Z INFO before\nno time here\n2025-11-26T12:00:00Z INFO after\n",
    )
    evidence = collect([path], tmp_path)
    assert evidence.live_event is None
    assert (evidence.events_scanned, evidence.outside_window, evidence.skipped_lines) == (0, 2, 1)


def test_the_live_event_is_the_first_in_the_window_in_file_order(tmp_path: Path) -> None:
    first = write(tmp_path / "a.log", "2025-11-26T07:00:00Z old\n")
    second = write(tmp_path / "b.log", "2025-11-26T10:30:00Z any event password=hunter22\n")
    third = write(tmp_path / "c.log", "2025-11-26T09:30:00Z earlier but later in order\n")
    live = collect([first, second, third], tmp_path).live_event
    assert live is not None
    assert (live.stream, live.timestamp) == ("b.log:1", utc(10, 30))
    assert "hunter22" not in live.message


def test_excerpts_keep_the_latest_five_oldest_first_over_several_files(tmp_path: Path) -> None:
    first = write(
        tmp_path / "a.log", "".join(f"2025-11-26T09:0{n}:00Z {NEW} a{n}\n" for n in range(6))
    )
    second = write(
        tmp_path / "b.log.gz",
        gzip.compress("".join(f"2025-11-26T09:0{n}:30Z {NEW} b{n}\n" for n in range(4)).encode()),
    )
    evidence = collect([first, second], tmp_path)
    new = evidence.matches[0]
    assert new.count == 10
    assert [e.message.split()[-1] for e in new.excerpts] == ["b2", "a3", "b3", "a4", "a5"]
    assert (new.first_seen, new.last_seen) == (utc(9, 0), utc(9, 5))


def test_an_event_counts_once_per_text(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.log",
        f"2025-11-26T10:00:00Z {NEW} {NEW}\n  {NEW} again in a continuation\n",
    )
    assert collect([path], tmp_path).matches[0].count == 1


def test_a_text_across_lines_is_found_in_one_event(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.log",
        "2025-11-26T10:00:00Z Traceback follows\nTraceback (most recent call last):\n"
        '  File "a.py", line 1\nKeyError: x\n',
    )
    marker = Marker("Traceback (most recent call last):\n  File", ("retired",))
    (match,) = collect([path], tmp_path, [marker]).matches
    assert match.count == 1


def test_excerpts_are_redacted_and_control_characters_visible(tmp_path: Path) -> None:
    path = write(tmp_path / "a.log", f"2025-11-26T10:00:00Z {NEW} password=hunter22 \x1b[31m\n")
    excerpt = collect([path], tmp_path).matches[0].excerpts[0].message
    assert "hunter22" not in excerpt
    assert REDACTED in excerpt
    assert "\\x1b[31m" in excerpt


def test_invalid_utf8_is_backslash_escaped(tmp_path: Path) -> None:
    path = write(tmp_path / "a.log", b"2025-11-26T10:00:00Z Requested platforms \xff\xfe \xc3\n")
    excerpt = collect([path], tmp_path).matches[0].excerpts[0].message
    assert excerpt == "2025-11-26T10:00:00Z Requested platforms \\xff\\xfe \\xc3"


def test_crlf_lines_read_like_lf_lines(tmp_path: Path) -> None:
    body = (
        "2025-11-26T10:00:00Z one\n  continued\nno time\n\n"
        "2025-11-26T10:01:00Z Requested platforms\n"
    )
    plain = write(tmp_path / "lf.log", body)
    crlf = write(tmp_path / "crlf.log", body.replace("\n", "\r\n"))
    a, b = collect([plain], tmp_path), collect([crlf], tmp_path)
    assert a.file_stats[0].model_copy(update={"path": "", "bytes_read": 0}) == b.file_stats[
        0
    ].model_copy(update={"path": "", "bytes_read": 0})
    assert a.matches[0].excerpts[0].message == b.matches[0].excerpts[0].message


def test_a_last_line_without_newline_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "a.log", f"2025-11-26T10:00:00Z one\n2025-11-26T10:00:01Z {NEW}")
    evidence = collect([path], tmp_path)
    assert evidence.matches[0].count == 1
    assert evidence.file_stats[0].lines == 2


# --------------------------------------------------------------------------- compression

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "bzip2": lambda data: bz2.compress(data, 1),  # 100 kB blocks: a cut file has whole ones
    "xz": lzma.compress,
    "zstd": zstd.compress,
}


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_compressed_files_are_recognised_by_content_whatever_their_name(
    tmp_path: Path, kind: str
) -> None:
    body = (DATA / "python-logging.log").read_bytes()
    plain = write(tmp_path / "plain.log", body)
    packed = write(tmp_path / "misnamed.txt", COMPRESSORS[kind](body))
    a, b = collect([plain], tmp_path), collect([packed], tmp_path)
    assert b.file_stats[0].compression == kind
    assert b.file_stats[0].bytes_read == packed.stat().st_size
    assert [(m.count, m.excerpts[0].message) for m in a.matches] == [
        (m.count, m.excerpts[0].message) for m in b.matches
    ]
    assert a.file_stats[0].events == b.file_stats[0].events


def test_a_gz_name_on_plain_text_is_read_as_plain_text(tmp_path: Path) -> None:
    path = write(tmp_path / "app.log.gz", f"2025-11-26T10:00:00Z {NEW}\n")
    evidence = collect([path], tmp_path)
    assert evidence.error is None
    assert evidence.file_stats[0].compression == "none"
    assert evidence.matches[0].count == 1


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_concatenated_streams_are_all_read(tmp_path: Path, kind: str) -> None:
    pack = COMPRESSORS[kind]
    path = write(
        tmp_path / "a.log",
        pack(f"2025-11-26T10:00:00Z {NEW} 1\n".encode())
        + pack(f"2025-11-26T10:00:01Z {NEW} 2\n".encode()),
    )
    evidence = collect([path], tmp_path)
    assert evidence.error is None
    assert evidence.matches[0].count == 2


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_a_truncated_compressed_file_keeps_what_was_read_and_says_so(
    tmp_path: Path, kind: str
) -> None:
    body = "".join(
        f"2025-11-26T10:{n % 60:02d}:00Z {NEW} #{n} {os.urandom(8).hex()}\n" for n in range(20000)
    )
    packed = COMPRESSORS[kind](body.encode())
    cut = write(tmp_path / "cut.log", packed[: len(packed) // 2])
    after = write(tmp_path / "after.log", f"2025-11-26T10:00:00Z {NEW}\n")
    evidence = collect([cut, after], tmp_path)
    first, second = evidence.file_stats
    assert first.error is not None
    assert evidence.error == first.error
    assert "cut.log" in first.error.message
    assert 0 < first.events < 20000
    assert first.bytes_read == len(packed) // 2
    assert second.error is None  # later files are still read
    assert second.events == 1
    assert evidence.matches[0].count == first.events_in_window + 1


def test_data_after_a_compressed_stream_that_is_not_compressed_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.log", gzip.compress(f"2025-11-26T10:00:00Z {NEW}\n".encode()) + b"junk!!"
    )
    evidence = collect([path], tmp_path)
    assert evidence.error is not None
    assert evidence.matches[0].count == 1


def test_corrupt_gzip_data_is_an_error(tmp_path: Path) -> None:
    packed = bytearray(gzip.compress(("2025-11-26T10:00:00Z x\n" * 1000).encode()))
    packed[40:60] = b"\x00" * 20
    evidence = collect([write(tmp_path / "a.log", bytes(packed))], tmp_path)
    assert evidence.error is not None
    assert evidence.error.operation == "read file"


def test_a_gzip_of_empty_lines_costs_no_python_per_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11: 10 KB of gzip holding ~10 MB of empty lines took 53 s."""
    calls = []
    original = files._FileScan._line

    def counted(self: files._FileScan, *args: object) -> None:
        calls.append(1)
        original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(files._FileScan, "_line", counted)
    path = write(tmp_path / "empty.log", gzip.compress(b"\n" * 10_000_000, 9))
    assert path.stat().st_size < 20_000
    evidence = collect([path], tmp_path)
    assert evidence.file_stats[0].lines == 10_000_000
    assert evidence.file_stats[0].undated_lines == 0
    assert calls == []


# --------------------------------------------------------------------------- errors


def test_a_missing_file_is_an_error_and_the_others_are_still_read(tmp_path: Path) -> None:
    good = write(tmp_path / "a.log", f"2025-11-26T10:00:00Z {NEW}\n")
    later = write(tmp_path / "c.log", f"2025-11-26T10:00:00Z {NEW}\n")
    evidence = collect([good, tmp_path / "b.log", later], tmp_path)
    assert evidence.error is not None
    assert (evidence.error.operation, evidence.error.code) == ("read file", "FileNotFoundError")
    assert "b.log" in evidence.error.message
    assert evidence.matches[0].count == 2
    assert [s.error is not None for s in evidence.file_stats] == [False, True, False]


def test_a_directory_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "dir.log").mkdir()
    evidence = collect([tmp_path / "dir.log"], tmp_path)
    assert evidence.error is not None
    assert evidence.error.code == "IsADirectoryError"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_named_pipe_is_read_like_a_file(tmp_path: Path) -> None:
    """Not a regular file: read in order (no ``pread``), the same evidence."""
    body = (DATA / "python-logging.log").read_bytes() * 20
    plain = write(tmp_path / "plain.log", body)
    pipe = tmp_path / "pipe.log"
    os.mkfifo(pipe)

    def feed() -> None:
        with pipe.open("wb") as out:
            out.write(body)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        piped = collect([pipe], tmp_path)
    finally:
        writer.join(timeout=10)
    expected = collect([plain], tmp_path)
    assert piped.error is None
    assert piped.file_stats[0].model_copy(update={"path": "plain.log"}) == expected.file_stats[0]
    assert [m.model_dump(exclude={"excerpts"}) for m in piped.matches] == [
        m.model_dump(exclude={"excerpts"}) for m in expected.matches
    ]


def test_a_broken_cloudwatch_export_keeps_the_events_before_the_break(tmp_path: Path) -> None:
    text = (DATA / "cloudwatch-filter.json").read_text()
    cut = text[: text.index('"logStreamName": "ecs/backend/9d1c"') + 20]
    evidence = collect([write(tmp_path / "export.json", cut)], tmp_path)
    assert evidence.error is not None
    assert evidence.matches[0].count == 1
    assert evidence.matches[1].count == 1


# --------------------------------------------------------------------------- file names


def test_a_path_outside_base_dir_is_shown_whole(tmp_path: Path) -> None:
    path = write(tmp_path / "elsewhere" / "a.log", f"2025-11-26T10:00:00Z {NEW}\n")
    evidence = collect([path], tmp_path / "spec")
    assert evidence.files == (path.as_posix(),)
    assert evidence.matches[0].excerpts[0].stream == f"{path.as_posix()}:1"


def test_file_names_that_are_not_utf8_are_shown_escaped_and_stored_safely(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/bad-\xff\xfe-\x1b.log"
    with open(raw, "wb") as handle:
        handle.write(f"2025-11-26T10:00:00Z {NEW}\nno time {NEW}\n".encode())
    path = Path(os.fsdecode(raw))
    evidence = collect([path], tmp_path)
    assert evidence.files == ("bad-\\xff\\xfe-\\x1b.log",)
    assert evidence.file_stats[0].path == "bad-\\xff\\xfe-\\x1b.log"
    assert evidence.matches[0].excerpts[0].stream == "bad-\\xff\\xfe-\\x1b.log:1"
    assert evidence.matches[0].unknown_time_excerpts[0].location == "bad-\\xff\\xfe-\\x1b.log:2"
    loaded = LogsEvidence.model_validate_json(evidence.model_dump_json())
    assert loaded == evidence
    assert display_name(path, tmp_path) == "bad-\\xff\\xfe-\\x1b.log"


# --------------------------------------------------------------------------- long lines


@pytest.mark.parametrize("read", [1000, 100, 7])
def test_a_text_at_any_place_of_a_line_longer_than_a_block_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read: int
) -> None:
    monkeypatch.setattr(files, "BLOCK_BYTES", 1000)
    monkeypatch.setattr(files, "READ_BYTES", read)
    monkeypatch.setattr(files, "RAW_BYTES", 333)
    head = "2025-11-26T10:00:00Z "
    for offset in (980, 990, 999, 1000, 1001, 1990, 2500):
        line = head + "x" * (offset - len(head)) + NEW + "y" * 3000
        path = write(tmp_path / f"{offset}.log", line + f"\nno time {OLD}\n")
        evidence = collect([path], tmp_path)
        assert evidence.matches[0].count == 1, offset
        assert evidence.matches[1].unknown_time == 1, offset
        assert evidence.file_stats[0].lines == 2


def test_a_long_undated_line_is_counted_once_per_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "BLOCK_BYTES", 1000)
    line = f"{NEW} " + "x" * 1500 + f" {NEW} " + "y" * 2000 + OLD
    path = write(tmp_path / "a.log", line + "\n")
    new, old = collect([path], tmp_path).matches
    assert (new.unknown_time, old.unknown_time) == (1, 1)


def test_memory_stays_flat_as_files_grow(tmp_path: Path) -> None:
    def peak_for(lines: int) -> int:
        path = tmp_path / f"{lines}.log"
        with path.open("w") as out:
            for n in range(lines):
                out.write(f"2025-11-26T10:{n % 60:02d}:00Z {NEW} request #{n} ok\n")
                out.write("  detail line\n")
        tracemalloc.start()
        try:
            evidence = collect([path], tmp_path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert evidence.matches[0].count == lines
        return peak

    small, large = peak_for(5_000), peak_for(50_000)
    assert large < 40 * 1024 * 1024
    assert large < small * 4


# --------------------------------------------------------------------------- progress, cancel


def test_on_bytes_hears_every_byte_as_stored(tmp_path: Path) -> None:
    body = (DATA / "java.log").read_bytes() * 50
    paths = [
        write(tmp_path / "a.log", body),
        write(tmp_path / "b.log", gzip.compress(body)),
        write(tmp_path / "c.log", lzma.compress(body)),
    ]
    heard: list[int] = []
    collect_files(paths, tmp_path, SINCE, UNTIL, MARKERS, Redactor(), on_bytes=heard.append)
    assert sum(heard) == sum(p.stat().st_size for p in paths)


def test_cancel_stops_reading_and_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "BLOCK_BYTES", 64 * 1024)
    monkeypatch.setattr(files, "RAW_BYTES", 64 * 1024)
    line = f"2025-11-26T10:00:00Z {NEW} " + "z" * 80 + "\n"
    paths = [write(tmp_path / f"{n}.log", line * 40_000) for n in range(3)]
    total = sum(p.stat().st_size for p in paths)
    cancel = threading.Event()
    heard: list[int] = []

    def on_bytes(size: int) -> None:
        heard.append(size)
        if sum(heard) > 200_000:
            cancel.set()

    with pytest.raises(Cancelled):
        collect_files(
            paths, tmp_path, SINCE, UNTIL, MARKERS, Redactor(), on_bytes=on_bytes, cancel=cancel
        )
    assert sum(heard) < total / 2
    assert not [t for t in threading.enumerate() if t.name.startswith("log-files")]


def test_cancel_set_before_the_start_reads_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "a.log", f"2025-11-26T10:00:00Z {NEW}\n")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        collect_files([path], tmp_path, SINCE, UNTIL, MARKERS, Redactor(), cancel=cancel)


def test_files_read_at_once_merge_in_the_given_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [
        write(
            tmp_path / f"{n:02d}.log",
            "".join(
                f"2025-11-26T09:{m:02d}:{n:02d}Z {NEW} {n}/{m}\nno time {OLD} {n}\n"
                for m in range(30)
            ),
        )
        for n in range(12)
    ]
    monkeypatch.setattr(files, "WORKERS", 4)
    together = collect(paths, tmp_path)
    monkeypatch.setattr(files, "WORKERS", 1)
    assert collect(paths, tmp_path) == together
    assert [s.path for s in together.file_stats] == [p.name for p in paths]
