"""The Markdown report: a template set's root (``report.md.j2``) over the view of the bundle.

Two template sets are packaged: ``report`` (the verification report) and ``postmortem``
(the Google SRE postmortem sections, filled from the same evidence and the author's notes).
Each root includes one partial per section (``sections/*.md.j2``); ``--template-dir``
overrides any of them by path.

The same Markdown, rendered for ``screen`` (the HTML report) or ``print`` (the PDF), is the
source of those formats; there ``html_block(name)`` places the output of an HTML template
(the cover's badge, the timeline's SVG...) where the Markdown cannot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Literal

from reporter.model import Bundle
from reporter.render.environment import environment
from reporter.render.json import bundle_sha256
from reporter.render.view import ReportView, build_view

Target = Literal["md", "screen", "print"]
"""What the Markdown is rendered for: the ``.md`` file, the HTML report or the PDF."""


class TemplateSet(StrEnum):
    """A packaged set of report templates; its value names its root, ``<value>.md.j2``."""

    REPORT = "report"
    POSTMORTEM = "postmortem"

    @property
    def root(self) -> str:
        """The root template of the set."""
        return f"{self.value}.md.j2"


TEMPLATE = TemplateSet.REPORT.root
"""The default root template."""


def render_markdown(
    bundle: Bundle,
    template_dir: Path | None = None,
    *,
    template: TemplateSet = TemplateSet.REPORT,
    target: Target = "md",
    toc: Sequence[tuple[str, str]] = (),
    html_block: Callable[..., str] | None = None,
    view: ReportView | None = None,
) -> str:
    """The Markdown report for ``bundle``, for ``target``.

    ``toc`` is the PDF's table of contents (heading ids and texts); ``html_block`` is how
    the HTML renderer places its blocks (required for ``screen`` and ``print``); ``view``
    is the bundle's view when the caller has built it already.
    """
    env = environment(template_dir)
    context: dict[str, object] = {
        "view": view if view is not None else build_view(bundle, bundle_sha256(bundle)),
        "target": target,
        "toc": tuple(toc),
    }
    if html_block is not None:
        context["html_block"] = html_block
    return env.get_template(template.root).render(context)


class MarkdownRenderer:
    """The ``md`` format."""

    def __init__(
        self, template_dir: Path | None = None, template: TemplateSet = TemplateSet.REPORT
    ) -> None:
        self.template_dir = template_dir
        self.template = template

    def render(self, bundle: Bundle) -> bytes:
        """The Markdown report, UTF-8."""
        return render_markdown(bundle, self.template_dir, template=self.template).encode("utf-8")
