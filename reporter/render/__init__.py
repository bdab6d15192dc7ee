"""Reports from an evidence bundle: Markdown, HTML, PDF and the JSON bundle itself.

The Markdown report is the source of the HTML and PDF reports (python-markdown, then
WeasyPrint), so the three always say the same thing. Rendering reads neither the clock
nor the network: the same bundle gives byte-identical ``md``, ``html`` and ``json``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path

from jinja2 import TemplateError

from reporter.errors import InputError
from reporter.model import Bundle
from reporter.render.html import HtmlRenderer
from reporter.render.interface import Renderer, RendererFactory
from reporter.render.json import JsonRenderer, dump_bundle
from reporter.render.junit import JunitRenderer
from reporter.render.markdown import MarkdownRenderer
from reporter.render.pdf import PdfRenderer

__all__ = ["RENDERERS", "OutputFormat", "Renderer", "render", "write_bundle", "write_reports"]


class OutputFormat(StrEnum):
    """A report format; its value is the file extension."""

    MD = "md"
    PDF = "pdf"
    HTML = "html"
    JSON = "json"
    JUNIT = "junit"


RENDERERS: Mapping[OutputFormat, RendererFactory] = {
    OutputFormat.MD: MarkdownRenderer,
    OutputFormat.HTML: HtmlRenderer,
    OutputFormat.PDF: PdfRenderer,
    OutputFormat.JSON: JsonRenderer,
    OutputFormat.JUNIT: JunitRenderer,
}
"""The renderer class of each format."""


def render(bundle: Bundle, fmt: OutputFormat, template_dir: Path | None = None) -> bytes:
    """The report for ``bundle`` in ``fmt``; ``template_dir`` overrides packaged templates.

    A template that fails (a user's override with a syntax error or an unknown value) is
    bad input: :class:`InputError` naming the template, never a traceback.
    """
    try:
        return RENDERERS[fmt](template_dir).render(bundle)
    except TemplateError as exc:
        where = f"{template_dir} (--template-dir)" if template_dir else "packaged templates"
        name = getattr(exc, "name", None) or getattr(exc, "filename", None)
        line = getattr(exc, "lineno", None)
        at = f"{name}" + (f", line {line}" if line else "") + ": " if name else ""
        raise InputError(
            where, f"template error in {at}{exc.message or type(exc).__name__}"
        ) from None


def write_reports(
    bundle: Bundle,
    formats: Sequence[OutputFormat],
    output_dir: Path,
    stem: str,
    template_dir: Path | None = None,
) -> list[Path]:
    """Write one file per format, ``output_dir/{stem}.{format}``; return their paths.

    Every report is rendered before any is written. Each file is written to a temporary
    file in ``output_dir`` and renamed into place, so it is whole or absent, never half
    written. Raises :class:`InputError` when ``output_dir`` cannot be created or written.
    """
    if not stem or stem in (".", "..") or "/" in stem or "\\" in stem or "\0" in stem:
        raise InputError(str(output_dir), f"invalid report file name {stem!r}")
    unique = list(dict.fromkeys(formats))
    rendered = [(fmt, render(bundle, fmt, template_dir)) for fmt in unique]
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(str(output_dir), f"cannot write: {exc.strerror or exc}") from None
    return [_write_atomic(output_dir, f"{stem}.{fmt.value}", data) for fmt, data in rendered]


def write_bundle(bundle: Bundle, path: Path) -> Path:
    """Write the JSON evidence bundle to ``path`` (parents created), whole or not at all.

    Raises :class:`InputError` when the folder cannot be created or written, or when
    ``path`` is a folder.
    """
    data = dump_bundle(bundle)
    folder = path.parent
    if path.is_dir():
        raise InputError(str(path), "cannot write: is a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(str(folder), f"cannot write: {exc.strerror or exc}") from None
    return _write_atomic(folder, path.name, data)


def _write_atomic(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to ``folder/name`` through a temporary file and a rename."""
    target = folder / name
    temporary = folder / f".{name}.{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
    except OSError as exc:
        raise InputError(str(folder), f"cannot write: {exc.strerror or exc} ({name})") from None
    return target
