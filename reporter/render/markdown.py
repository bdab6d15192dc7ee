"""The Markdown report: ``report.md.j2`` over the view of the bundle."""

from __future__ import annotations

from pathlib import Path

from reporter.model import Bundle
from reporter.render.environment import environment
from reporter.render.json import bundle_sha256
from reporter.render.view import build_view

TEMPLATE = "report.md.j2"


def render_markdown(bundle: Bundle, template_dir: Path | None = None) -> str:
    """The Markdown report for ``bundle`` (the source of the HTML and PDF reports too)."""
    template = environment(template_dir).get_template(TEMPLATE)
    return template.render(view=build_view(bundle, bundle_sha256(bundle)))


class MarkdownRenderer:
    """The ``md`` format."""

    def __init__(self, template_dir: Path | None = None) -> None:
        self.template_dir = template_dir

    def render(self, bundle: Bundle) -> bytes:
        """The Markdown report, UTF-8."""
        return render_markdown(bundle, self.template_dir).encode("utf-8")
