"""The HTML report: the Markdown report converted by python-markdown, in ``report.html.j2``.

What Markdown cannot show — the cover with its verdict badge, the PDF's table of contents,
the timeline's SVG, the log lines with their continuation marks, each check's commands under
a ``<details>`` — is written by autoescaped HTML templates (``blocks/``) that the Markdown
templates place with ``html_block(name)``: the Markdown gets a marker line naming the block
with a nonce drawn for each rendering (no collected or author text can name it), and the
converter puts the block's HTML there (:class:`Blocks`). Every ``h2`` gets an id (the table of
contents links to it); inline code without blanks (ids, paths) may break only after ``.``,
``-``, ``_``, ``/``, ``:``, ``=`` and ``,`` (``<wbr>``), a command (inline code with blanks)
only at its blanks.

Raw HTML is switched off in the converter, so whatever the Markdown holds (a log line with
``<script>``, the author's notes) comes out as escaped text, never as markup. On the tree
python-markdown builds, before it is written out:

- links keep their target only when it is ``http``, ``https``, ``mailto`` or an in-document
  ``#`` fragment, decided on the target as a browser reads it (entities decoded, tabs,
  newlines and control characters removed, percent-escapes decoded): ``&#106;avascript:``,
  ``jav&#x09;ascript:`` or ``%6Aavascript:`` lose their target and stay as text;
- an image never loads: it becomes a link to its source (kept only if the source is a safe
  target), showing ``[image: alt text]``;
- elements nested deeper than :data:`MAX_DEPTH` are flattened into their text (WeasyPrint
  lays nested boxes out recursively and fails on a few hundred levels), and so are elements
  holding more than :data:`MAX_GLUED` inline elements with no blank between them
  (``a*b*c*d*...``: WeasyPrint breaks such a "word" in quadratic time).

Inline Markdown is processed in pieces of at most :data:`PIECE_CHARS` characters: a longer
paragraph, list item or table cell is cut (at a line break or a space outside code spans)
before python-markdown's inline patterns run, and joined again after. python-markdown
rebuilds the whole text for every inline element it finds and walks the parent's children
for each, so a 160,000-character paragraph of escaped text took 18 s; in pieces its cost is
linear. (An inline construct longer than a piece may show as text where it is cut.)
Fenced code blocks are found in one pass over the lines (stock python-markdown rebuilds the
whole document for each block, and reads to its end for every fence left open).

The link and image patterns are linear: brackets are matched with ``str.find`` and
``str.count``, a link target is read within :data:`MAX_LINK_TARGET` characters, and all
this scanning shares a budget of :data:`SCAN_BUDGET_PER_CHAR` characters per character of
the document (past it, brackets stay text). Stock python-markdown rescans to the end of the
paragraph from every ``[``: quadratic on a note of a few thousand ``[``.
"""

from __future__ import annotations

import bisect
import html
import itertools
import re
import secrets
import urllib.parse
import xml.etree.ElementTree as etree
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import markdown
from jinja2 import pass_context
from jinja2.runtime import Context
from markdown import inlinepatterns, util
from markdown.extensions.fenced_code import FencedBlockPreprocessor, FencedCodeExtension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

from reporter.model import Bundle
from reporter.render.author import code_spans
from reporter.render.environment import environment
from reporter.render.filters import break_pieces
from reporter.render.json import bundle_sha256
from reporter.render.markdown import Target, TemplateSet, render_markdown
from reporter.render.view import ReportView, build_view

TEMPLATE = "report.html.j2"
SAFE_URL = re.compile(r"(?:https?:|mailto:|#)", re.IGNORECASE)
"""Link targets kept (matched at the start of the target as a browser reads it)."""
MAX_DEPTH = 32
"""Deepest element nesting kept below the converted document's root."""
MAX_GLUED = 64
"""Most inline elements kept in one run with no blank between them (``a*b*c*d*...``)."""
_BLANK = re.compile(r"\s")
MAX_LINK_TARGET = 4096
"""Longest ``(target "title")`` part of an inline link or image read."""
PIECE_CHARS = 2000
"""Longest text python-markdown's inline patterns see at once (a longer one is cut)."""
_PIECE_TAG = "reporter-piece"
SCAN_BUDGET_PER_CHAR = 8
"""Characters the link patterns may scan per character of the document, in all."""
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
"""What a URL parser strips from both ends of a URL."""
_URL_WHITESPACE = re.compile(r"[\x00-\x20\x7f-\x9f]+")


