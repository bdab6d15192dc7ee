"""Property-based tests: the spec loader, the log-line parser and filter-pattern quoting.

Whatever a spec holds, loading it either works or raises one :class:`InputError` whose
message is one line naming the file; whatever a log file holds, reading it never raises
and every event time carries a zone; every text survives CloudWatch quoting exactly.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import math
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from reporter.collect.files import MAX_EVENT_CHARS, iter_events, sniff
from reporter.collect.logs import MAX_PATTERN_CHARS, filter_patterns, pattern_for, quote_term
from reporter.errors import InputError
from reporter.spec import MAX_TEXT_CHARS, load_spec, parse_spec

FAST = settings(max_examples=150, deadline=None)
FAST_WITH_DIR = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# --------------------------------------------------------------------------- TOML-ish values

_OFFSETS: st.SearchStrategy[tzinfo] = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)),
    st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59),
)
_ZONES: st.SearchStrategy[tzinfo | None] = st.one_of(st.none(), st.just(UTC), _OFFSETS)
_EDGE_DATETIMES = st.sampled_from(
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2025, 11, 26, 9, 0),
        datetime(2025, 11, 26, 9, 0, tzinfo=UTC),
    ]
)
_SPEC_WORDS = st.sampled_from(
    [
        "",
        "a",
        "latest",
        "/ecs/app",
        "*.log",
        "logs/*.log.gz",
        "**",
        "**a",
        "a/**/b",
        ".",
        "..",
        "../x",
        "/",
        "/abs/path",
        "C:\\\\x",
        "a\x00b",
        "[",
        "x" * 1500,
        "(unclosed",
        "a*",
        "(a+)+$",
        "2025-11-26T09:00:00Z",
        "2025-11-26T09:00:00",
        "2025-11-26 09:00:00+01:00",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "2025-13-45T99:99:99Z",
        "Requested platforms",
        "multi-platform",
        "bad id!",
    ]
)
_SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.text(max_size=20),
    _SPEC_WORDS,
    st.integers(),
    st.floats(),
    st.booleans(),
    st.datetimes(timezones=_ZONES),
    _EDGE_DATETIMES,
    st.dates(),
    st.times(),
)
_KEYS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        [
            "title",
            "incident",
            "claimed_deployed_at",
            "fixed_at",
            "aws",
            "image",
            "repository",
            "tag",
            "service",
            "cluster",
            "name",
            "logs",
            "group",
            "files",
            "since",
            "until",
            "code",
            "root",
            "path",
            "contains",
            "hotfix",
            "id",
            "expect_logs",
            "retired_logs",
            "checklist",
            "item",
            "done",
            "notes",
            "summary",
            "redact",
            "patterns",
        ]
    ),
)
_VALUES: st.SearchStrategy[Any] = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=5),
    max_leaves=20,
)


def _valid_spec() -> dict[str, Any]:
    return {
        "claimed_deployed_at": datetime(2025, 11, 26, 9, 0, tzinfo=UTC),
        "image": {"repository": "backend"},
        "service": {"cluster": "c", "name": "s"},
        "logs": {"group": "/ecs/app", "since": datetime(2025, 11, 26, 9, 0, tzinfo=UTC)},
        "code": {"root": "."},
        "hotfix": [
            {
                "id": "multi-platform",
                "expect_logs": ["Requested platforms"],
                "retired_logs": [", platform='linkedin'"],
                "code": [{"path": "app/ws.py", "contains": "Requested platforms"}],
            }
        ],
        "checklist": [{"item": "User testing", "done": False}],
        "redact": {"patterns": ["session=[0-9a-f]{32}"]},
    }


_PATHS: list[tuple[str | int, ...]] = [
    ("title",),
    ("incident",),
    ("claimed_deployed_at",),
    ("fixed_at",),
    ("aws",),
    ("aws", "region"),
    ("aws", "endpoint_url"),
    ("image",),
    ("image", "repository"),
    ("image", "tag"),
    ("service",),
    ("service", "name"),
    ("logs",),
    ("logs", "group"),
    ("logs", "files"),
    ("logs", "since"),
    ("logs", "until"),
    ("logs", "context"),
    ("code",),
    ("code", "root"),
    ("hotfix",),
    ("hotfix", 0, "id"),
    ("hotfix", 0, "expect_logs"),
    ("hotfix", 0, "retired_logs"),
    ("hotfix", 0, "code"),
    ("hotfix", 0, "code", 0, "path"),
    ("hotfix", 0, "code", 0, "contains"),
    ("hotfix", 0, "fixed_at"),
    ("checklist",),
    ("checklist", 0, "done"),
    ("notes",),
    ("notes", "summary"),
    ("redact", "patterns"),
    ("unknown",),
]
_DELETE = object()
_MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(_PATHS),
        st.one_of(
            st.just(_DELETE),
            _VALUES,
            st.lists(_SPEC_WORDS, min_size=1, max_size=3),
            st.lists(st.text(min_size=1, max_size=10), max_size=3),
        ),
    ),
    min_size=1,
    max_size=4,
)


def _mutated_spec(mutations: list[tuple[tuple[str | int, ...], Any]]) -> dict[str, Any]:
    """The valid spec with each ``(path, value)`` set (or deleted) where it still fits."""
    data = _valid_spec()
    for path, value in mutations:
        node: Any = data
        for key in path[:-1]:
            node = _child(node, key)
            if node is None:
                break
        else:
            _set(node, path[-1], value)
    return data


def _child(node: Any, key: str | int) -> Any:
    if isinstance(key, int):
        return node[key] if isinstance(node, list) and len(node) > key else None
    return node.get(key) if isinstance(node, dict) else None


def _set(node: Any, key: str | int, value: Any) -> None:
    if isinstance(key, int):
        if isinstance(node, list) and len(node) > key and value is not _DELETE:
            node[key] = value
        return
    if not isinstance(node, dict):
        return
    if value is _DELETE:
        node.pop(key, None)
    else:
        node[key] = value


def _assert_one_line_about(error: InputError, source: str) -> None:
    """``str(error)`` is one line naming the file, and so is each of its problems."""
    message = str(error)
    assert message.startswith(f"{source}: "), message
    assert "\n" not in message, message
    assert "\r" not in message, message
    assert error.where.startswith(source)
    assert error.problem
    assert error.problems
    for problem in error.problems:
        line = str(problem)
        assert line.startswith(f"{source}: "), line
        assert "\n" not in line, line
        assert "\r" not in line, line
        assert len(line) < 5000, line[:200]
    assert len(error.lines()) <= 10


# --------------------------------------------------------------------------- the spec loader


@FAST
@given(st.dictionaries(_KEYS, _VALUES, max_size=8))
def test_parse_spec_of_any_dict_raises_only_input_error(data: dict[str, Any]) -> None:
    try:
        parse_spec(data, "any.toml")
    except InputError as error:
        _assert_one_line_about(error, "any.toml")


@FAST
@given(_MUTATIONS)
@example([(("claimed_deployed_at",), datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))))])
@example([(("logs", "until"), "9999-12-31T23:59:59-05:00")])
def test_parse_spec_of_a_damaged_spec_raises_only_input_error(
    mutations: list[tuple[tuple[str | int, ...], Any]],
) -> None:
    try:
        parse_spec(_mutated_spec(mutations), "spec.toml")
    except InputError as error:
        _assert_one_line_about(error, "spec.toml")


def test_the_undamaged_spec_is_valid() -> None:
    assert parse_spec(_valid_spec(), "spec.toml").hotfixes[0].id == "multi-platform"


@FAST_WITH_DIR
@given(st.binary(max_size=400))
@example(b"a = " + b"[" * 5_000)
@example(b"\xff\xfe")
@example(b'title = "\\ud800"')
def test_load_spec_of_any_bytes_raises_only_input_error(tmp_path: Path, content: bytes) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_bytes(content)
    try:
        load_spec(spec)
    except InputError as error:
        _assert_one_line_about(error, str(spec))


def _toml_value(value: Any) -> str:
    """``value`` as a TOML value (tables inline), for the types the strategies generate."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, datetime):
        text = value.isoformat()
        return text.replace("+00:00", "Z") if value.tzinfo is UTC else text
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
        )
    raise AssertionError(f"not a TOML value: {value!r}")


