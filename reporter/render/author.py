"""The author's own Markdown (``[notes]`` and ``[[checklist]]`` items), made harmless.

The spec's author writes Markdown on purpose and the report renders it as Markdown. But
notes are often pasted from others, and reports are opened by others, so what a note or an
item holds cannot attack the report's readers or hide the report's other sections:

- **No raw HTML.** A ``<`` that would open a tag, a comment, a declaration or a processing
  instruction becomes ``&lt;`` (outside code), so the ``.md`` shows it as text in every
  viewer, as the HTML and PDF do (python-markdown runs with raw HTML off). Autolinks
  ``<https://...>``, ``<mailto:...>`` and ``<name@host>`` are kept.
- **No images.** ``![alt](url)`` becomes ``\\![alt](url)``: a ``!`` and a link, so no viewer
  loads anything because of a note. (The HTML converter turns any ``<img>`` that still
  appears into a link too, and keeps only ``http``, ``https``, ``mailto`` and ``#`` links:
  :mod:`reporter.render.html`.)
- **Nothing left open.** A note is checked with a CommonMark block parser (markdown-it-py,
  GitHub's table extension on) followed by a heading, as the report follows it with its
  next section: a code fence still open at the end has its opening line escaped, so the
  next section parses. A checklist item is one line; a block marker at its start
  (heading, quote, list, fence, thematic break, link definition) is escaped, so an item
  stays one list item.
- **Bounded nesting.** A note whose quotes and lists nest deeper than :data:`MAX_NESTING`
  CommonMark levels (or a line with more than :data:`MAX_LINE_CONTAINERS` container markers)
  is shown as a plain-text block instead: viewers stop parsing at such depths, and the PDF
  renderer recurses on them.
- Control characters and bidirectional controls are visible escapes
  (:func:`reporter.text.visible`).

The cost is linear in the text: one regular-expression pass per line and at most
:data:`MAX_PASSES` block parses (markdown-it's block parser is linear; its inline parser is
not run).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

from reporter.text import visible

MAX_NESTING = 20
"""Deepest CommonMark block nesting a note may reach (markdown-it's ``commonmark`` limit:
a list level counts two, a quote one). Deeper, a viewer stops parsing the rest of the
document; the note is shown as plain text instead."""
MAX_LINE_CONTAINERS = 8
"""Most container markers (``>``, list markers) at the start of one line of a note."""
MAX_PASSES = 4
"""Block parses spent closing what a note leaves open before it is shown as plain text."""

SENTINEL = "# reporter: the section after the author's text"
"""What the check puts after a note: the report follows a note with its next section."""

PLAIN_TEXT_NOTICE = (
    "*(The author's text below is shown as plain text: it nests too deeply or leaves a block "
    "open.)*"
)

_NEWLINES = re.compile(r"\r\n|\r|\n")
_BACKTICK_RUN = re.compile(r"`+")
_HTML_OR_IMAGE = re.compile(r"<(?=[A-Za-z/!?])|!\[")
"""A ``<`` that may open raw HTML, or an image's ``![``."""
_KEPT_ANGLE = re.compile(
    r"<(?:(?:https?|mailto):[^\s<>]*|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+)>",
    re.IGNORECASE,
)
"""Autolinks kept as they are: web and mail addresses."""
_DESTINATION_BEFORE = re.compile(r"(?:\]\(|\]:[ \t]*)[ \t]*$")
"""Text before a ``<`` that opens an angle-bracket link destination: ``](<...>)``."""
_CONTAINER = re.compile(r"[ \t]{0,3}(?:>[ \t]?|(?:[-+*]|\d{1,9}[.)])(?:[ \t]+|$))")
_THEMATIC_BREAK = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_BLOCK_START = re.compile(
    r"(?:#{1,6}(?=[ \t]|$)|>|[-+*](?=[ \t]|$)|`{3,}|~{3,}|\[(?:[^\]\\]|\\.)*\]:)"
)
"""What makes a line's start a block: a heading, quote, list item, fence, link definition."""
_ORDERED_ITEM = re.compile(r"(\d{1,9})([.)])(?=[ \t]|$)")
_FENCE_CHAR = re.compile(r"[`~]")


@functools.cache
def _block_parser() -> MarkdownIt:
    """CommonMark with GitHub's tables, block rules only (inline content is never parsed)."""
    parser = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).enable("table")
    parser.disable("inline")
    return parser


def author_block(value: object) -> str:
    """A note (block Markdown) that cannot hide what follows it or load anything.

    Returns the note with raw HTML and images escaped, a code fence it leaves open escaped,
    control characters visible; or the note as a plain-text code block when it nests
    deeper than :data:`MAX_NESTING` (announced by :data:`PLAIN_TEXT_NOTICE`). Blanks at the
    end are kept as they are: the template follows a note with a blank line.
    """
    shown = visible(str(value))
    note = shown.rstrip()
    if not note:
        return shown
    trailing = shown[len(note) :]  # kept, so a note renders as it always did
    lines = note.split("\n")
    if any(_line_containers(line) > MAX_LINE_CONTAINERS for line in lines):
        return plain_text_block(note) + trailing
    tokens = _parse(lines)
    code = _code_lines(tokens)
    lines = [line if n in code else escape_html_and_images(line) for n, line in enumerate(lines)]
    for _ in range(MAX_PASSES):
        opener = _left_open(_parse(lines), len(lines))
        if opener is None:
            return "\n".join(lines) + trailing
        if opener < 0:
            break
        lines[opener] = _escape_first(lines[opener], _FENCE_CHAR, "\\")
    return plain_text_block(note) + trailing


