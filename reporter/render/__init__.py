"""Reports from an evidence bundle: Markdown, HTML, PDF and the JSON bundle itself.

The Markdown report is the source of the HTML and PDF reports (python-markdown, then
WeasyPrint), so the three always say the same thing. Rendering reads neither the clock
nor the network: the same bundle gives byte-identical ``md``, ``html`` and ``json``.

Writing a file (:func:`write_reports`, :func:`write_bundle`): the file is written whole to
a temporary file in the same folder and renamed into place. A report name that is a
symbolic link (even a dangling one), a device, a FIFO, a socket or a folder is refused
(:class:`InputError`) before anything is written: a link is never followed, so a link planted
in a shared folder cannot make ``reporter`` overwrite the file it points to, and a device
node or FIFO is never replaced. The folder named by the user is used as given (a link to a
folder is the user's choice). The temporary file's name has a fixed length, so any name the
file system accepts for the report works.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
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
from reporter.render.markdown import MarkdownRenderer, TemplateSet
from reporter.render.pdf import PdfRenderer
from reporter.render.summary import SummaryRenderer

__all__ = [
    "RENDERERS",
    "OutputFormat",
    "Renderer",
    "TemplateSet",
    "check_target",
    "render",
    "write_bundle",
    "write_reports",
]


class OutputFormat(StrEnum):
    """A report format; its value is its name on the command line (``--format``)."""

    MD = "md"
    PDF = "pdf"
    HTML = "html"
    JSON = "json"
    SUMMARY = "summary"
    JUNIT = "junit"

    @property
    def extension(self) -> str:
        """The report file's extension: the format's value; ``summary.md`` for ``summary``,
        ``junit.xml`` for ``junit`` (what CI systems look for)."""
        return EXTENSIONS.get(self, self.value)


EXTENSIONS: Mapping[OutputFormat, str] = {
    OutputFormat.SUMMARY: "summary.md",
    OutputFormat.JUNIT: "junit.xml",
}
"""File extensions that are not the format's name."""
TEMPLATED = frozenset({OutputFormat.MD, OutputFormat.HTML, OutputFormat.PDF})
"""The formats a template set (``--template``) applies to."""


_TEMPLATED: Mapping[OutputFormat, type[MarkdownRenderer | HtmlRenderer | PdfRenderer]] = {
    OutputFormat.MD: MarkdownRenderer,
    OutputFormat.HTML: HtmlRenderer,
    OutputFormat.PDF: PdfRenderer,
}

RENDERERS: Mapping[OutputFormat, RendererFactory] = {
    OutputFormat.MD: MarkdownRenderer,
    OutputFormat.HTML: HtmlRenderer,
    OutputFormat.PDF: PdfRenderer,
    OutputFormat.JSON: JsonRenderer,
    OutputFormat.SUMMARY: SummaryRenderer,
    OutputFormat.JUNIT: JunitRenderer,
}
"""The renderer class of each format."""


def render(
    bundle: Bundle,
    fmt: OutputFormat,
    template_dir: Path | None = None,
    template: TemplateSet = TemplateSet.REPORT,
    report_files: Sequence[str] = (),
) -> bytes:
    """The report for ``bundle`` in ``fmt``; ``template_dir`` overrides packaged templates.

    ``template`` is the template set of the ``md``, ``html`` and ``pdf`` reports;
    ``report_files`` are the names of the files written with a ``summary`` (it names them).

    A template that fails (a user's override with a syntax error or an unknown value) is
    bad input: :class:`InputError` naming the template, never a traceback. The packaged
    templates fail only on a bundle whose checks do not follow from its evidence: that is
    an :class:`InputError` about the bundle.
    """
    try:
        if fmt in TEMPLATED:
            return _TEMPLATED[fmt](template_dir, template).render(bundle)
        if fmt is OutputFormat.SUMMARY:
            return SummaryRenderer(template_dir, report_files).render(bundle)
        return RENDERERS[fmt](template_dir).render(bundle)
    except TemplateError as exc:
        name = getattr(exc, "name", None) or getattr(exc, "filename", None)
        line = getattr(exc, "lineno", None)
        at = f"{name}" + (f", line {line}" if line else "") + ": " if name else ""
        problem = f"{at}{exc.message or type(exc).__name__}"
        if template_dir is not None:
            where = f"{template_dir} (--template-dir)"
            raise InputError(where, f"template error in {problem}") from None
        # The packaged templates render every bundle whose checks follow from its evidence.
        raise InputError(
            "bundle",
            f"cannot be rendered ({problem}): its checks or verdict do not follow from its "
            "evidence (edited, or written by another version)",
        ) from None