def _toml(data: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(key)} = {_toml_value(value)}\n" for key, value in data.items())


def _no_recursive_glob(data: dict[str, Any]) -> bool:
    """Keep ``**`` out of ``logs.files``: it would walk the whole disk from ``/`` or ``..``."""
    logs = data.get("logs")
    files = logs.get("files") if isinstance(logs, dict) else None
    return "**" not in json.dumps(files, default=str)


def test_the_toml_writer_round_trips_the_valid_spec(tmp_path: Path) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(_toml(_valid_spec()), encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "ws.py").write_text("Requested platforms")
    assert load_spec(spec).spec == parse_spec(_valid_spec(), "x")


@FAST_WITH_DIR
@given(_MUTATIONS.map(_mutated_spec).filter(_no_recursive_glob))
@example(_mutated_spec([(("logs", "files"), ["/"])]))
@example(_mutated_spec([(("logs", "files"), ["a" * 1500])]))
@example(_mutated_spec([(("code", "root"), "a\x00b")]))
@example(_mutated_spec([(("hotfix", 0, "code", 0, "path"), "a\x00b")]))
@example(_mutated_spec([(("fixed_at",), "0001-01-01T00:00:00+05:00")]))
def test_load_spec_of_a_damaged_spec_raises_only_input_error(
    tmp_path: Path, data: dict[str, Any]
) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(_toml(data), encoding="utf-8")
    try:
        load_spec(spec)
    except InputError as error:
        _assert_one_line_about(error, str(spec))


