"""Rendering costs in proportion to what it renders: proved by counting work, not by a clock.

The work of a conversion is counted deterministically (:func:`work`): every Python line
run, plus the characters python-markdown holds each time it applies an inline pattern or
searches for a fenced block (stock python-markdown copies its whole text at each match,
work that runs in C and no line count sees). Doubling the input must at most about double
the work; the stock converter's quadratic cost shows as a ratio near 4 in the same measure.
Speed itself is measured by ``make bench``.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import markdown
import pytest
from markdown.extensions.fenced_code import FencedBlockPreprocessor

from reporter.render import OutputFormat, render
from reporter.render.author import author_block, author_inline, code_spans
from reporter.render.filters import md_code, md_fence, md_text
from reporter.render.html import PIECE_CHARS, cut_points, markdown_to_html
from tests.benchmarks.bench_render import HOSTILE_NOTES, limits_bundle

LINEAR = 2.6
"""Largest work ratio accepted when the input doubles (2 is exactly linear)."""
_STOCK_FENCES = FencedBlockPreprocessor.run.__code__


def work(fn: Callable[[], object]) -> int:
    """The work ``fn`` does, counted as the module docstring says."""
    total = 0

    def line(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal total
        if event == "line":
            total += 1
            if frame.f_code is _STOCK_FENCES:
                total += len(frame.f_locals.get("text") or "")
        return line

    def call(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal total
        if frame.f_code.co_name == "__applyPattern":
            total += len(frame.f_locals.get("data") or "")
        return line

    sys.settrace(call)
    try:
        fn()
    finally:
        sys.settrace(None)
    return total


def ratio(make: Callable[[int], Callable[[], object]], n: int) -> float:
    """Work at ``2 n`` over work at ``n``."""
    return work(make(2 * n)) / work(make(n))


def test_the_measure_sees_quadratic_cost() -> None:
    """Stock python-markdown on a note of ``[``: the cost this module guards against."""

    def stock(n: int) -> Callable[[], object]:
        return lambda: markdown.markdown("[" * n)

    assert ratio(stock, 300) > 3.5


QUADRATIC_BEFORE = (
    "open brackets",
    "nested brackets",
    "images",
    "unclosed links",
    "reference openers",
    "escapes",
    "tags",
    "fences of every length",
    "emphasis",
    "deep quotes",
    "deep lists",
)


@pytest.mark.parametrize("kind", QUADRATIC_BEFORE)
def test_a_hostile_note_costs_linear_work(kind: str) -> None:
    def convert(n: int) -> Callable[[], object]:
        note = HOSTILE_NOTES[kind](n)
        return lambda: markdown_to_html(author_block(note))

    assert ratio(convert, 8000) < LINEAR


def test_glued_inline_elements_cost_linear_work() -> None:
    def convert(n: int) -> Callable[[], object]:
        return lambda: markdown_to_html(author_block("a*b*" * (n // 4)))

    assert ratio(convert, 8000) < LINEAR


def test_checklist_items_cost_linear_work() -> None:
    item = author_inline("[" * 1000 + "<a" * 400 + "*x" * 100)

    def convert(n: int) -> Callable[[], object]:
        return lambda: markdown_to_html("".join(f"- [ ] {item}\n" for _ in range(n)))

    assert ratio(convert, 4) < LINEAR


def test_a_long_escaped_paragraph_costs_linear_work() -> None:
    """Collected text is escaped for Markdown: a long one is many inline escapes."""

    def convert(n: int) -> Callable[[], object]:
        return lambda: markdown_to_html("Summary: " + md_text("x[y]*z_ " * (n // 8)))

    assert ratio(convert, 8000) < LINEAR


def test_many_fenced_blocks_cost_linear_work() -> None:
    def convert(n: int) -> Callable[[], object]:
        blocks = "".join(f"Excerpt {k}:\n\n{md_fence('x' * 200)}\n" for k in range(n))
        return lambda: markdown_to_html(blocks)

    assert ratio(convert, 40) < LINEAR


def test_fenced_blocks_render_as_stock_python_markdown() -> None:
    document = "".join(
        [
            "```bash\n$ echo ok\nok\n```\n\n",
            "~~~~\n~~~\nstill inside\n~~~~\n\n",
            "````python\n```\nnested\n```\n````\n\n",
            "```\nnever closed\n\n",
            "text\n\n```{.lang}\nattrs\n```\n",
        ]
    )
    stock = markdown.Markdown(extensions=["fenced_code"])
    assert markdown_to_html(document) == stock.convert(document)


def report_of(files: int, texts: int) -> str:
    bundle = limits_bundle(hotfixes=2, texts=texts, files=files, checklist=1, notes={})
    return render(bundle, OutputFormat.MD).decode("utf-8")


def actions_of(report: str) -> str:
    return report.split("## Required Actions", 1)[1].split("\n## ", 1)[0]


def test_remediation_names_the_files_once() -> None:
    """The unseen texts are searched for in the file set, each file named once (in Appendix
    B's arrays): neither the required actions nor the checks' commands repeat the files."""
    report = report_of(files=100, texts=8)
    section = actions_of(report)
    assert section == actions_of(report_of(files=200, texts=8))
    assert "app-00001.log" not in section
    assert report.count("app-00050.log") == 1  # checks name the first 3 files in summaries
    assert section.count("zgrep -F ") == 1  # every unseen text in one search
    more = actions_of(report_of(files=100, texts=16))
    assert more.count("zgrep -F ") == 1
    assert more.count(" -e ") == 2 * section.count(" -e ")


def test_long_text_is_cut_between_words_outside_code() -> None:
    text = "".join(f"see `code {n} with spaces` and \\* word{n} " for n in range(400))
    cuts = cut_points(text)
    bounds = [0, *cuts, len(text)]
    assert all(0 < b - a <= PIECE_CHARS for a, b in itertools.pairwise(bounds))
    spans = code_spans(text)
    for cut in cuts:
        assert text[cut - 1] in " \n"
        assert text[cut - 2] != "\\"
        assert not any(start < cut < end for start, end in spans)


def test_a_cut_never_splits_a_stashed_block() -> None:
    text = "x" * (PIECE_CHARS - 10) + "\x02wzxhzdk:1\x03" + "y" * PIECE_CHARS
    assert cut_points(text)[0] == PIECE_CHARS - 10


def test_a_long_paragraph_keeps_every_inline_element() -> None:
    names = [f"logs/app-{n:05d}.log" for n in range(3000)]
    page = markdown_to_html("- **Files:** " + ", ".join(md_code(name) for name in names))
    assert page.count("<code>") == len(names)
    assert "<code>logs/app-02999.log</code>" in page
    assert "reporter-piece" not in page