def safe_url(value: str) -> str | None:
    """``value`` as a browser reads it, when it is a web, mail or in-document link; else None.

    The value is read as HTML would read an attribute (entities decoded), then as a URL
    parser does (leading and trailing spaces and control characters dropped, tabs and
    newlines removed anywhere); the scheme is judged on that and, again, after percent
    decoding. Only ``http:``, ``https:``, ``mailto:`` and ``#...`` pass.
    """
    read = html.unescape(value.replace(util.AMP_SUBSTITUTE, "&"))
    read = read.strip(_C0_AND_SPACE)
    read = read.replace("\t", "").replace("\n", "").replace("\r", "")
    squeezed = _URL_WHITESPACE.sub("", read)
    decoded = _URL_WHITESPACE.sub("", urllib.parse.unquote(html.unescape(squeezed)))
    if SAFE_URL.match(squeezed) and SAFE_URL.match(decoded):
        return read
    return None


class _ScanBudget:
    """Characters the link patterns of one conversion may still scan."""

    def __init__(self) -> None:
        self.left = 0
        self.spent = 0

    def charge(self, chars: int) -> None:
        self.left -= chars
        self.spent += chars


class _LinearLinks:
    """``getText``/``getLink`` of python-markdown's link patterns, in linear time.

    Mixed into each of its link and image processors; they share one :class:`_ScanBudget`.
    """

    budget: _ScanBudget

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:
        """The text between ``[`` (just before ``index``) and its matching ``]``."""
        depth, position = 1, index
        while self.budget.left > 0:
            close = data.find("]", position)
            self.budget.charge((len(data) if close < 0 else close) - position + 1)
            if close < 0:
                break
            depth += data.count("[", position, close) - 1
            if depth == 0:
                return data[index:close], close + 1, True
            position = close + 1
        return "", index, False

    def getLink(self, data: str, index: int) -> tuple[str, str | None, int, bool]:
        """The ``(target "title")`` at ``index``, read within :data:`MAX_LINK_TARGET`."""
        if self.budget.left <= 0:
            return "", None, index, False
        piece = data[index : index + MAX_LINK_TARGET]
        if not piece.startswith("(") or ")" not in piece:
            self.budget.charge(1)
            return "", None, index, False
        href, title, end, handled = super().getLink(piece, 0)  # type: ignore[misc]
        self.budget.charge(end if handled else len(piece))
        return href, title, index + end, handled


class _Link(_LinearLinks, inlinepatterns.LinkInlineProcessor):
    pass


class _Image(_LinearLinks, inlinepatterns.ImageInlineProcessor):
    pass


class _Reference(_LinearLinks, inlinepatterns.ReferenceInlineProcessor):
    pass


class _ImageReference(_LinearLinks, inlinepatterns.ImageReferenceInlineProcessor):
    pass


class _ShortReference(_LinearLinks, inlinepatterns.ShortReferenceInlineProcessor):
    pass


class _ShortImageReference(_LinearLinks, inlinepatterns.ShortImageReferenceInlineProcessor):
    pass


_LINK_PATTERNS: tuple[tuple[type[_LinearLinks], str, str, int], ...] = (
    (_Reference, inlinepatterns.REFERENCE_RE, "reference", 170),
    (_Link, inlinepatterns.LINK_RE, "link", 160),
    (_Image, inlinepatterns.IMAGE_LINK_RE, "image_link", 150),
    (_ImageReference, inlinepatterns.IMAGE_REFERENCE_RE, "image_reference", 140),
    (_ShortReference, inlinepatterns.REFERENCE_RE, "short_reference", 130),
    (_ShortImageReference, inlinepatterns.IMAGE_REFERENCE_RE, "short_image_ref", 125),
)


