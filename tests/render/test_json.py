"""The JSON bundle: deterministic, round-trips, and refuses anything that is not a bundle."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reporter.cli import main
from reporter.errors import InputError
from reporter.model import Bundle
from reporter.render import OutputFormat, render
from reporter.render.json import bundle_sha256, dump_bundle, load_bundle
from tests.render.conftest import make_not_deployed


def test_dump_is_indented_utf8_with_a_final_newline(not_deployed: Bundle) -> None:
    data = dump_bundle(not_deployed)
    assert data.endswith(b"}\n")
    assert data.startswith(
        b'{\n  "verdict": "NOT_DEPLOYED",\n  "generated_at": "2025-11-26T10:50:00Z"'
    )
    assert "✔".encode() not in data  # nothing rendered in the bundle
    loaded = json.loads(data)
    assert loaded["schema"] == "reporter.bundle/1"
    assert set(loaded) >= {"verdict", "generated_at", "hotfixes", "checks", "evidence", "spec"}
    assert render(not_deployed, OutputFormat.JSON) == data


@pytest.mark.parametrize("name", ["not_deployed", "verified", "inconclusive"])
def test_round_trip(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    bundle: Bundle = request.getfixturevalue(name)
    path = tmp_path / "bundle.json"
    path.write_bytes(dump_bundle(bundle))
    loaded = load_bundle(path)
    assert loaded == bundle
    assert dump_bundle(loaded) == path.read_bytes()
    assert render(loaded, OutputFormat.MD) == render(bundle, OutputFormat.MD)


def test_sha256_is_of_the_dump(not_deployed: Bundle) -> None:
    assert bundle_sha256(not_deployed) == hashlib.sha256(dump_bundle(not_deployed)).hexdigest()


def test_unicode_and_control_text_survive(tmp_path: Path, not_deployed: Bundle) -> None:
    from tests.render.conftest import make_not_deployed

    bundle = make_not_deployed("naïve ✘ \\x1b[31m 日本")
    path = tmp_path / "b.json"
    path.write_bytes(dump_bundle(bundle))
    assert "naïve ✘ \\\\x1b[31m 日本".encode() in path.read_bytes()
    assert load_bundle(path) == bundle


def _error(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        load_bundle(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path) + ": ")
    return caught.value.problem


def test_missing_file(tmp_path: Path) -> None:
    assert _error(tmp_path / "nope.json") == "bundle not found"


def test_a_folder(tmp_path: Path) -> None:
    assert "folder" in _error(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_bytes(b'{"verdict": "\xff"}')
    assert _error(path).startswith("bundle is not UTF-8")


def test_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text('{"verdict": ', encoding="utf-8")
    assert _error(path).startswith("invalid JSON: Expecting value (line 1, column 13)")


def test_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text("[1, 2]", encoding="utf-8")
    assert _error(path) == "not a bundle: a JSON list, not an object"


def test_wrong_schema(tmp_path: Path, not_deployed: Bundle) -> None:
    data = json.loads(dump_bundle(not_deployed))
    data["schema"] = "someone.else/9"
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert _error(path).startswith("unsupported bundle schema 'someone.else/9'")


def test_invalid_shape_names_the_key(tmp_path: Path, not_deployed: Bundle) -> None:
    data = json.loads(dump_bundle(not_deployed))
    del data["evidence"]["logs"]
    data["checks"][2]["status"] = "maybe"
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    problem = _error(path)
    assert problem.startswith("not a valid bundle: ")
    assert "checks[3].status" in problem or "evidence.logs" in problem
    assert "(and 1 more problems)" in problem


def test_naive_datetime_is_refused(tmp_path: Path, not_deployed: Bundle) -> None:
    data = json.loads(dump_bundle(not_deployed))
    data["spec"]["claimed_deployed_at"] = "2025-11-26T09:00:00"
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert "spec.claimed_deployed_at" in _error(path)


# --------------------------------------------------------------------------- received bundles


def _edited(not_deployed: Bundle, tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    data = json.loads(dump_bundle(not_deployed))
    edit(data)
    path = tmp_path / "received.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _set(*keys: str | int, value: object) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        node: Any = data
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return edit


HOSTILE_EDITS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "datetime overflowing in UTC": (
        _set("evidence", "collected_at", value="9999-12-31T23:59:59-23:59"),
        "evidence.collected_at: a datetime out of range once in UTC",
    ),
    "datetime underflowing in UTC": (
        _set("evidence", "image", "pushed_at", value="0001-01-01T00:00:00+01:00"),
        "evidence.image.pushed_at: a datetime out of range once in UTC",
    ),
    "datetime at the edge": (
        _set("generated_at", value="9999-12-31T23:59:59Z"),
        "generated_at: a datetime out of range (years 2 to 9998 in UTC)",
    ),
    "naive datetime in the evidence": (
        _set("evidence", "logs", "since", value="2025-11-26T09:00:00"),
        "evidence.logs.since: a datetime without a zone",
    ),
    "naive datetime in an excerpt": (
        _set("evidence", "logs", "matches", 3, "excerpts", 0, "timestamp", value="2025-11-26"),
        "evidence.logs.matches[4].excerpts[1].timestamp: a datetime without a zone",
    ),
    "spec datetime overflowing": (
        _set("spec", "claimed_deployed_at", value="9999-12-31T23:59:59-23:59"),
        "spec.claimed_deployed_at",
    ),
    "integer beyond 64 bits": (
        _set("evidence", "logs", "events_scanned", value=10**30),
        "evidence.logs.events_scanned: an integer out of range (more than 64 bits)",
    ),
    "negative integer beyond 64 bits": (
        _set("evidence", "image", "size_bytes", value=-(10**4000)),
        "evidence.image.size_bytes: an integer out of range (more than 64 bits)",
    ),
    "huge text": (
        _set("checks", 0, "summary", value="x" * 1_000_000),
        "checks[1].summary: a text of 1,000,000 characters (at most 100,000)",
    ),
    "lone surrogate": (
        _set("evidence", "logs", "matches", 3, "excerpts", 0, "message", value="a\ud800b"),
        "evidence.logs.matches[4].excerpts[1].message: a text that is not valid Unicode",
    ),
    "infinite number": (
        _set("evidence", "logs", "pages", value=float("inf")),
        "evidence.logs.pages",
    ),
    "huge unknown key": (
        _set("evidence", "x" * 100_000, value=1),
        "not a valid bundle: evidence.",
    ),
}


@pytest.mark.parametrize(("edit", "problem"), HOSTILE_EDITS.values(), ids=HOSTILE_EDITS.keys())
def test_a_bundle_no_report_can_show_is_one_line(
    not_deployed: Bundle,
    tmp_path: Path,
    edit: Callable[[dict[str, Any]], None],
    problem: str,
) -> None:
    path = _edited(not_deployed, tmp_path, edit)
    message = _error(path)
    assert problem in message
    assert len(message) < 400


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"verdict": ' + "1" * 5000 + "}", "invalid JSON: Exceeds the limit (4300 digits)"),
        ("[" * 100_000 + "]" * 100_000, "invalid JSON: nested too deeply"),
        ('{"evidence": ' + '{"a": ' * 5000 + "1" + "}" * 5001, "invalid JSON: nested too deeply"),
        ('{"spec": ' + "[" * 900 + "]" * 900 + "}", "not a valid bundle: "),
    ],
    ids=["5,000-digit integer", "deeply nested list", "deeply nested objects", "nested spec"],
)
def test_crafted_json_is_one_line(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "crafted.json"
    path.write_text(text, encoding="utf-8")
    message = _error(path)
    assert message.startswith(problem)
    assert len(message) < 400


@pytest.mark.parametrize("name", sorted(HOSTILE_EDITS)[:6])
def test_render_refuses_a_hostile_bundle_in_one_line(
    not_deployed: Bundle,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
) -> None:
    path = _edited(not_deployed, tmp_path, HOSTILE_EDITS[name][0])
    out_dir = tmp_path / "out"
    code = main(["render", str(path), "-o", str(out_dir), "-f", "md", "-f", "html"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.startswith("reporter: error: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert not out_dir.exists()


def _paths(node: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every place in decoded JSON (each key's value, each list item)."""
    found: list[tuple[str | int, ...]] = []
    items: list[tuple[str | int, Any]] = []
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    for key, value in items:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


