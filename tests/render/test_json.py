"""The JSON bundle: deterministic, round-trips, and refuses anything that is not a bundle."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from reporter.errors import InputError
from reporter.model import Bundle
from reporter.render import OutputFormat, render
from reporter.render.json import bundle_sha256, dump_bundle, load_bundle


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