class _SafeLinksNoImages(Treeprocessor):
    """Keeps only safe link targets (:func:`safe_url`); turns every image into a link."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag == "img":
                _image_to_link(element)
            href = element.get("href")
            if href is None:
                continue
            target = safe_url(href)
            if target is None:
                del element.attrib["href"]
            else:
                # The serializer keeps what looks like an entity: write '&' as one, so the
                # browser reads back exactly the target judged here.
                element.set("href", target.replace("&", "&amp;"))


def _image_to_link(element: etree.Element) -> None:
    source = element.get("src") or ""
    alt = element.get("alt") or ""
    element.tag = "a"
    element.attrib.clear()
    element.set("class", "image")
    element.set("href", source)
    element.text = f"[image: {alt}]" if alt else "[image]"


def cut_points(text: str) -> list[int]:
    """Where to cut ``text`` into pieces of at most :data:`PIECE_CHARS` characters.

    Each cut is just after a line break (else a space) in the second half of the piece's
    room, neither inside a code span nor after a backslash; a piece with no such place is
    cut at :data:`PIECE_CHARS` (or next to a python-markdown placeholder it would split).
    """
    spans = code_spans(text)
    starts = [span[0] for span in spans]
    cuts: list[int] = []
    start = 0
    while len(text) - start > PIECE_CHARS:
        low, high = start + PIECE_CHARS // 2, start + PIECE_CHARS
        cut = _break_before(text, "\n", low, high, spans, starts)
        if cut is None:
            cut = _break_before(text, " ", low, high, spans, starts)
        start = cut if cut is not None else _outside_placeholder(text, start, high)
        cuts.append(start)
    return cuts


def _outside_placeholder(text: str, start: int, at: int) -> int:
    """``at``, or the nearest place outside the python-markdown placeholder it falls in
    (``STX ... ETX``: a stashed block, which a cut would lose)."""
    opened = text.rfind(util.STX, start, at)
    if opened < 0 or text.rfind(util.ETX, opened, at) >= 0:
        return at
    if opened > start:
        return opened
    closed = text.find(util.ETX, at)
    return len(text) if closed < 0 else closed + 1


def _break_before(
    text: str,
    blank: str,
    low: int,
    high: int,
    spans: list[tuple[int, int]],
    starts: list[int],
) -> int | None:
    """The index just after the last ``blank`` in ``text[low:high]`` fit for a cut."""
    at = text.rfind(blank, low, high)
    while at > 0:
        index = bisect.bisect_right(starts, at) - 1
        inside = index >= 0 and spans[index][0] <= at < spans[index][1]
        if not inside and text[at - 1] != "\\":
            return at + 1
        at = text.rfind(blank, low, spans[index][0] if inside else at)
    return None


_FENCE_LINE = re.compile(r"(~{3,}|`{3,})[ ]*$")
_FENCE_START = re.compile(r"~{3,}|`{3,}")


class _LinearFencedBlocks(FencedBlockPreprocessor):
    """python-markdown's fenced code blocks, found in one pass over the lines.

    A block starts on a line that starts with a fence and ends on the next line that is that
    same fence alone (python-markdown's rule); each block found is handed to the stock
    preprocessor on its own, so the HTML is the stock one.
    """

    def run(self, lines: list[str]) -> list[str]:
        closers: dict[str, list[int]] = {}
        for number, line in enumerate(lines):
            alone = _FENCE_LINE.match(line)
            if alone:
                closers.setdefault(alone.group(1), []).append(number)
        out: list[str] = []
        number = 0
        while number < len(lines):
            opening = _FENCE_START.match(lines[number])
            if opening:
                after = closers.get(opening.group(), [])
                closer = bisect.bisect_right(after, number)
                if closer < len(after):
                    block = lines[number : after[closer] + 1]
                    replaced = super().run(block)
                    if replaced != block:
                        out.extend(replaced)
                        number = after[closer] + 1
                        continue
            out.append(lines[number])
            number += 1
        return out


class _CutLongText(Treeprocessor):
    """Before the inline patterns: a long text becomes pieces, each in an element of its own."""

    def run(self, root: etree.Element) -> None:
        for element in list(root.iter()):
            text = element.text
            if not text or len(text) <= PIECE_CHARS or isinstance(text, util.AtomicString):
                continue
            bounds = [0, *cut_points(text), len(text)]
            pieces = []
            for begin, end in itertools.pairwise(bounds):
                piece = etree.Element(_PIECE_TAG)
                piece.text = text[begin:end]
                pieces.append(piece)
            element.text = None
            element[0:0] = pieces


class _JoinPieces(Treeprocessor):
    """After the inline patterns: the pieces' text and elements go back into their parent."""

    def run(self, root: etree.Element) -> None:
        for element in list(root.iter()):
            if len(element) and element[0].tag == _PIECE_TAG:
                _unwrap_pieces(element)


def _unwrap_pieces(element: etree.Element) -> None:
    children: list[etree.Element] = []
    text: list[str] = [element.text or ""]

    def close_text() -> None:
        joined = "".join(text)
        if children:
            children[-1].tail = joined or None
        else:
            element.text = joined or None
        text.clear()

    for child in list(element):
        tail = child.tail or ""
        inner = list(child) if child.tag == _PIECE_TAG else [child]
        if child.tag == _PIECE_TAG:
            text.append(child.text or "")
        for grandchild in inner:
            close_text()
            text.append(grandchild.tail or "")
            children.append(grandchild)
        text.append(tail)
    close_text()
    element[:] = children


class _BoundedTree(Treeprocessor):
    """Flattens into its text every element at :data:`MAX_DEPTH` below the root, and every
    element with more than :data:`MAX_GLUED` inline children glued together (no blank
    between them): WeasyPrint recurses once per level, and breaks a line inside such a run
    in time quadratic in its length."""

    def run(self, root: etree.Element) -> None:
        stack = [(root, 0)]
        while stack:
            element, depth = stack.pop()
            if len(element) and (depth >= MAX_DEPTH or _glued_run(element) > MAX_GLUED):
                element.text = "".join(element.itertext())
                for child in list(element):
                    element.remove(child)
                continue
            stack.extend((child, depth + 1) for child in element)


def _glued_run(element: etree.Element) -> int:
    """The longest run of ``element``'s children with no blank between two of them."""
    longest = run = 0
    between = element.text or ""
    for child in element:
        run = run + 1 if not _BLANK.search(between) else 1
        longest = max(longest, run)
        between = child.tail or ""
    return longest


class _TaskListBoxes(Treeprocessor):
    """Shows GitHub task-list items (``- [ ]``, ``- [x]``) with ballot boxes ☐ and ☑."""

    BOXES: ClassVar[dict[str, str]] = {"[ ] ": "☐ ", "[x] ": "☑ ", "[X] ": "☑ "}

    def run(self, root: etree.Element) -> None:
        for item in root.iter("li"):
            text = item.text or ""
            box = self.BOXES.get(text[:4])
            if box is not None:
                item.text = box + text[4:]


class _HtmlBlocks(Preprocessor):
    """Puts the report's HTML blocks where their marker lines are (see :class:`Blocks`).

    Runs after python-markdown's whitespace normalisation (which strips its own placeholder
    characters from the input) and before fenced code blocks: a line that is exactly a
    block's marker becomes python-markdown's placeholder for that block's HTML.
    """

    def __init__(self, md: markdown.Markdown, blocks: Blocks) -> None:
        super().__init__(md)
        self.blocks = blocks

    def run(self, lines: list[str]) -> list[str]:
        placed = self.blocks.placed
        if not placed:
            return lines
        return [self.md.htmlStash.store(placed[line]) if line in placed else line for line in lines]


class _HeadingIds(Treeprocessor):
    """Gives every ``h2`` an id (from its text) and records them: the PDF's table of contents."""

    def __init__(self, md: markdown.Markdown, found: list[tuple[str, str]]) -> None:
        super().__init__(md)
        self.found = found

    def run(self, root: etree.Element) -> None:
        used: set[str] = set()
        for heading in root.iter("h2"):
            text = " ".join("".join(heading.itertext()).split())
            slug = "-".join(_SLUG.findall(text.lower()))[:60] or "section"
            anchor, n = f"s-{slug}", 1
            while anchor in used:
                n += 1
                anchor = f"s-{slug}-{n}"
            used.add(anchor)
            heading.set("id", anchor)
            self.found.append((anchor, text))


_SLUG = re.compile(r"[a-z0-9]+")


class _BreakIds(Treeprocessor):
    """Inline code without blanks (ids, paths) may break after ``.``, ``-``, ``_``, ``/``,
    ``:``, ``=`` and ``,`` (and inside a long unbroken run): a ``<wbr>`` there
    (:func:`~reporter.render.filters.break_pieces`), and the stylesheet keeps words whole
    elsewhere. Inline code with blanks (a command) is marked ``cmd``: it wraps at its
    blanks, and breaks a word only when one is wider than the line."""

    def run(self, root: etree.Element) -> None:
        inside_pre = {id(c) for pre in root.iter("pre") for c in pre.iter("code")}
        for code in list(root.iter("code")):
            if id(code) in inside_pre or len(code) or not code.text:
                continue
            if any(char.isspace() for char in code.text):
                code.set("class", "cmd")
                continue
            pieces = break_pieces(code.text)
            if len(pieces) == 1:
                continue
            code.text = pieces[0]
            for piece in pieces[1:]:
                wbr = etree.SubElement(code, "wbr")
                wbr.tail = piece


class Blocks:
    """The HTML blocks of one rendering, each placed in the Markdown by a marker line.

    A marker is ``reporter-block-<nonce>-<n>``: the nonce is random for every rendering,
    so no collected or author text can name a block; the markers never reach the output.
    """

    def __init__(self) -> None:
        self.nonce = secrets.token_hex(12)
        self.placed: dict[str, str] = {}

    def add(self, html: str) -> str:
        """Keep ``html`` (a block-level element) and return the line that places it."""
        marker = f"reporter-block-{self.nonce}-{len(self.placed)}"
        self.placed[marker] = html
        return marker


def _converter(
    budget: _ScanBudget,
    blocks: Blocks | None = None,
    headings: list[tuple[str, str]] | None = None,
) -> markdown.Markdown:
    md = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    # No raw HTML: block-level and inline HTML are treated as text (and escaped).
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    # The report escapes '~' (strikethrough on GitHub) as '\~'; make that an escape here too.
    md.ESCAPED_CHARS.append("~")
    if blocks is not None:
        md.preprocessors.register(_HtmlBlocks(md, blocks), "reporter_blocks", 28)
    fenced = _LinearFencedBlocks(md, FencedCodeExtension().getConfigs())
    md.preprocessors.register(fenced, "fenced_code_block", 25)
    for cls, pattern, name, priority in _LINK_PATTERNS:
        processor = cls(pattern, md)  # type: ignore[call-arg]
        processor.budget = budget
        md.inlinePatterns.register(processor, name, priority)  # type: ignore[arg-type]
    # Around python-markdown's 'inline' (20): long texts are cut before and joined after.
    md.treeprocessors.register(_CutLongText(md), "cut_long_text", 25)
    md.treeprocessors.register(_JoinPieces(md), "join_pieces", 15)
    md.treeprocessors.register(_TaskListBoxes(md), "task_list_boxes", 0)
    # After python-markdown's own 'unescape' (0): attributes hold their final text.
    md.treeprocessors.register(_SafeLinksNoImages(md), "safe_links_no_images", -10)
    md.treeprocessors.register(_BoundedTree(md), "bounded_tree", -20)
    if headings is not None:
        md.treeprocessors.register(_HeadingIds(md, headings), "heading_ids", -30)
        md.treeprocessors.register(_BreakIds(md), "break_ids", -40)
    return md


def markdown_to_html(text: str) -> str:
    """Convert report Markdown to an HTML fragment: raw HTML off, links and depth made safe."""
    return convert_counting(text)[0]


def convert_counting(text: str) -> tuple[str, int]:
    """:func:`markdown_to_html`, and the characters its link patterns scanned (the work that
    is quadratic in stock python-markdown, bounded here by the scan budget)."""
    budget = _ScanBudget()
    budget.left = SCAN_BUDGET_PER_CHAR * len(text) + MAX_LINK_TARGET
    return _converter(budget).convert(text), budget.spent


@dataclass(frozen=True)
class Converted:
    """A report's Markdown as HTML, and its sections (``h2`` ids and texts)."""

    html: str
    headings: tuple[tuple[str, str], ...]


def convert_report(text: str, blocks: Blocks) -> Converted:
    """The report's Markdown as HTML, with its blocks in place and ids on its sections."""
    budget = _ScanBudget()
    budget.left = SCAN_BUDGET_PER_CHAR * len(text) + MAX_LINK_TARGET
    headings: list[tuple[str, str]] = []
    html_text = _converter(budget, blocks, headings).convert(text)
    return Converted(html=html_text, headings=tuple(headings))


def block_function(blocks: Blocks, template_dir: Path | None) -> Callable[..., str]:
    """``html_block(name)`` for the Markdown templates: renders the HTML template ``name``
    (autoescaped) with the calling template's context and returns the line that places it."""
    env = environment(template_dir)

    @pass_context
    def html_block(context: Context, name: str) -> str:
        return blocks.add(env.get_template(name).render(context.get_all()))

    return html_block


def render_page(
    bundle: Bundle,
    template_dir: Path | None = None,
    *,
    template: TemplateSet = TemplateSet.REPORT,
    target: Target = "screen",
    toc: Sequence[tuple[str, str]] = (),
    view: ReportView | None = None,
) -> Converted:
    """The whole HTML page for ``bundle``: the Markdown converted, the blocks placed, the CSS
    inlined; ``headings`` are its sections (for a table of contents)."""
    view = view if view is not None else build_view(bundle, bundle_sha256(bundle))
    blocks = Blocks()
    source = render_markdown(
        bundle,
        template_dir,
        template=template,
        target=target,
        toc=toc,
        html_block=block_function(blocks, template_dir),
        view=view,
    )
    body = convert_report(source, blocks)
    page = environment(template_dir).get_template(TEMPLATE)
    # Markup() is safe here only because `body` is python-markdown's output with raw HTML
    # disabled (see _converter), and the blocks are autoescaped HTML templates.
    html_page = page.render(
        title=bundle.spec.title,
        incident=bundle.spec.incident,
        verdict=bundle.verdict.value,
        generated_at=bundle.generated_at,
        target=target,
        body=Markup(body.html),  # noqa: S704 - python-markdown output, raw HTML disabled
    )
    return Converted(html=html_page, headings=body.headings)


def render_html(
    bundle: Bundle,
    template_dir: Path | None = None,
    template: TemplateSet = TemplateSet.REPORT,
) -> str:
    """The HTML report for ``bundle`` (for a screen: each check's commands under it)."""
    return render_page(bundle, template_dir, template=template).html


class HtmlRenderer:
    """The ``html`` format."""

    def __init__(
        self, template_dir: Path | None = None, template: TemplateSet = TemplateSet.REPORT
    ) -> None:
        self.template_dir = template_dir
        self.template = template

    def render(self, bundle: Bundle) -> bytes:
        """The HTML report, UTF-8."""
        return render_html(bundle, self.template_dir, self.template).encode("utf-8")