_BASE = json.loads(dump_bundle(make_not_deployed()))
_PLACES = _paths(_BASE)
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([2**63, -(2**63) - 1, 10**4000]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        [
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+23:59",
            "2025-11-26T10:50:00",
            "2025-11-26",
            "\ud800",
            "\u202e\x1b[31m",
            "x" * 200_000,
        ]
    ),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@settings(max_examples=80, deadline=None)
@given(place=st.sampled_from(_PLACES), value=_VALUES)
def test_a_mutated_bundle_is_refused_or_renders(
    tmp_path_factory: pytest.TempPathFactory, place: tuple[str | int, ...], value: object
) -> None:
    """Any value anywhere: the text formats render, or one InputError line — never another
    exception."""
    data = json.loads(json.dumps(_BASE))
    _set(*place, value=value)(data)
    path = tmp_path_factory.mktemp("mutated") / "bundle.json"
    path.write_text(json.dumps(data), encoding="utf-8", errors="surrogatepass")
    refused = ""
    try:
        bundle = load_bundle(path)
        for fmt in (OutputFormat.MD, OutputFormat.HTML, OutputFormat.JSON):
            assert render(bundle, fmt)
    except InputError as exc:  # refused when read, or (checks that do not follow) rendered
        refused = str(exc)
    assert "\n" not in refused


def test_a_bundle_whose_checks_do_not_follow_is_one_line(
    not_deployed: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """NOT_DEPLOYED with every check passing: the report cannot say why; exit 2."""

    def all_pass(data: dict[str, Any]) -> None:
        for check in data["checks"]:
            check["status"] = "pass"

    edited = _edited(not_deployed, tmp_path, all_pass)
    code = main(["render", str(edited), "-o", str(tmp_path / "out"), "-f", "md"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.startswith("reporter: error: ")
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()