def author_inline(value: object) -> str:
    """A checklist item (inline Markdown) that stays one list item and loads nothing.

    One line (newlines become spaces, leading blanks go), raw HTML and images escaped, a
    block marker at the start escaped, control characters visible.
    """
    line = visible(_NEWLINES.sub(" ", str(value))).strip()
    line = escape_html_and_images(line)
    if _THEMATIC_BREAK.match(line) or _BLOCK_START.match(line):
        return "\\" + line
    ordered = _ORDERED_ITEM.match(line)
    if ordered:
        return f"{ordered.group(1)}\\{line[ordered.end(1) :]}"
    return line


def plain_text_block(text: str) -> str:
    """``text`` as a fenced plain-text block no line inside can close, after a notice."""
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{PLAIN_TEXT_NOTICE}\n\n{fence}text\n{text}\n{fence}"


def escape_html_and_images(line: str) -> str:
    """One line of author Markdown with raw HTML and images escaped outside code spans.

    ``<`` that may open a tag, comment, declaration or processing instruction becomes
    ``&lt;`` (web and mail autolinks and ``](<destination>)`` stay); ``![`` becomes
    ``\\![``. Code spans (a backtick run up to the next run of the same length) are left
    alone, since Markdown shows them literally anyway.
    """
    if "<" not in line and "![" not in line:
        return line
    out: list[str] = []
    start = 0
    for span_start, span_end in code_spans(line):
        out.append(_escape_segment(line[start:span_start]))
        out.append(line[span_start:span_end])
        start = span_end
    out.append(_escape_segment(line[start:]))
    return "".join(out)


def _escape_segment(segment: str) -> str:
    def replace(match: re.Match[str]) -> str:
        at = match.start()
        if _escaped(segment, at):  # the author escaped it already
            return match.group()
        if match.group() == "![":
            return "\\!["
        if _KEPT_ANGLE.match(segment, at) or _DESTINATION_BEFORE.search(
            segment, max(0, at - 40), at
        ):
            return match.group()
        return "&lt;"

    return _HTML_OR_IMAGE.sub(replace, segment)


def code_spans(line: str) -> list[tuple[int, int]]:
    """Where the code spans of ``line`` are, ``[start, end)`` in order (CommonMark's rule:
    a backtick run up to the next run of the same length; one pass)."""
    runs: list[tuple[int, int]] = []
    for match in _BACKTICK_RUN.finditer(line):
        begin, end = match.span()
        if _escaped(line, begin):  # an escaped first backtick is text
            begin += 1
        if begin < end:
            runs.append((begin, end))
    following: list[int | None] = [None] * len(runs)
    last_of_length: dict[int, int] = {}
    for n in range(len(runs) - 1, -1, -1):
        length = runs[n][1] - runs[n][0]
        following[n] = last_of_length.get(length)
        last_of_length[length] = n
    spans: list[tuple[int, int]] = []
    n = 0
    while n < len(runs):
        closer = following[n]
        if closer is None:
            n += 1
            continue
        spans.append((runs[n][0], runs[closer][1]))
        n = closer + 1
    return spans


def _escaped(text: str, at: int) -> bool:
    """Whether ``text[at]`` follows an odd number of backslashes (each run is read once:
    what follows a backslash run is one character)."""
    before = at
    while before > 0 and text[before - 1] == "\\":
        before -= 1
    return (at - before) % 2 == 1


def _line_containers(line: str) -> int:
    """How many container markers (``>``, list markers) open ``line`` (stops past the cap)."""
    if _THEMATIC_BREAK.match(line):
        return 0
    depth = position = 0
    while depth <= MAX_LINE_CONTAINERS:
        match = _CONTAINER.match(line, position)
        if match is None or match.end() == position:
            break
        depth += 1
        position = match.end()
    return depth


def _parse(lines: Sequence[str]) -> list[Token]:
    """The block tokens of the note followed by a blank line and :data:`SENTINEL`."""
    return _block_parser().parse("\n".join([*lines, "", SENTINEL, ""]))


def _code_lines(tokens: Sequence[Token]) -> set[int]:
    """The line numbers inside fenced and indented code blocks."""
    lines: set[int] = set()
    for token in tokens:
        if token.type in ("fence", "code_block") and token.map is not None:
            lines.update(range(token.map[0], token.map[1]))
    return lines


def _left_open(tokens: Sequence[Token], note_lines: int) -> int | None:
    """None when the sentinel after the note is a heading of its own; else the line that
    opens the block still open there (a fence), or -1 when nothing explains it (nesting
    past :data:`MAX_NESTING`)."""
    sentinel = note_lines + 1
    for token in tokens:
        if token.map is None or token.level != 0:
            continue
        first, end = token.map
        if token.type == "heading_open" and first == sentinel:
            return None
        if first < note_lines and first <= sentinel < end and token.type == "fence":
            return first
    return -1


def _escape_first(line: str, what: re.Pattern[str], escape: str) -> str:
    """``line`` with ``escape`` put before the first match of ``what``."""
    match = what.search(line)
    if match is None:
        return line
    return f"{line[: match.start()]}{escape}{line[match.start() :]}"
