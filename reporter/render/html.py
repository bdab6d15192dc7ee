"""The HTML report: the Markdown report converted by python-markdown, in ``report.html.j2``.

Raw HTML is switched off in the converter, so whatever the Markdown holds (a log line with
``<script>``, the author's notes) comes out as escaped text, never as markup.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from pathlib import Path
from typing import ClassVar

import markdown
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

from reporter.model import Bundle
from reporter.render.environment import environment
from reporter.render.markdown import render_markdown

TEMPLATE = "report.html.j2"
SAFE_URL = re.compile(r"^(?:https?:|mailto:|#|/|\.{0,2}/|[^:/?#]+(?:[/?#]|$))", re.IGNORECASE)
"""Link targets kept: web and mail links, fragments and relative paths (no ``javascript:``)."""


class _DropUnsafeUrls(Treeprocessor):
    """Removes ``href``/``src`` values with a scheme other than http(s) or mailto."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is not None and not SAFE_URL.match(value.strip()):
                    del element.attrib[attribute]


class _TaskListBoxes(Treeprocessor):
    """Shows GitHub task-list items (``- [ ]``, ``- [x]``) with ballot boxes ☐ and ☑."""

    BOXES: ClassVar[dict[str, str]] = {"[ ] ": "☐ ", "[x] ": "☑ ", "[X] ": "☑ "}

    def run(self, root: etree.Element) -> None:
        for item in root.iter("li"):
            text = item.text or ""
            box = self.BOXES.get(text[:4])
            if box is not None:
                item.text = box + text[4:]


def _converter() -> markdown.Markdown:
    md = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    # No raw HTML: block-level and inline HTML are treated as text (and escaped).
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    # The report escapes '~' (strikethrough on GitHub) as '\~'; make that an escape here too.
    md.ESCAPED_CHARS.append("~")
    md.treeprocessors.register(_DropUnsafeUrls(md), "drop_unsafe_urls", 1)
    md.treeprocessors.register(_TaskListBoxes(md), "task_list_boxes", 0)
    return md


def markdown_to_html(text: str) -> str:
    """Convert report Markdown to an HTML fragment, raw HTML disabled."""
    return _converter().convert(text)


def render_html(bundle: Bundle, template_dir: Path | None = None) -> str:
    """The whole HTML page for ``bundle``: the Markdown report converted, the CSS inlined."""
    body = markdown_to_html(render_markdown(bundle, template_dir))
    template = environment(template_dir).get_template(TEMPLATE)
    # Markup() is safe here only because `body` is python-markdown's output with raw HTML
    # disabled (see _converter): every text in it has been escaped by the converter.
    return template.render(
        title=bundle.spec.title,
        incident=bundle.spec.incident,
        verdict=bundle.verdict.value,
        generated_at=bundle.generated_at,
        body=Markup(body),  # noqa: S704 - python-markdown output, raw HTML disabled
    )


class HtmlRenderer:
    """The ``html`` format."""

    def __init__(self, template_dir: Path | None = None) -> None:
        self.template_dir = template_dir

    def render(self, bundle: Bundle) -> bytes:
        """The HTML report, UTF-8."""
        return render_html(bundle, self.template_dir).encode("utf-8")