_CRAFTED = st.sampled_from(
    [
        "7" * 5_000,
        "-" + "1" * 4_301,
        "0x" + "f" * 5_000,
        "1e99999",
        "-inf",
        "[" * 3_000 + "]" * 3_000,
        "[" * 150 + "]" * 150,
        "{ a = " * 150 + "1" + " }" * 150,
        "{ a = " * 3_000 + "1" + " }" * 3_000,
        '"' + "x" * 300_000 + '"',
        "'" + "y" * 2_001 + "'",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "9999-12-31T23:59:59Z",
        "1969-12-31T23:59:59Z",
        "2025-11-26T09:00:00",
        "2025-11-26",
        "09:00:00",
        '"0001-01-01T00:00:00+05:00"',
        '"\\u0000"',
        '"a\\u0000b"',
        '"\\u001b[2J"',
        '"\\u202e"',
        '"' + "/".join(["n" * 256] * 2) + '"',
        '"' + "/é" * 1_500 + '"',
        '"http://127.0.0.1:99999"',
        '"http://user:pw@[::1"',
        '"us east"',
        '["' + '", "'.join(["*.log"] * 60) + '"]',
    ]
)
_PLACEHOLDER = "@@crafted-{}@@"


@FAST_WITH_DIR
@given(
    st.lists(st.tuples(st.sampled_from(_PATHS), _CRAFTED), min_size=1, max_size=3),
    st.booleans(),
)
@example([(("claimed_deployed_at",), "7" * 5_000)], True)
@example([(("hotfix",), "[" * 3_000 + "]" * 3_000)], False)
def test_load_spec_of_crafted_values_raises_only_input_error(
    tmp_path: Path, placed: list[tuple[tuple[str | int, ...], str]], bom: bool
) -> None:
    """Huge integers, deep nesting, huge strings, datetimes that overflow or carry no zone,
    NUL bytes, names too long for the OS, bad endpoints and regions, wherever they land,
    with or without a byte-order mark: the loader raises nothing but InputError."""
    data = _mutated_spec([(path, _PLACEHOLDER.format(n)) for n, (path, _) in enumerate(placed)])
    text = _toml(data)
    for n, (_, token) in enumerate(placed):
        text = text.replace(json.dumps(_PLACEHOLDER.format(n)), token)
    spec = tmp_path / "spec.toml"
    spec.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    try:
        load_spec(spec)
    except InputError as error:
        _assert_one_line_about(error, str(spec))


