"""``reporter init``: write the commented example spec."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from reporter.errors import InputError


def example_spec() -> str:
    """The commented example spec shipped with the package."""
    return files("reporter").joinpath("example.toml").read_text(encoding="utf-8")


def write_example(path: Path) -> Path:
    """Write the example spec to ``path``; refuse to overwrite anything."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:
            handle.write(example_spec())
    except FileExistsError:
        raise InputError(str(path), "already exists; refusing to overwrite it") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot write: {exc.strerror or exc}") from None
    return path
