"""The local log-file collector: line rules, gzip, JSON lines, errors, and flat memory."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reporter.collect.files import (
    MAX_EVENT_CHARS,
    FileStats,
    collect_files,
    iter_events,
    parse_json_timestamp,
    parse_line_timestamp,
)
from reporter.collect.matching import Marker
from reporter.model import LogsEvidence
from reporter.redact import REDACTED, Redactor

SINCE = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
UNTIL = datetime(2025, 11, 26, 11, 0, tzinfo=UTC)
NEW = "Requested platforms"
OLD = ", platform='linkedin'"
MARKERS = [Marker(NEW, ("expected",)), Marker(OLD, ("retired",))]


def utc(hour: int, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(2025, 11, 26, hour, minute, second, micro, tzinfo=UTC)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def events(path: Path, display: str = "app.log") -> list[tuple[datetime, str, str]]:
    return list(iter_events(path, display))


def collect(paths: Sequence[Path], base: Path, markers: Sequence[Marker] = MARKERS) -> LogsEvidence:
    return collect_files(paths, base, SINCE, UNTIL, markers, Redactor())


# --------------------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2025-11-26T10:49:43 INFO x", utc(10, 49, 43)),
        ("2025-11-26T10:49:43.123Z INFO x", utc(10, 49, 43, 123000)),
        ("2025-11-26T10:49:43.123456789Z x", utc(10, 49, 43, 123456)),
        ("2025-11-26T12:49:43+02:00 x", utc(10, 49, 43)),
        ("2025-11-26T05:49:43-0500 x", utc(10, 49, 43)),
        ("2025-11-26 10:49:43,123 - app - INFO - x", utc(10, 49, 43, 123000)),
        ("2025-11-26 10:49:43 x", utc(10, 49, 43)),
        ("2025-11-26t10:49:43z", utc(10, 49, 43)),
        ("2025-11-26T10:49:43: colon after", utc(10, 49, 43)),
    ],
)
def test_line_timestamps(line: str, expected: datetime) -> None:
    assert parse_line_timestamp(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "INFO 2025-11-26T10:49:43 not at the start",
        " 2025-11-26T10:49:43 indented",
        "2025-11-26 plain date",
        "2025-13-45T10:49:43 impossible date",
        "2025-11-26T25:00:00 impossible hour",
        "2025-11-26T10:49:431 too many digits",
        "2025-11-26T10:49:43+25:00 impossible zone",
        "[2025-11-26 10:49:43] bracketed",
        "",
    ],
)
def test_not_line_timestamps(line: str) -> None:
    assert parse_line_timestamp(line) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"timestamp": "2025-11-26T10:49:43Z", "msg": "x"}', utc(10, 49, 43)),
        ('{"time": "2025-11-26 10:49:43,5"}', utc(10, 49, 43, 500000)),
        ('{"@timestamp": "2025-11-26T11:49:43+01:00"}', utc(10, 49, 43)),
        ('{"time": 1764154183}', utc(10, 49, 43)),
        ('{"time": 1764154183.25}', utc(10, 49, 43, 250000)),
        ('{"timestamp": 1764154183123}', utc(10, 49, 43, 123000)),
        ('  {"timestamp": "2025-11-26T10:49:43"}  ', utc(10, 49, 43)),
        ('{"time": "later", "timestamp": "2025-11-26T10:49:43"}', utc(10, 49, 43)),
    ],
)
def test_json_timestamps(line: str, expected: datetime) -> None:
    assert parse_json_timestamp(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        '{"msg": "no time field"}',
        '{"time": "yesterday"}',
        '{"time": "2025-11-26T10:49:43 and more"}',
        '{"time": true}',
        '{"time": null}',
        '{"time": 1e400}',
        '{"time": "2025-11-26T10:49:43"',
        '["2025-11-26T10:49:43"]',
        '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ],
)
def test_not_json_timestamps(line: str) -> None:
    assert parse_json_timestamp(line) is None


# --------------------------------------------------------------------------- events


def test_continuation_lines_join_and_leading_lines_are_skipped(tmp_path: Path) -> None:
    path = write(
        tmp_path / "app.log",
        "preamble without time\n"
        "another\n"
        "2025-11-26 10:00:00,000 ERROR boom\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1\n'
        "\n"
        "2025-11-26T10:01:00Z INFO next\n",
    )
    stats = FileStats()
    found = list(iter_events(path, "logs/app.log", stats))
    assert found == [
        (
            utc(10, 0),
            "logs/app.log:3",
            "2025-11-26 10:00:00,000 ERROR boom\n"
            "Traceback (most recent call last):\n"
            '  File "x.py", line 1\n',  # the blank line is kept
        ),
        (utc(10, 1), "logs/app.log:7", "2025-11-26T10:01:00Z INFO next"),
    ]
    assert (stats.lines, stats.events, stats.skipped_lines) == (7, 2, 2)


def test_json_lines_start_events_and_other_lines_continue_them(tmp_path: Path) -> None:
    record = json.dumps({"timestamp": "2025-11-26T10:02:00Z", "msg": NEW})
    other = json.dumps({"time": 1764151500, "msg": "epoch"})
    path = write(
        tmp_path / "app.log",
        "2025-11-26T10:00:00Z text event\n"
        f"{record}\n"
        "raw stderr after json\n"
        '{"msg": "json without time"}\n'
        f"{other}\n"
        "2025-11-26T10:06:00Z last\n",
    )
    stats = FileStats()
    found = list(iter_events(path, "a", stats))
    assert found == [
        (utc(10, 0), "a:1", "2025-11-26T10:00:00Z text event"),
        (utc(10, 2), "a:2", f'{record}\nraw stderr after json\n{{"msg": "json without time"}}'),
        (utc(10, 5), "a:5", other),
        (utc(10, 6), "a:6", "2025-11-26T10:06:00Z last"),
    ]
    assert (stats.events, stats.skipped_lines) == (4, 0)


def test_crlf_and_lone_carriage_returns(tmp_path: Path) -> None:
    path = write(
        tmp_path / "app.log",
        b"2025-11-26T10:00:00Z one\r\ncontinued\r\n2025-11-26T10:01:00Z two\rstill two\r\n",
    )
    assert [m for _, _, m in events(path)] == [
        "2025-11-26T10:00:00Z one\ncontinued",
        "2025-11-26T10:01:00Z two\rstill two",
    ]


def test_invalid_utf8_is_backslash_escaped(tmp_path: Path) -> None:
    path = write(tmp_path / "app.log", b"2025-11-26T10:00:00Z bad \xff\xfe byte \xc3\n")
    assert events(path)[0][2] == "2025-11-26T10:00:00Z bad \\xff\\xfe byte \\xc3"


def test_multibyte_characters_split_across_chunks_survive(tmp_path: Path) -> None:
    text = "2025-11-26T10:00:00Z " + "é" * 100_000  # 200 kB: several chunks
    path = write(tmp_path / "app.log", text + "\n")
    assert events(path)[0][2] == text


def test_no_final_newline(tmp_path: Path) -> None:
    path = write(tmp_path / "app.log", "2025-11-26T10:00:00Z one\ntail")
    assert events(path) == [(utc(10), "app.log:1", "2025-11-26T10:00:00Z one\ntail")]


def test_gzip_files_read_like_plain_ones(tmp_path: Path) -> None:
    body = f"2025-11-26T10:00:00Z {NEW}: ['a']\ncontinued\n2025-11-26T10:05:00Z item{OLD}\n"
    plain = write(tmp_path / "a.log", body)
    packed = write(tmp_path / "a.log.gz", gzip.compress(body.encode()))
    assert [e[::2] for e in events(packed)] == [e[::2] for e in events(plain)]
    evidence = collect([packed], tmp_path)
    assert evidence.error is None
    assert [m.count for m in evidence.matches] == [1, 1]
    assert evidence.matches[0].excerpts[0].stream == "a.log.gz:1"


def test_a_huge_line_is_capped_and_memory_stays_bounded(tmp_path: Path) -> None:
    line = "2025-11-26T10:00:00Z " + NEW + " " + "x" * (2 * 1024 * 1024)
    path = write(tmp_path / "big.log", line + "\nnext line continues\n")
    tracemalloc.start()
    try:
        found = events(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(found) == 1
    message = found[0][2]
    assert len(message) == MAX_EVENT_CHARS
    assert message.startswith("2025-11-26T10:00:00Z " + NEW)
    assert peak < 3.5 * 1024 * 1024  # read whole, the 2 MiB line would cost 4 MiB (bytes + str)


def test_many_continuation_lines_are_capped(tmp_path: Path) -> None:
    lines = ["2025-11-26T10:00:00Z start"] + ["y" * 1000] * 3000
    path = write(tmp_path / "long.log", "\n".join(lines) + f"\n2025-11-26T10:01:00Z {NEW}\n")
    found = events(path)
    assert len(found[0][2]) == MAX_EVENT_CHARS
    assert found[1] == (utc(10, 1), "app.log:3002", f"2025-11-26T10:01:00Z {NEW}")


def test_memory_stays_flat_as_files_grow(tmp_path: Path) -> None:
    def peak_for(lines: int) -> int:
        path = tmp_path / f"{lines}.log"
        with path.open("w") as out:
            for n in range(lines):
                minute = n % 60
                out.write(f"2025-11-26T10:{minute:02d}:00Z {NEW} request #{n} ok\n")
                out.write("  detail line\n")
        tracemalloc.start()
        try:
            evidence = collect([path], tmp_path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert evidence.matches[0].count == lines
        return peak

    small, large = peak_for(2_000), peak_for(40_000)
    assert large < 1024 * 1024
    assert large < small * 2


# --------------------------------------------------------------------------- collecting


def test_collect_window_edges_and_counts(tmp_path: Path) -> None:
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
    assert evidence.error is None
    assert evidence.source == "files"
    assert evidence.files == ("logs/app.log",)
    assert (evidence.since, evidence.until) == (SINCE, UNTIL)
    assert evidence.events_scanned == 4
    new, old = evidence.matches
    assert (new.count, new.first_seen, new.last_seen) == (3, SINCE, UNTIL)
    assert [e.stream for e in new.excerpts] == [
        "logs/app.log:2",
        "logs/app.log:3",
        "logs/app.log:5",
    ]
    assert (old.count, old.kinds) == (1, ("retired",))
    assert old.excerpts[0].stream == "logs/app.log:4"


def test_collect_several_files_keeps_the_latest_five_oldest_first(tmp_path: Path) -> None:
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
    assert evidence.files == ("a.log", "b.log.gz")
    assert [e.message.split()[-1] for e in new.excerpts] == ["b2", "a3", "b3", "a4", "a5"]
    assert new.first_seen == utc(9, 0)
    assert new.last_seen == utc(9, 5)


def test_excerpts_are_redacted_and_control_characters_visible(tmp_path: Path) -> None:
    path = write(tmp_path / "a.log", f"2025-11-26T10:00:00Z {NEW} password=hunter22 \x1b[31m\n")
    excerpt = collect([path], tmp_path).matches[0].excerpts[0].message
    assert "hunter22" not in excerpt
    assert REDACTED in excerpt
    assert "\\x1b[31m" in excerpt


def test_a_path_outside_base_dir_is_shown_whole(tmp_path: Path) -> None:
    path = write(tmp_path / "elsewhere" / "a.log", f"2025-11-26T10:00:00Z {NEW}\n")
    evidence = collect([path], tmp_path / "spec")
    assert evidence.files == (path.as_posix(),)
    assert evidence.matches[0].excerpts[0].stream == f"{path.as_posix()}:1"


def test_a_missing_file_is_an_error_and_stops(tmp_path: Path) -> None:
    good = write(tmp_path / "a.log", f"2025-11-26T10:00:00Z {NEW}\n")
    later = write(tmp_path / "c.log", f"2025-11-26T10:00:00Z {NEW}\n")
    evidence = collect([good, tmp_path / "b.log", later], tmp_path)
    assert evidence.error is not None
    assert evidence.error.operation == "read file"
    assert evidence.error.code == "FileNotFoundError"
    assert "b.log" in evidence.error.message
    assert evidence.matches[0].count == 1  # a.log was read, c.log was not


def test_a_file_that_is_not_gzip_is_an_error(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.log.gz", b"2025-11-26T10:00:00Z not compressed\n")
    evidence = collect([bad], tmp_path)
    assert evidence.error is not None
    assert evidence.error.code == "BadGzipFile"
    assert "bad.log.gz" in evidence.error.message


def test_a_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    body = "".join(f"2025-11-26T10:{n % 60:02d}:00Z {NEW} #{n} {'z' * 50}\n" for n in range(5000))
    packed = gzip.compress(body.encode())
    bad = write(tmp_path / "cut.log.gz", packed[: len(packed) // 2])
    evidence = collect([bad], tmp_path)
    assert evidence.error is not None
    assert evidence.error.code == "EOFError"
    assert "cut.log.gz" in evidence.error.message
    assert 0 < evidence.matches[0].count < 5000


def test_a_directory_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "dir.log").mkdir()
    evidence = collect([tmp_path / "dir.log"], tmp_path)
    assert evidence.error is not None
    assert evidence.error.code == "IsADirectoryError"


def test_event_times_are_utc(tmp_path: Path) -> None:
    path = write(tmp_path / "a.log", "2025-11-26T12:00:00+02:00 x\n")
    when = events(path)[0][0]
    assert when == utc(10)
    assert when.utcoffset() == timedelta(0)
    assert when.tzinfo is UTC