@FAST_WITH_DIR
@given(_MUTATIONS.map(_mutated_spec).filter(_no_recursive_glob))
def test_a_byte_order_mark_changes_nothing(tmp_path: Path, data: dict[str, Any]) -> None:
    plain, marked = tmp_path / "plain.toml", tmp_path / "marked.toml"
    plain.write_text(_toml(data), encoding="utf-8")
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    outcomes: list[object] = []
    for spec in (plain, marked):
        try:
            outcomes.append(load_spec(spec).spec)
        except InputError as error:
            outcomes.append([p.problem for p in error.problems])
    assert outcomes[0] == outcomes[1]


# --------------------------------------------------------------------------- log files

_LINE_TIMES = st.builds(
    lambda when, sep, frac, zone: (
        f"{when.year:04d}-{when.month:02d}-{when.day:02d}{sep}"
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d}{frac}{zone}"
    ),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    st.sampled_from(["T", " ", "t"]),
    st.sampled_from(["", ".1", ",123", ".123456789"]),
    st.sampled_from(["", "Z", "z", "+05:00", "-0530", "+14", "-23:59", "+24:00", "+0099"]),
)
_JSON_TIMES = st.one_of(
    _LINE_TIMES,
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
)
_LOG_LINES = st.one_of(
    st.builds(lambda t, rest: f"{t}{rest}", _LINE_TIMES, st.text(max_size=30)),
    st.builds(
        lambda key, value, rest: json.dumps({key: value, "message": rest}),
        st.sampled_from(["timestamp", "time", "@timestamp", "ts"]),
        _JSON_TIMES,
        st.text(max_size=20),
    ),
    st.text(max_size=40),
    st.sampled_from(["{", "{}", "[]", '{"time": NaN}', '{"time": 1e400}', "{" * 2000 + "}" * 2000]),
)
_LOG_TEXT = st.builds(
    lambda lines, ending: ending.join(lines),
    st.lists(_LOG_LINES, max_size=15),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
_LOG_BYTES = st.one_of(
    st.binary(max_size=600),
    _LOG_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.builds(lambda a, b: a + b, _LOG_TEXT.map(str.encode), st.binary(max_size=20)),
)


def _events(path: Path) -> Iterator[tuple[datetime, str, str]]:
    return iter_events(path, "app.log")


def _check_events(events: list[tuple[datetime, str, str]]) -> None:
    numbers = []
    for when, stream, message in events:
        assert when.tzinfo is not None
        assert when.utcoffset() is not None
        assert stream.startswith("app.log:")
        numbers.append(int(stream.removeprefix("app.log:")))
        assert len(message) <= MAX_EVENT_CHARS
    assert numbers == sorted(set(numbers))
    assert all(n >= 1 for n in numbers)


@FAST_WITH_DIR
@given(_LOG_BYTES)
@example(b"0001-01-01T00:00:00+05:00 the first moment, east of Greenwich\n")
@example(b"9999-12-31T23:59:59-05:00 the last moment, west of Greenwich\n")
@example(b'{"time": "0001-01-01T00:00:00+01:00"}\n')
@example(b'{"time": -1e300}\n{"time": 1e30}\n')
def test_iter_events_never_raises_and_times_carry_a_zone(tmp_path: Path, content: bytes) -> None:
    assume(sniff(content) == "none")  # compression is told by content: see test_files.py
    plain = tmp_path / "app.log"
    plain.write_bytes(content)
    events = list(_events(plain))
    _check_events(events)
    packed = tmp_path / "app.log.gz"
    packed.write_bytes(gzip.compress(content))
    assert list(_events(packed)) == events


@FAST_WITH_DIR
@given(st.binary(max_size=300))
@example(gzip.compress(b"2025-11-26T10:00:00Z x\n")[:-6])
def test_a_damaged_gzip_raises_only_read_errors(tmp_path: Path, content: bytes) -> None:
    packed = tmp_path / "app.log.gz"
    packed.write_bytes(content)
    with contextlib.suppress(OSError, EOFError, zlib.error):
        _check_events(list(_events(packed)))


# --------------------------------------------------------------------------- filter patterns


def unquote(term: str) -> str:
    """Parse a quoted filter-pattern term back: ``"..."`` with ``\\\\`` and ``\\"`` escapes."""
    assert len(term) >= 2, term
    assert term[0] == term[-1] == '"', term
    out: list[str] = []
    chars = iter(term[1:-1])
    for char in chars:
        if char == "\\":
            escaped = next(chars, None)
            assert escaped in ("\\", '"'), f"bad escape in {term!r}"
            out.append(escaped)
        else:
            assert char != '"', f"unescaped quote in {term!r}"
            out.append(char)
    return "".join(out)


def terms(pattern: str) -> list[str]:
    """The quoted terms of ``"a"`` or ``?"a" ?"b"``, each unquoted."""
    found: list[str] = []
    rest = pattern
    while rest:
        ored = rest.startswith("?")
        rest = rest.removeprefix("?")
        assert rest.startswith('"'), pattern
        end = 1
        while rest[end] != '"':
            end += 2 if rest[end] == "\\" else 1
        found.append(unquote(rest[: end + 1]))
        rest = rest[end + 1 :]
        assert ored or not found[:-1], pattern
        if rest:
            assert ored, pattern
            assert rest.startswith(" ?"), pattern
            rest = rest[1:]
    return found


def test_unquote_reads_the_escapes() -> None:
    assert unquote('"a \\"b\\" \\\\ c"') == 'a "b" \\ c'
    with pytest.raises(AssertionError):
        unquote('"a"b"')
    with pytest.raises(AssertionError):
        unquote('"a\\"')
    assert terms('?"a \\" ?b" ?"c"') == ['a " ?b', "c"]
    assert terms('"x"') == ["x"]


_TRICKY = st.text(alphabet=st.sampled_from('"\\ ?ab\n\t\x00é'), max_size=40)


@FAST
@given(st.one_of(st.text(), _TRICKY))
@example('\\"')
@example("\\")
@example('"')
def test_quote_term_round_trips(text: str) -> None:
    assert unquote(quote_term(text)) == text


_MARKER_TEXTS = st.one_of(
    st.text(min_size=1, max_size=30),
    _TRICKY.filter(bool),
    st.builds(
        lambda char, n: char * n,
        st.sampled_from(['"', "\\", "a", "é"]),
        st.integers(min_value=1, max_value=MAX_TEXT_CHARS),
    ),
)


@FAST
@given(st.lists(_MARKER_TEXTS, max_size=25).flatmap(lambda t: st.permutations(t + t[:3])))
@example(['"' * MAX_TEXT_CHARS, "\\" * MAX_TEXT_CHARS, "a"])
def test_filter_patterns_keep_every_text_once_within_1024(texts: list[str]) -> None:
    groups = filter_patterns(texts)
    assert [text for group in groups for text in group] == list(dict.fromkeys(texts))
    for group in groups:
        assert group
        pattern = pattern_for(group)
        assert len(pattern) <= MAX_PATTERN_CHARS
        assert terms(pattern) == group
        assert pattern.startswith("?") == (len(group) > 1)
    for group, following in pairwise(groups):
        assert len(pattern_for([*group, following[0]])) > MAX_PATTERN_CHARS
