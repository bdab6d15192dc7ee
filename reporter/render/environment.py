"""The one Jinja environment the renderers share, and where the templates live.

Templates (all overridable: a file of the same name in ``--template-dir`` wins):

``report.md.j2``, ``postmortem.md.j2``
    The roots of the two template sets: each includes one partial per section from
    ``sections/``. The HTML and PDF reports are this same Markdown, converted.
``sections/*.md.j2``
    One section each (``sections/summary.md.j2``, ``sections/timeline.md.j2``...).
``macros.md.j2``, ``labels.j2``
    Markdown helpers (status symbols and words) and plain wording shared with the HTML
    blocks (finding titles, timeline events).
``blocks/*.html.j2``, ``blocks/*.svg.j2``
    What only HTML can show, placed in the converted Markdown (autoescaped): the cover with
    its verdict badge, the table of contents, the timeline's SVG, the log lines, the
    checks with their commands.
``report.html.j2``
    The HTML page around the converted Markdown (autoescaped); also the PDF's source.
``report.css``
    The stylesheet, inlined into ``report.html.j2``: screen and print (A4 pages,
    running header, "page N of M" footer).
``summary.md.j2``
    The ticket-comment summary (``--format summary``).

Packaged templates live in ``reporter/templates`` inside an installed wheel and in the
top-level ``templates/`` folder of a source checkout (editable install).

Filters available to every template are listed in :data:`reporter.render.filters.FILTERS`.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reporter.errors import InputError
from reporter.render.filters import FILTERS


def packaged_templates() -> Path:
    """The folder of the templates shipped with ``reporter``."""
    installed = resources.files("reporter") / "templates"
    if isinstance(installed, Path) and installed.is_dir():
        return installed
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"reporter's templates are missing (looked in {installed} and {checkout})"
    )


def environment(template_dir: Path | None = None) -> Environment:
    """The Jinja environment for ``template_dir`` (user overrides) over the packaged templates.

    Built once per folder. Raises :class:`InputError` when ``template_dir`` is not a folder.
    """
    if template_dir is None:
        return _build(None)
    if not template_dir.is_dir():
        raise InputError(str(template_dir), "template folder not found (--template-dir)")
    return _build(template_dir.resolve())


@functools.cache
def _build(template_dir: Path | None) -> Environment:
    search = [packaged_templates()]
    if template_dir is not None:
        search.insert(0, template_dir)
    env = Environment(
        loader=FileSystemLoader(search),
        autoescape=select_autoescape(
            enabled_extensions=("html", "html.j2", "svg.j2"), default=False
        ),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    return env
