"""``reporter init``: write the commented example spec, and its JSON Schema beside it.

The spec's first line is a Taplo schema directive, ``#:schema ./spec.schema.json``:
editors with Taplo (Even Better TOML in VS Code, taplo-lsp in Neovim, Helix, Zed) then
validate and complete the spec from the schema file written beside it. The schema is
written only when no file of that name exists there (it is never overwritten);
``reporter schema > spec.schema.json`` refreshes it after an upgrade.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from reporter.errors import InputError
from reporter.spec import SCHEMA_FILE, spec_schema_text

SCHEMA_DIRECTIVE = f"#:schema ./{SCHEMA_FILE}\n"
"""The first line of a spec ``reporter init`` writes (Taplo reads it relative to the spec)."""


def example_spec() -> str:
    """The commented example spec shipped with the package, schema directive first."""
    text = files("reporter").joinpath("example.toml").read_text(encoding="utf-8")
    return SCHEMA_DIRECTIVE + text


def _write_new(path: Path, text: str) -> None:
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)


def write_example(path: Path) -> list[Path]:
    """Write the example spec to ``path``, and the spec's JSON Schema beside it when no
    file has that name there; refuse to overwrite anything. Returns the files written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file where a folder should be
        raise InputError(str(path), f"cannot write: {path.parent} is not a folder") from None
    except (OSError, ValueError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(str(path), f"cannot write: {problem}") from None
    try:
        _write_new(path, example_spec())
    except FileExistsError:
        raise InputError(str(path), "already exists; refusing to overwrite it") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(str(path), f"cannot write: {problem}") from None
    written = [path]
    schema = path.parent / SCHEMA_FILE
    try:
        _write_new(schema, spec_schema_text())
    except FileExistsError:
        return written
    except OSError as exc:
        raise InputError(str(schema), f"cannot write: {exc.strerror or exc}") from None
    written.append(schema)
    return written
