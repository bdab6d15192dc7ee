"""The evidence bundle as JSON: write it deterministically, read it back strictly.

A bundle is often received from someone else, so :func:`load_bundle` treats it as hostile:
whatever the file holds, the answer is a :class:`~reporter.model.Bundle` every renderer can
use, or one :class:`~reporter.errors.InputError` line — never a traceback. Besides the
model's own validation it refuses what the model's types let through but rendering cannot
use: a datetime without a zone, or one out of range once in UTC; an integer beyond 64 bits
(JSON numbers of more than 4,300 digits are refused by the parser already); a text longer
than :data:`MAX_BUNDLE_TEXT` characters, or one that is not valid Unicode.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from reporter.errors import InputError
from reporter.model import BUNDLE_SCHEMA, Bundle
from reporter.spec import format_location, read_text_file
from reporter.text import BIDI_CONTROLS

MAX_BUNDLE_BYTES = 256 * 1024 * 1024
"""Largest bundle ``load_bundle`` reads."""
MAX_BUNDLE_TEXT = 100_000
"""Longest text a bundle may hold (a note, the longest text a spec allows, is 50,000)."""
MAX_BUNDLE_INT = 2**63 - 1
"""Largest integer (in absolute value) a bundle may hold."""
EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, tzinfo=UTC)
"""Datetimes in a bundle lie in this range once in UTC (a year of margin either way)."""
_SHOWN = 120
"""Characters of a location or a parser message quoted in an error."""
_RAW_IN_JSON = re.compile(f"[\\x7f-\\x9f\\u2028\\u2029{BIDI_CONTROLS}]")
"""Characters ``json.dumps`` writes raw that a terminal or an editor would act on."""


def dump_bundle(bundle: Bundle) -> bytes:
    """The bundle as UTF-8 JSON: two-space indent, keys in model order, final newline.

    Control characters (C0 by ``json``, C1, U+2028/U+2029 and bidirectional controls by
    this function) are written as ``\\uXXXX`` escapes: the same string once parsed, but a
    ``cat`` of the file shows them instead of obeying them.
    """
    data = bundle.model_dump(mode="json", by_alias=True)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


def bundle_sha256(bundle: Bundle) -> str:
    """The SHA-256 (hex) of :func:`dump_bundle`'s bytes: what the reports cite."""
    return hashlib.sha256(dump_bundle(bundle)).hexdigest()


def load_bundle(path: Path) -> Bundle:
    """Read a bundle written by :func:`dump_bundle`.

    Raises :class:`InputError` naming the file and the problem (one line) when the file is
    missing or unreadable, not UTF-8, not JSON, or not a bundle, or holds a value no report
    can show (see the module's docstring).
    """
    text = read_text_file(path, "bundle", MAX_BUNDLE_BYTES)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            str(path), f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise InputError(str(path), "invalid JSON: nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise InputError(str(path), f"invalid JSON: {_cut(str(exc))}") from None
    if not isinstance(data, dict):
        raise InputError(str(path), f"not a bundle: a JSON {type(data).__name__}, not an object")
    schema = data.get("schema", BUNDLE_SCHEMA)
    if schema != BUNDLE_SCHEMA:
        raise InputError(
            str(path),
            f"unsupported bundle schema {str(schema)[:60]!r} (expected {BUNDLE_SCHEMA!r})",
        )
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        where = _cut(format_location(tuple(first["loc"])))
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        problem = "missing key" if first["type"] == "missing" else _cut(first["msg"])
        raise InputError(
            str(path), f"not a valid bundle: {where or 'top level'}: {problem}{more}"
        ) from None
    except (RecursionError, OverflowError) as exc:
        raise InputError(str(path), f"not a valid bundle: {type(exc).__name__}") from None
    for where, problem in _unusable(bundle, ()):
        raise InputError(str(path), f"not a valid bundle: {_cut(where)}: {problem}")
    return bundle


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}…"


def _unusable(value: object, loc: tuple[int | str, ...]) -> Iterator[tuple[str, str]]:
    """Every value under ``value`` no renderer can use: (its location, the problem)."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _unusable(getattr(value, name), (*loc, name))
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            yield from _unusable(item, (*loc, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unusable(key, (*loc, "(key)"))
            yield from _unusable(item, (*loc, str(key)[:_SHOWN]))
    elif isinstance(value, datetime):
        problem = _bad_datetime(value)
        if problem:
            yield format_location(loc), problem
    elif isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_BUNDLE_INT:
            yield format_location(loc), "an integer out of range (more than 64 bits)"
    elif isinstance(value, str):
        problem = _bad_text(value)
        if problem:
            yield format_location(loc), problem


def _bad_datetime(value: datetime) -> str | None:
    if value.tzinfo is None or value.utcoffset() is None:
        return "a datetime without a zone"
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        return "a datetime out of range once in UTC"
    if not EARLIEST <= utc <= LATEST:
        return "a datetime out of range (years 2 to 9998 in UTC)"
    return None


def _bad_text(value: str) -> str | None:
    if len(value) > MAX_BUNDLE_TEXT:
        return f"a text of {len(value):,} characters (at most {MAX_BUNDLE_TEXT:,})"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "a text that is not valid Unicode (a lone surrogate)"
    return None


class JsonRenderer:
    """The ``json`` format: the evidence bundle itself."""

    def __init__(self, template_dir: Path | None = None) -> None:
        self.template_dir = template_dir

    def render(self, bundle: Bundle) -> bytes:
        """:func:`dump_bundle`."""
        return dump_bundle(bundle)
