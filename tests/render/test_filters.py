"""The escaping filters: collected text reads literally, in Markdown and once converted."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reporter.render.filters import (
    duration,
    iso,
    iso_z,
    long_date,
    md_code,
    md_fence,
    md_text,
    shell_quote,
    short_digest,
    short_id,
    size,
    thousands,
    utc,
)
from reporter.render.html import markdown_to_html
from reporter.text import visible

# Printable text with every Markdown metacharacter, HTML, entities and control characters.
TEXT = st.text(
    alphabet=st.sampled_from(
        [
            *"abcXYZ019 \t\\`*_{}[]()#+-.!|>~<&;:'\"/=%$@^?",
            "\x1b",
            "\x00",
            "\x7f",
            "é",
            "✔",
            "\u2028",
        ]
    ),
    max_size=60,
)


def _inner(fragment: str, tag: str) -> str:
    """The text inside the first <tag>...</tag> of ``fragment``, unescaped."""
    found = re.search(rf"<{tag}>(.*?)</{tag}>", fragment, re.DOTALL)
    assert found is not None, fragment
    return html.unescape(found.group(1))


def _spaces(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text)


def test_md_text_escapes_markdown_and_html() -> None:
    assert md_text("a_b *c* `d` <script>&amp;") == r"a_b \*c\* \`d\` &lt;script>&amp;amp;"
    assert md_text("line one\nline two") == "line one line two"
    assert md_text("bell\x07") == r"bell\\x07"
    assert md_text(None) == "—"


def test_md_text_in_a_table_cell_keeps_the_table() -> None:
    cell = md_text("a | b ||| c")
    page = markdown_to_html(f"| x | y |\n|---|---|\n| {cell} | z |\n")
    assert page.count("<td>") == 2
    assert "a | b ||| c" in html.unescape(page)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_md_text_reads_literally_once_converted(text: str) -> None:
    fragment = markdown_to_html(f"Before {md_text(text)} after.")
    assert fragment.count("<p>") == 1
    shown = _inner(fragment, "p")
    expected = visible(re.sub(r"\r\n|\r|\n", " ", text))
    assert " ".join(shown.split()) == " ".join(f"Before {expected} after.".split())


@settings(max_examples=300, deadline=None)
@given(TEXT.filter(lambda t: t.strip() != ""))
def test_md_code_reads_literally_once_converted(text: str) -> None:
    fragment = markdown_to_html(f"Before {md_code(text)} after.")
    assert fragment.count("<code>") == 1
    expected = visible(re.sub(r"\r\n|\r|\n", " ", text))
    # python-markdown strips the spaces at both ends of a code span and expands tabs.
    assert _spaces(_inner(fragment, "code")) == _spaces(expected).strip()


def test_md_code_fence_outgrows_backticks() -> None:
    assert md_code("plain") == "`plain`"
    assert md_code("a ` b") == "``a ` b``"
    assert md_code("```") == "```` ``` ````"
    assert md_code("`edge`") == "`` `edge` ``"


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=5))
def test_md_fence_cannot_be_closed_from_inside(lines: list[str]) -> None:
    content = "\n".join(["```", *lines, "````", "## not a heading"])
    fragment = markdown_to_html(f"# Title\n\n{md_fence(content)}\nAfter.\n")
    assert fragment.count("<pre>") == 1
    assert "<h2>" not in fragment
    assert fragment.rstrip().endswith("<p>After.</p>")


def test_md_fence_shape() -> None:
    assert md_fence("x", "bash") == "```bash\nx\n```\n"
    assert md_fence("a\n````\nb") == "`````\na\n````\nb\n`````\n"
    assert md_fence("esc \x1b[31m") == "```\nesc \\x1b[31m\n```\n"


def test_shell_quote() -> None:
    assert shell_quote("plain-name") == "plain-name"
    assert shell_quote("it's here") == "'it'\"'\"'s here'"
    assert shell_quote("a\nb") == "'a b'"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(hours=11, minutes=5, seconds=3), "11 h 5 min"),
        (timedelta(hours=-11, minutes=-5), "11 h 5 min"),
        (timedelta(days=2, hours=3), "2 days 3 h"),
        (timedelta(days=1), "1 day"),
        (timedelta(minutes=30), "30 min"),
        (timedelta(seconds=40), "40 s"),
        (timedelta(hours=3), "3 h"),
        (None, "—"),
    ],
)
def test_duration(value: timedelta | None, text: str) -> None:
    assert duration(value) == text


def test_times_are_shown_in_utc() -> None:
    pushed = datetime(2025, 11, 25, 21, 54, 59, 450000, tzinfo=UTC)
    assert utc(pushed) == "2025-11-25 21:54:59 UTC"
    assert iso(pushed) == "2025-11-25T21:54:59.450000+00:00"
    assert iso_z(pushed) == "2025-11-25T21:54:59Z"
    assert long_date(pushed) == "November 25, 2025"
    assert utc(None) == "—"


def test_small_formatters() -> None:
    assert size(512) == "512 bytes"
    assert size(327_550_000) == "312.4 MiB"
    assert size(None) == "—"
    assert thousands(18230) == "18,230"
    assert short_id("arn:aws:ecs:us-east-1:1:task/cluster/9f1c") == "9f1c"
    assert short_digest("sha256:" + "ab" * 32) == "sha256:abababababab"


def test_ids_break_only_after_their_separators() -> None:
    from reporter.render.filters import LONGEST_PIECE, break_pieces, wbr

    assert break_pieces("multi-platform-parsing.image_after_fix") == [
        "multi-",
        "platform-",
        "parsing.",
        "image_",
        "after_",
        "fix",
    ]
    assert break_pieces("plain") == ["plain"]
    assert break_pieces("") == [""]
    long_run = "a" * (LONGEST_PIECE * 2 + 3)
    assert [len(p) for p in break_pieces(long_run)] == [LONGEST_PIECE, LONGEST_PIECE, 3]
    assert "".join(break_pieces("s3://bucket/x-y_z.log")) == "s3://bucket/x-y_z.log"
    assert str(wbr("a.<b>")) == "a.<wbr>&lt;b&gt;"
    assert str(wbr("x\x1by")) == "x\\x1by"


def test_html_inline_code_breaks_at_separators_commands_at_blanks() -> None:
    from reporter.render.html import Blocks, convert_report

    html = convert_report(
        "## A\n\n`force-task-restart.logs_retired` and `aws ecs describe-tasks --cluster c`\n",
        Blocks(),
    ).html
    assert "<code>force-<wbr>task-<wbr>restart.<wbr>logs_<wbr>retired</code>" in html
    assert '<code class="cmd">aws ecs describe-tasks --cluster c</code>' in html
    assert '<h2 id="s-a">A</h2>' in html
