"""The author's Markdown (notes, checklist items) cannot attack the reader or hide the report.

- Links: only ``http``, ``https``, ``mailto`` and ``#`` targets survive in the HTML and the
  PDF, judged as a browser reads them (entities, percent escapes, blanks in the scheme,
  autolinks, reference-style links).
- Images load nothing: no ``<img>`` in the HTML, no image in the ``.md`` (as GitHub parses
  it), nothing fetched by the PDF.
- Structure: whatever a note or an item leaves open, every later section of the ``.md``
  still parses (markdown-it-py with GitHub's table and task-list extensions), and the HTML
  and PDF keep every section.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.tasklists import tasklists_plugin
from pypdf import PdfReader

from reporter.model import Bundle
from reporter.render import OutputFormat, render
from reporter.render.author import (
    MAX_LINE_CONTAINERS,
    PLAIN_TEXT_NOTICE,
    author_block,
    author_inline,
    code_spans,
    escape_html_and_images,
)
from reporter.render.html import MAX_DEPTH, MAX_GLUED, markdown_to_html, safe_url
from reporter.render.markdown import render_markdown
from reporter.render.view import build_view
from tests.benchmarks.bench_render import realistic_note
from tests.render.conftest import incident_spec, make_not_deployed

NOTE_KEYS = ("summary", "root_cause", "impact", "user_impact", "lessons")
GFM = MarkdownIt("gfm-like", {"linkify": False}).use(tasklists_plugin)
"""CommonMark with GitHub's tables, strikethrough and task lists (and its nesting limit)."""
ALLOWED = re.compile(r"(?:https?:|mailto:|#)", re.IGNORECASE)


def bundle_with(notes: str | None = None, items: tuple[str, ...] = ()) -> Bundle:
    """The reference incident with every note set to ``notes`` and these checklist items."""
    extra: dict[str, object] = {}
    if notes is not None:
        extra["notes"] = dict.fromkeys(NOTE_KEYS, notes)
    if items:
        extra["checklist"] = [{"item": item} for item in items]
    return make_not_deployed(spec=incident_spec(**extra))


def as_text(bundle: Bundle, fmt: OutputFormat) -> str:
    return render(bundle, fmt).decode("utf-8")


# --------------------------------------------------------------------------- reading the .md


@dataclass
class Outline:
    """What GitHub would show of a report's structure."""

    headings: list[str] = field(default_factory=list)
    """Top-level headings, ``"## title"``."""
    tables: int = 0
    task_items: int = 0
    images: int = 0
    raw_html: int = 0
    all_checks_rows: int = -1
    footer: bool = False


def outline(markdown: str) -> Outline:
    tokens = GFM.parse(markdown)
    found = Outline()
    current = ""
    for n, token in enumerate(tokens):
        if token.type == "heading_open" and token.level == 0:
            current = tokens[n + 1].content
            found.headings.append(f"{token.markup} {current}")
        elif token.type == "table_open":
            found.tables += 1
            if current == "Appendix A: All Checks" and found.all_checks_rows < 0:
                found.all_checks_rows = _rows(tokens, n)
        elif token.type == "list_item_open" and "task-list-item" in str(token.attrGet("class")):
            found.task_items += 1
        elif token.type == "html_block":
            found.raw_html += 1
        elif (
            token.type == "inline"
            and token.content.startswith("Generated ")
            and "evidence bundle with SHA-256" in token.content
            and tokens[n - 1].level == 0
        ):
            found.footer = True
        for child in token.children or ():
            found.images += child.type == "image"
            checkbox = child.content.startswith('<input class="task-list-item-checkbox"')
            found.raw_html += child.type == "html_inline" and not checkbox
    return found


def _rows(tokens: list[Token], start: int) -> int:
    rows = 0
    for token in tokens[start:]:
        if token.type == "table_close":
            break
        rows += token.type == "tr_open"
    return rows - 1  # the header row


# --------------------------------------------------------------------------- reading the HTML


