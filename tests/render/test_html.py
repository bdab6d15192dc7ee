"""The HTML report: the Markdown report converted, raw HTML off, everything escaped."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser

import pytest

from reporter.model import Bundle
from reporter.render import OutputFormat, render
from reporter.render.html import markdown_to_html
from tests.render.conftest import RETIRED_LINE, incident_spec, make_not_deployed


class Tags(HTMLParser):
    """Counts start tags, and remembers <script> and on* attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.counts: Counter[str] = Counter()
        self.handlers: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] += 1
        self.handlers += [name for name, _ in attrs if name.startswith("on")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    return tags


def html(bundle: Bundle) -> str:
    return render(bundle, OutputFormat.HTML).decode("utf-8")


def test_page_shape(not_deployed: Bundle) -> None:
    page = html(not_deployed)
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert "<title>Hotfix Verification Report — INC-2025-1126</title>" in page
    assert 'content: "page " counter(page) " of " counter(pages);' in page  # CSS not escaped
    tags = parse(page)
    assert tags.counts["h1"] == 1
    assert tags.counts["h2"] == 11
    assert tags.counts["table"] == 4  # hotfixes, timeline, tasks, log texts (checks: a list)
    assert tags.counts["details"] == 13  # one per check with commands
    assert tags.counts["svg"] == 2  # the verdict badge, the timeline
    assert tags.counts["script"] == 0


def test_same_facts_as_the_markdown(not_deployed: Bundle) -> None:
    text = "".join(parse(html(not_deployed)).text)
    assert "NOT DEPLOYED" in text  # the cover's badge
    assert "None of the 3 hotfixes is running in production." in text
    assert (
        "websocket.py:107 holds Requested platforms: "
        'logger.info(f"Requested platforms: {platforms}")' in text
    )
    assert RETIRED_LINE in text
    assert "☐ User testing confirms all 3 platforms generate content" in text


def test_title_is_autoescaped() -> None:
    spec = incident_spec(title="<script>alert('t')</script>", incident="<i>INC</i>")
    page = html(make_not_deployed(spec=spec))
    tags = parse(page)
    assert tags.counts["script"] == 0
    assert tags.counts["i"] == 0
    assert (
        "<title>&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; — &lt;i&gt;INC&lt;/i&gt;</title>"
        in page
    )


@pytest.mark.parametrize(
    "message",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "</code></pre><script>alert(1)</script>",
        "<!-- comment --> <style>body{display:none}</style>",
    ],
)
def test_raw_html_in_a_log_excerpt_is_escaped(
    with_retired_message: Callable[[str], Bundle], message: str
) -> None:
    page = html(with_retired_message(message))
    tags = parse(page)
    assert tags.counts["script"] == 0
    assert tags.counts["img"] == 0
    assert tags.counts["style"] == 1  # the report's own stylesheet
    assert tags.handlers == []
    assert message in "".join(tags.text)


@pytest.mark.parametrize(
    "message",
    [
        "```\n</pre>\n## Injected\n```",
        "`````\n# Injected\n`````",
        "x ``` y\n```bash\n### Injected",
        "~~~\n## Injected\n~~~",
    ],
)
def test_a_fence_in_a_log_line_cannot_break_out(
    with_retired_message: Callable[[str], Bundle], message: str
) -> None:
    clean = parse(html(with_retired_message(RETIRED_LINE))).counts
    hostile = parse(html(with_retired_message(message))).counts
    for tag in ("h1", "h2", "h3", "h4", "pre", "table", "ul", "li"):
        assert hostile[tag] == clean[tag], tag


def test_raw_html_in_the_notes_is_escaped_too() -> None:
    spec = incident_spec(
        notes={
            "summary": "Fine **bold** <script>alert(1)</script>\n\n<div onclick='x()'>div</div>",
            "lessons": "[click](javascript:alert(1)) and [docs](https://example.com/runbook)",
        }
    )
    page = html(make_not_deployed(spec=spec))
    tags = parse(page)
    assert tags.counts["script"] == 0
    assert "<div onclick" not in page  # the note's div is text, not an element
    assert "&lt;div onclick=&#x27;x()&#x27;&gt;div&lt;/div&gt;" in page or (
        "&lt;div onclick='x()'&gt;div&lt;/div&gt;" in page
    )
    assert tags.handlers == []
    assert "<strong>bold</strong>" in page
    assert "javascript:" not in page.split("<main>")[1]
    assert '<a href="https://example.com/runbook">docs</a>' in page


def test_converter_disables_raw_html() -> None:
    out = markdown_to_html("<b>x</b>\n\n<div>\nblock\n</div>\n")
    assert "<b>" not in out
    assert "<div>" not in out
    assert "&lt;b&gt;x&lt;/b&gt;" in out
