"""The evidence bundle as JSON: write it deterministically, read it back strictly."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import ValidationError

from reporter.errors import InputError
from reporter.model import BUNDLE_SCHEMA, Bundle
from reporter.spec import format_location, read_text_file

MAX_BUNDLE_BYTES = 256 * 1024 * 1024
"""Largest bundle ``load_bundle`` reads."""


def dump_bundle(bundle: Bundle) -> bytes:
    """The bundle as UTF-8 JSON: two-space indent, keys in model order, final newline."""
    data = bundle.model_dump(mode="json", by_alias=True)
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def bundle_sha256(bundle: Bundle) -> str:
    """The SHA-256 (hex) of :func:`dump_bundle`'s bytes: what the reports cite."""
    return hashlib.sha256(dump_bundle(bundle)).hexdigest()


def load_bundle(path: Path) -> Bundle:
    """Read a bundle written by :func:`dump_bundle`.

    Raises :class:`InputError` naming the file and the problem (one line) when the file is
    missing or unreadable, not UTF-8, not JSON, or not a bundle.
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
    if not isinstance(data, dict):
        raise InputError(str(path), f"not a bundle: a JSON {type(data).__name__}, not an object")
    schema = data.get("schema", BUNDLE_SCHEMA)
    if schema != BUNDLE_SCHEMA:
        raise InputError(
            str(path),
            f"unsupported bundle schema {str(schema)[:60]!r} (expected {BUNDLE_SCHEMA!r})",
        )
    try:
        return Bundle.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        where = format_location(tuple(first["loc"]))
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        problem = "missing key" if first["type"] == "missing" else first["msg"]
        raise InputError(
            str(path), f"not a valid bundle: {where or 'top level'}: {problem}{more}"
        ) from None


class JsonRenderer:
    """The ``json`` format: the evidence bundle itself."""

    def __init__(self, template_dir: Path | None = None) -> None:
        self.template_dir = template_dir

    def render(self, bundle: Bundle) -> bytes:
        """:func:`dump_bundle`."""
        return dump_bundle(bundle)