class Page(HTMLParser):
    """Tags, URL attributes, headings and text of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: dict[str, int] = {}
        self.urls: list[tuple[str, str, str]] = []
        self.handlers: list[str] = []
        self.h2: list[str] = []
        self.text: list[str] = []
        self._h2: list[str] | None = None
        self.depth = self.deepest = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.depth += 1
        self.deepest = max(self.deepest, self.depth)
        for name, value in attrs:
            if name in ("href", "src", "action", "formaction", "poster", "data"):
                self.urls.append((tag, name, value or ""))
            if name.startswith("on"):
                self.handlers.append(name)
        if tag == "h2":
            self._h2 = []

    def handle_endtag(self, tag: str) -> None:
        self.depth -= 1
        if tag == "h2" and self._h2 is not None:
            self.h2.append("".join(self._h2).strip())
            self._h2 = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._h2 is not None:
            self._h2.append(data)


def page_of(bundle: Bundle) -> Page:
    return parse_page(as_text(bundle, OutputFormat.HTML))


def parse_page(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def pdf_uris(data: bytes) -> list[str]:
    """Every URI link annotation of a PDF."""
    uris = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for annotation in page.get("/Annots") or ():
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
    return uris


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --------------------------------------------------------------------------- links

HOSTILE_LINKS = {
    "plain": "[x](javascript:alert(1))",
    "mixed case": "[x](JaVaScRiPt:alert(1))",
    "decimal entity": "[x](&#106;avascript:alert(1))",
    "hex entity and named colon": "[x](&#x6A;avascript&colon;alert(1))",
    "tab entity inside the scheme": "[x](jav&#x09;ascript:alert(1))",
    "newline entity inside the scheme": "[x](java&#10;script:alert(1))",
    "percent-encoded scheme": "[x](%6Aavascript:alert(1))",
    "leading blank": "[x]( javascript:alert(1))",
    "leading entity blank": "[x](&#32;javascript:alert(1))",
    "tab inside the scheme": "[x](java\tscript:alert(1))",
    "control character in front": "[x](\x01javascript:alert(1))",
    "autolink": "<javascript:alert(1)>",
    "autolink with slashes": "<javascript://%0aalert(1)>",
    "reference": "[x][evil]\n\n[evil]: javascript:alert(1)",
    "shortcut reference": "[evil]\n\n[evil]: javascript:alert(1)",
    "angle destination": "[x](<javascript:alert(1)>)",
    "data": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "vbscript": "[x](vbscript:msgbox(1))",
    "file": "[x](file:///etc/passwd)",
    "protocol-relative": "[x](//evil.example/x)",
    "relative": "[x](docs/relative.md)",
}
SAFE_LINKS = {
    "https with a query": ("[x](https://example.com/a?b=1&c=2)", "https://example.com/a?b=1&c=2"),
    "http": ("[x](http://example.com/)", "http://example.com/"),
    "mailto": ("[x](mailto:oncall@example.com)", "mailto:oncall@example.com"),
    "fragment": ("[x](#all-checks)", "#all-checks"),
    "autolink": ("<https://example.com/auto>", "https://example.com/auto"),
    "mail autolink": ("<oncall@example.com>", "mailto:oncall@example.com"),
    "reference": ("[x][ok]\n\n[ok]: https://example.com/ref", "https://example.com/ref"),
}


def assert_only_safe_urls(page: Page) -> None:
    for tag, name, value in page.urls:
        assert (tag, name) == ("a", "href"), (tag, name, value)
        assert ALLOWED.match(value), value
        assert "script" not in re.sub(r"[\s\x00-\x1f]", "", value.lower()), value


@pytest.mark.parametrize("link", HOSTILE_LINKS.values(), ids=HOSTILE_LINKS.keys())
def test_a_hostile_link_loses_its_target_in_html(link: str) -> None:
    page = page_of(bundle_with(notes=f"See {link} now.", items=(f"Check {link} now",)))
    assert_only_safe_urls(page)
    assert page.handlers == []
    assert page.tags.get("script", 0) == 0


@pytest.mark.parametrize(("link", "target"), SAFE_LINKS.values(), ids=SAFE_LINKS.keys())
def test_web_mail_and_fragment_links_survive(link: str, target: str) -> None:
    page = page_of(bundle_with(notes=f"See {link}\n\nNow.", items=(f"Check {link.split()[0]}",)))
    assert_only_safe_urls(page)
    assert ("a", "href", target) in page.urls


def test_pdf_links_are_web_and_mail_only() -> None:
    notes = "\n\n".join([*HOSTILE_LINKS.values(), *(link for link, _ in SAFE_LINKS.values())])
    data = render(bundle_with(notes=notes), OutputFormat.PDF)
    uris = pdf_uris(data)
    assert uris, "the safe links are links in the PDF"
    for uri in uris:
        assert re.match(r"(?:https?:|mailto:)", uri), uri
    assert "https://example.com/a?b=1&c=2" in uris
    assert "mailto:oncall@example.com" in uris


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("https://example.com", "https://example.com"),
        ("  https://example.com\n", "https://example.com"),
        ("ht&#x09;tps://example.com", "https://example.com"),
        ("MAILTO:a@b.c", "MAILTO:a@b.c"),
        ("#frag", "#frag"),
        ("javascript:x", None),
        ("\x00javascript:x", None),
        ("%68ttps://example.com", None),  # a relative path for a browser: not a web link
        ("https&#58;//example.com", "https://example.com"),
        ("", None),
    ],
)
def test_safe_url(value: str, kept: str | None) -> None:
    assert safe_url(value) == kept


# --------------------------------------------------------------------------- images


def test_images_load_nothing_in_any_format(recording_server: tuple[str, list[str]]) -> None:
    url, hits = recording_server
    images = [
        f"![diagram]({url}/inline.png)",
        f'![diagram]({url}/titled.png "title")',
        f"![diagram][pic]\n\n[pic]: {url}/reference.png",
        f"![pic]\n\n[pic]: {url}/shortcut.png",
        f"[![nested]({url}/nested.png)](https://example.com)",
        f"<img src='{url}/raw.png'>",
        "![inline data](data:image/png;base64,iVBORw0KGgo=)",
    ]
    bundle = bundle_with(notes="\n\n".join(images), items=tuple(images[:2]))
    markdown = as_text(bundle, OutputFormat.MD)
    found = outline(markdown)
    assert found.images == 0
    assert found.raw_html == 0
    page = page_of(bundle)
    assert page.tags.get("img", 0) == 0
    assert [u for u in page.urls if u[1] == "src"] == []
    assert_only_safe_urls(page)
    # Each image is still there to follow, as a link to its source.
    assert ("a", "href", f"{url}/inline.png") in page.urls
    assert render(bundle, OutputFormat.PDF).startswith(b"%PDF-")
    assert hits == []


# --------------------------------------------------------------------------- structure

HOSTILE_NOTES = {
    "unclosed comment": "<!-- never closed\n\nstill inside the comment?",
    "unclosed fence": "```\nnever closed\n\n| # | not | a table |",
    "fence closed by a shorter one": "~~~~\ncode\n~~~",
    "longer fence first": "````\n```\nstill open",
    "script block": "<script>\nalert(1)\n\nmore",
    "pre block": "<pre>\nnever closed\n\n**bold?**",
    "style block": "<style>body{display:none}",
    "textarea block": "<textarea>",
    "processing instruction": "<?php never closed",
    "declaration": "<!DOCTYPE never closed",
    "cdata": "<![CDATA[ never closed",
    "html block": "<div>\nblock html\n</div>",
    "fence in a quote": "> ```\n> never closed",
    "fence in a list": "- ```\n  never closed",
    "open link title": '[r]: https://example.com "title never closed',
    "table without end": "| a | b |\n|---|---|\n| 1 |",
    "backtick run": "`" * 1000,
    "deep quotes": "> " * 200 + "deep",
    "a run of quote markers": ">" * 5000,
    "deep lists": "\n".join("  " * depth + "- x" for depth in range(40)),
    "lists on one line": "- " * 1000 + "x",
    "quotes and lists": "> - " * 300 + "x",
    "ordered lists on one line": "1. " * 500 + "x",
    "nested emphasis": "*a " * 3000 + "a*" * 3000,
    "nested brackets": "[" * 3000 + "]" * 3000,
}
HOSTILE_ITEMS = (
    "<!-- hides the rest",
    "```",
    "~~~",
    "# a heading",
    "> a quote",
    "- - - -",
    "* * *",
    "1. an ordered list",
    "***",
    "    indented code",
    "<script>alert(1)</script>",
    "[r]: https://example.com",
    "| a | b |",
    "<pre>",
    "- " * 900 + "x",
)


@pytest.fixture(scope="module")
def yardstick() -> tuple[Outline, Page]:
    """The report with ordinary notes and as many ordinary checklist items."""
    bundle = bundle_with(notes="An ordinary note.", items=("An ordinary item.",) * 15)
    return outline(as_text(bundle, OutputFormat.MD)), page_of(bundle)


def assert_same_structure(bundle: Bundle, yardstick: tuple[Outline, Page]) -> None:
    """Every section, table, checklist item and the footer of the yardstick are there."""
    clean_md, clean_page = yardstick
    markdown = render_markdown(bundle)
    found = outline(markdown)
    sections = [h for h in found.headings if h.startswith("## ")]
    assert sections == [h for h in clean_md.headings if h.startswith("## ")]
    assert found.tables >= clean_md.tables  # a note may hold tables of its own
    assert found.all_checks_rows == len(bundle.checks)
    assert found.task_items == len(build_view(bundle, "0" * 64).checklist)
    assert found.footer
    assert found.raw_html == 0
    page = parse_page(markdown_to_html(markdown))  # the HTML report's body
    assert page.h2 == clean_page.h2
    assert page.tags.get("table", 0) >= clean_page.tags.get("table", 0)
    assert page.handlers == []
    assert_only_safe_urls(page)


@pytest.mark.parametrize("note", HOSTILE_NOTES.values(), ids=HOSTILE_NOTES.keys())
def test_a_note_cannot_hide_the_sections_after_it(
    note: str, yardstick: tuple[Outline, Page]
) -> None:
    assert_same_structure(bundle_with(notes=note, items=("An ordinary item.",) * 15), yardstick)


def test_checklist_items_stay_one_item_each(yardstick: tuple[Outline, Page]) -> None:
    bundle = bundle_with(notes="An ordinary note.", items=HOSTILE_ITEMS)
    assert_same_structure(bundle, yardstick)
    markdown = as_text(bundle, OutputFormat.MD)
    checklist = markdown.split("After deployment, verify:\n\n", 1)[1].split("\n\n", 1)[0]
    tokens = GFM.parse(checklist)
    items = [t for t in tokens if t.type == "list_item_open"]
    assert len(items) == len(build_view(bundle, "0" * 64).checklist)
    assert max(t.level for t in tokens) <= 3  # one list, a paragraph in each item


def test_an_ordinary_note_is_left_as_written() -> None:
    note = realistic_note(5000)
    assert author_block(note) == note
    assert author_block(note + "\n\n") == note + "\n\n"


def test_raw_html_shows_as_text_in_the_md_and_the_html() -> None:
    note = "Before <b>bold</b> <img src=x onerror=alert(1)> `<code> kept` after"
    shown = author_block(note)
    assert shown == ("Before &lt;b>bold&lt;/b> &lt;img src=x onerror=alert(1)> `<code> kept` after")
    page = page_of(bundle_with(notes=note))
    text = html.unescape("".join(page.text))
    assert "Before <b>bold</b> <img src=x onerror=alert(1)> <code> kept after" in text


def test_a_note_too_deep_is_shown_as_plain_text() -> None:
    note = "> " * (MAX_LINE_CONTAINERS + 1) + "too deep"
    shown = author_block(note)
    assert shown.startswith(PLAIN_TEXT_NOTICE)
    assert note in shown
    page = page_of(bundle_with(notes=note))
    assert note.replace(">", ">") in html.unescape("".join(page.text))


def test_an_unclosed_fence_is_escaped_not_closed() -> None:
    assert author_block("```python\ncode") == "\\```python\ncode"
    assert author_block("```\nclosed\n```") == "```\nclosed\n```"
    assert author_block("~~~~\ncode\n~~~") == "\\~~~~\ncode\n\\~~~"


@pytest.mark.parametrize(
    ("item", "shown"),
    [
        ("# heading", "\\# heading"),
        ("> quote", "\\> quote"),
        ("- dash", "\\- dash"),
        ("1. one", "1\\. one"),
        ("2) two", "2\\) two"),
        ("***", "\\***"),
        ("```", "\\```"),
        ("[r]: https://x", "\\[r]: https://x"),
        ("    indented", "indented"),
        ("line\nbreak", "line break"),
        ("**bold** [link](https://x) `<code>`", "**bold** [link](https://x) `<code>`"),
        ("<!-- x", "&lt;!-- x"),
        ("![i](http://x/i.png)", "\\![i](http://x/i.png)"),
        ("bidi \u202e and \x1b", "bidi \\u202e and \\x1b"),
    ],
)
def test_author_inline(item: str, shown: str) -> None:
    assert author_inline(item) == shown


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("<https://example.com> and <a@b.c>", "<https://example.com> and <a@b.c>"),
        ("[x](<dest with space>)", "[x](<dest with space>)"),
        ("\\<b> already escaped", "\\<b> already escaped"),
        ("\\\\<b> not escaped", "\\\\&lt;b> not escaped"),
        ("a < b and c <= d", "a < b and c <= d"),
        ("`` <b> ` `` <b>", "`` <b> ` `` &lt;b>"),
        ("\\`<b>`", "\\`&lt;b>`"),
        ("\\![not an image]", "\\![not an image]"),
    ],
)
def test_escape_html_and_images(line: str, shown: str) -> None:
    assert escape_html_and_images(line) == shown


def test_code_spans() -> None:
    assert code_spans("a `b` c ``d ` e`` `f") == [(2, 5), (8, 17)]
    assert code_spans("\\`a` `b`") == [(3, 6)]
    assert code_spans("no code") == []


def test_deep_nesting_still_makes_a_pdf() -> None:
    notes = {
        "summary": "> " * 200 + "deep quotes",
        "root_cause": "*a " * 2000 + "a*" * 2000,
        "impact": "\n".join("    " * depth + "- x" for depth in range(60)),
        "user_impact": "[" * 500 + "x" + "]" * 500,
        "lessons": "- " * 999 + "x",
    }
    bundle = make_not_deployed(spec=incident_spec(notes=notes))
    data = render(bundle, OutputFormat.PDF)
    text = re.sub(r"\s+", "", pdf_text(data))
    assert "AllChecks" in text
    assert "evidencebundlewithSHA-256" in text


def test_the_html_tree_is_capped_whatever_the_markdown() -> None:
    """Below the author filters too: the converter itself caps depth and glued runs."""
    deep = parse_page(markdown_to_html("> " * 150 + "deep"))
    assert deep.deepest <= MAX_DEPTH + 1
    assert "deep" in "".join(deep.text)
    glued = markdown_to_html("a" + "*b*c" * (MAX_GLUED + 10))
    assert glued.count("<em>") == 0
    assert "bcbcbc" in glued
    fine = markdown_to_html("a" + "*b*c" * (MAX_GLUED - 1))
    assert fine.count("<em>") == MAX_GLUED - 1
