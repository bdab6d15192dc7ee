"""The spec's JSON Schema: generated from the models, checked in, and true to the loader.

``schema/spec.schema.json`` must equal what ``reporter schema`` prints (so it cannot
drift), be a valid draft-07 schema (what Taplo implements), accept the example and demo
specs the way Taplo hands TOML to a schema (datetimes as RFC 3339 strings), and accept
every spec the loader accepts.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from jsonschema import Draft7Validator

from reporter.errors import InputError
from reporter.init import example_spec
from reporter.spec import SCHEMA_DIALECT, parse_spec, spec_json_schema, spec_schema_text
from tests.test_properties import _MUTATIONS, _mutated_spec

ROOT = Path(__file__).resolve().parent.parent
CHECKED_IN = ROOT / "schema" / "spec.schema.json"
DEMO_SPEC = ROOT / "reporter" / "demo" / "data" / "hotfix-verification-report.toml"


def as_taplo(value: Any) -> Any:
    """TOML data as Taplo gives it to a JSON Schema: date-times, dates and times become
    RFC 3339 strings (offset date-times with ``Z`` for UTC, as TOML writes them)."""
    if isinstance(value, datetime):
        text = value.isoformat()
        return (
            text.removesuffix("+00:00") + "Z" if value.utcoffset() == UTC.utcoffset(None) else text
        )
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: as_taplo(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_taplo(item) for item in value]
    return value


def validator(formats: bool = True) -> Draft7Validator:
    """A draft-07 validator of the generated schema, checking ``date-time`` formats."""
    schema = spec_json_schema()
    if not formats:
        return Draft7Validator(schema)
    checker = Draft7Validator.FORMAT_CHECKER
    assert "date-time" in checker.checkers, "rfc3339-validator is missing: formats unchecked"
    return Draft7Validator(schema, format_checker=checker)


def errors(data: dict[str, Any], formats: bool = True) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(formats).iter_errors(as_taplo(data))
    ]


def test_the_checked_in_schema_is_the_generated_one() -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == spec_schema_text(), (
        "schema/spec.schema.json is stale: run `reporter schema > schema/spec.schema.json`"
    )


def test_the_schema_is_a_draft_07_schema_with_descriptions() -> None:
    schema = spec_json_schema()
    assert schema["$schema"] == SCHEMA_DIALECT
    Draft7Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["claimed_deployed_at", "image", "logs", "hotfix"]
    claimed = schema["properties"]["claimed_deployed_at"]
    assert claimed["format"] == "date-time"
    assert claimed["type"] == "string"
    assert "claimed live" in claimed["description"]
    hotfix = schema["$defs"]["HotfixSection"]
    assert hotfix["properties"]["id"]["pattern"] == "^[A-Za-z0-9_-]{1,64}$"
    assert "only the fixed code logs" in hotfix["properties"]["expect_logs"]["description"]
    text = spec_schema_text()
    assert "null" not in text, "TOML has no null: optional keys are plain types"
    assert "``" not in text, "descriptions are Markdown, not reStructuredText"


def test_the_example_spec_validates() -> None:
    text = example_spec()
    assert text.startswith("#:schema ./spec.schema.json\n")
    assert errors(tomllib.loads(text)) == []


def test_the_demo_spec_validates() -> None:
    assert errors(tomllib.loads(DEMO_SPEC.read_text(encoding="utf-8"))) == []


def test_taplo_conversion_writes_rfc3339() -> None:
    moment = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
    assert as_taplo({"a": [moment]}) == {"a": ["2025-11-26T09:00:00Z"]}


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"colour": "red"}, "Additional properties"),
        ({"claimed_deployed_at": "2025-11-26T09:00:00"}, "is not a 'date-time'"),
        ({"claimed_deployed_at": 7}, "is not of type 'string'"),
        ({"hotfix": [{"id": "bad id"}]}, "does not match"),
        ({"hotfix": []}, "should be non-empty"),
        ({"aws": {"region": "us east"}}, "does not match"),
        ({"logs": {"engine": "grep", "group": "/a"}}, "is not one of"),
        ({"image": {}}, "'repository' is a required property"),
    ],
)
def test_the_schema_refuses_what_the_loader_refuses(change: dict[str, Any], fragment: str) -> None:
    data = tomllib.loads(example_spec()) | change
    with pytest.raises(InputError):
        parse_spec(data, "spec.toml")
    found = errors(data)
    assert any(fragment in e for e in found), found


@settings(max_examples=150, deadline=None)
@given(_MUTATIONS)
def test_every_spec_the_loader_accepts_the_schema_accepts(
    mutations: list[tuple[tuple[str | int, ...], Any]],
) -> None:
    """No false alarm in the editor: the schema is never stricter than the loader.

    Formats are left out: the loader also takes RFC 3339 strings written with a space
    instead of ``T``, which a ``date-time`` checker refuses.
    """
    data = _mutated_spec(mutations)
    try:
        parse_spec(data, "spec.toml")
    except InputError:  # refused by the loader: nothing to compare
        return
    assert errors(data, formats=False) == []