def write_reports(
    bundle: Bundle,
    formats: Sequence[OutputFormat],
    output_dir: Path,
    stem: str,
    template_dir: Path | None = None,
    template: TemplateSet = TemplateSet.REPORT,
) -> list[Path]:
    """Write one file per format, ``output_dir/{stem}.{extension}``; return their paths.

    A ``summary`` names the other files written with it.

    Every report is rendered, and every target checked (:func:`check_target`), before any
    is written. Each file is written to a temporary file in ``output_dir`` and renamed into
    place, so it is whole or absent, never half written. Raises :class:`InputError` when
    ``output_dir`` cannot be created or written, or a target is not a regular file.
    """
    if not stem or stem in (".", "..") or "/" in stem or "\\" in stem or "\0" in stem:
        raise InputError(str(output_dir), f"invalid report file name {stem!r}")
    unique = list(dict.fromkeys(formats))
    names = report_names(unique, stem)
    siblings = [names[f] for f in unique if f is not OutputFormat.SUMMARY]
    rendered = [(fmt, render(bundle, fmt, template_dir, template, siblings)) for fmt in unique]
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(str(output_dir), f"cannot write: {exc.strerror or exc}") from None
    for fmt, _ in rendered:
        check_target(output_dir / names[fmt])
    return [_write_atomic(output_dir, names[fmt], data) for fmt, data in rendered]


def report_names(formats: Sequence[OutputFormat], stem: str) -> dict[OutputFormat, str]:
    """The file name of each format's report: ``{stem}.{extension}``."""
    return {fmt: f"{stem}.{fmt.extension}" for fmt in formats}


def write_bundle(bundle: Bundle, path: Path) -> Path:
    """Write the JSON evidence bundle to ``path`` (parents created), whole or not at all.

    Raises :class:`InputError` when the folder cannot be created or written, or when
    ``path`` is not a regular file (:func:`check_target`: a folder, a symbolic link, a
    device, a FIFO, a socket).
    """
    data = dump_bundle(bundle)
    folder = path.parent
    check_target(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(str(folder), f"cannot write: {exc.strerror or exc}") from None
    return _write_atomic(folder, path.name, data)


_KINDS = (
    (stat.S_ISLNK, "is a symbolic link (give the file it points to, or remove the link)"),
    (stat.S_ISDIR, "is a folder"),
    (stat.S_ISFIFO, "is a FIFO, not a regular file"),
    (stat.S_ISSOCK, "is a socket, not a regular file"),
    (stat.S_ISCHR, "is a device, not a regular file"),
    (stat.S_ISBLK, "is a device, not a regular file"),
)


def check_target(path: Path) -> None:
    """Refuse to write ``path`` unless it is absent or a regular file (never followed).

    Raises :class:`InputError` ``cannot write: is a symbolic link ...`` (also for a dangling
    link), ``is a folder``, ``is a FIFO``, ``is a socket`` or ``is a device``.
    """
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:  # a parent that is a file, a name too long, no permission
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return  # the folder does not exist (yet): creating it will say what is wrong
        raise InputError(str(path), f"cannot write: {exc.strerror or exc}") from None
    for test, problem in _KINDS:
        if test(mode):
            raise InputError(str(path), f"cannot write: {problem}")


def _write_atomic(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to ``folder/name`` through a temporary file and a rename.

    The temporary name does not include ``name`` (``.reporter-<16 hex digits>.tmp``, 30 bytes), so
    it is legal whenever ``name`` is.
    """
    target = folder / name
    temporary = folder / f".reporter-{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            check_target(target)  # again: it may have changed while the data was written
            os.replace(temporary, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
    except OSError as exc:
        raise InputError(str(folder), f"cannot write: {exc.strerror or exc} ({name})") from None
    return target
