"""Jinja filters: collected text becomes inert Markdown, times and sizes become words.

Everything that comes from evidence (log lines, AWS error messages, tags, file lines,
titles) is *data*: these filters make sure it shows up literally and can never change
the structure of the report it is placed in.

- :func:`md_text` for prose and table cells (escapes every Markdown metacharacter);
- :func:`md_code` for an inline code span (the fence outgrows any backtick run inside);
- :func:`md_fence` for a fenced code block (same rule, at least three backticks);
- :func:`shell_quote` for a word inside a shell command shown in a code block;
- :func:`shell_glob` for a glob pattern there (its wildcards left to the shell).

The author's own Markdown is the one exception: it is rendered as Markdown, made harmless
by :mod:`reporter.render.author` — ``[notes]`` through :func:`md_author`, ``[[checklist]]``
items through :func:`md_inline` (kept on one line).
"""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime, timedelta

from markupsafe import Markup, escape

from reporter.render.author import author_block, author_inline
from reporter.text import visible

MISSING = "—"
"""What a filter shows for a value that is not there (``None``)."""

_MD_PUNCTUATION = re.compile(r"([\\`*\[\]|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
"""Punctuation that means something anywhere in a line (``_`` only at a word's edge:
inside a word, as in ``fixed_at``, neither python-markdown nor GFM reads it)."""
_MD_LINE_START = re.compile(r"^(\s*)([#+\->]|\d+[.)])")
"""What means something only at the start of a line: headings, list items, quotes."""
_BACKTICK_RUN = re.compile(r"`+")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _one_line(value: object) -> str:
    """``value`` as one line: newlines become spaces, control characters visible escapes."""
    return visible(_NEWLINES.sub(" ", str(value)), keep_newlines=True)


def md_text(value: object) -> str:
    """Text that reads literally in Markdown prose or a table cell.

    Markdown punctuation is backslash-escaped, ``&`` and ``<`` become entities,
    newlines become spaces and control characters visible escapes (``\\x1b``).
    ``None`` shows as an em dash.
    """
    if value is None:
        return MISSING
    text = _one_line(value).replace("&", "&amp;").replace("<", "&lt;")
    text = _MD_PUNCTUATION.sub(r"\\\1", text)
    return _MD_LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match[str]) -> str:
    lead, mark = match.group(1), match.group(2)
    return f"{lead}{mark[:-1]}\\{mark[-1]}"


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)


def md_inline(value: object) -> str:
    """The author's own inline Markdown (a checklist item), kept on one list item.

    Rendered as Markdown, made harmless by :func:`~reporter.render.author.author_inline`:
    one line, no raw HTML, no image, no block marker at the start, control characters and
    bidirectional controls visible.
    """
    return MISSING if value is None else author_inline(value)


def md_author(value: object) -> str:
    """The author's own block Markdown (a note), which cannot hide what follows it.

    Made harmless by :func:`~reporter.render.author.author_block`: no raw HTML, no image,
    nothing left open at its end, nesting capped; ``None`` gives an empty string.
    """
    return "" if value is None else author_block(value)


def md_code(value: object) -> str:
    """An inline code span showing ``value`` literally, whatever backticks it holds.

    The fence is one backtick longer than the longest run inside; the content is padded
    with a space on each side when it starts or ends with a backtick or a space (Markdown
    strips exactly one such space on each side).
    """
    if value is None:
        return MISSING
    text = _one_line(value)
    if not text:
        return "` `"
    fence = "`" * (_longest_backtick_run(text) + 1)
    if text[0] in "` " or text[-1] in "` ":
        text = f" {text} "
    return f"{fence}{text}{fence}"


def md_fence(value: object, language: str = "") -> str:
    """A fenced code block holding ``value`` literally, ending with a newline.

    The fence is at least three backticks and longer than any backtick run inside, so no
    line of the content can close it; control characters become visible escapes.
    """
    text = visible(str(value), keep_newlines=True).strip("\n")
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    info = re.sub(r"[^A-Za-z0-9_+-]", "", language)
    return f"{fence}{info}\n{text}\n{fence}\n"


def shell_quote(value: object) -> str:
    """One shell word (POSIX quoting), control characters shown as escapes."""
    return shlex.quote(_one_line(value))


_GLOB_PART = re.compile(r"(\*\*|\*|\?|\[[^\]/]+\])")


def shell_glob(value: object) -> str:
    """A glob pattern as one shell word that still globs: ``*``, ``**``, ``?`` and
    ``[...]`` are left bare, everything else is quoted (control characters shown)."""
    parts = _GLOB_PART.split(_one_line(value))
    return "".join(
        part if n % 2 else (shlex.quote(part) if part else "") for n, part in enumerate(parts)
    )


def plain(value: object) -> str:
    """Text on one line with control characters as visible escapes (for HTML attributes)."""
    return MISSING if value is None else _one_line(value)


BREAK_AFTER = frozenset(".-_/:=,")
"""Where an id, a path or a command may break across lines (after these characters)."""
LONGEST_PIECE = 40
"""Characters without a blank or a break character after which a break is allowed anyway,
so a long unbroken string wraps instead of leaving the page."""


def break_pieces(text: str) -> list[str]:
    """``text`` cut after each of :data:`BREAK_AFTER` and after every run of
    :data:`LONGEST_PIECE` characters with neither a blank nor one of them (linear)."""
    pieces: list[str] = []
    start = run = 0
    for at, char in enumerate(text):
        run = 0 if char.isspace() else run + 1
        if char in BREAK_AFTER or run >= LONGEST_PIECE:
            pieces.append(text[start : at + 1])
            start, run = at + 1, 0
    if start < len(text) or not pieces:
        pieces.append(text[start:])
    return pieces


def wbr(value: object) -> Markup:
    """HTML for an id, a path or a command that may break only after ``.``, ``-``, ``_``,
    ``/``, ``:``, ``=`` or ``,`` (a ``<wbr>`` there, see :func:`break_pieces`; the stylesheet
    keeps words whole elsewhere). Control characters are shown as escapes; the text is
    HTML-escaped."""
    return Markup("<wbr>").join(escape(piece) for piece in break_pieces(plain(value)))


def shown_text(value: object) -> str:
    """Text as collected, its line breaks kept, control characters as visible escapes."""
    return MISSING if value is None else visible(str(value), keep_newlines=True)


def utc(value: datetime | None) -> str:
    """``2025-11-25 21:54:59 UTC``."""
    if value is None:
        return MISSING
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso_z(value: datetime | None) -> str:
    """``2025-11-26T10:49:43Z``: a log line's timestamp."""
    if value is None:
        return MISSING
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso(value: datetime | None) -> str:
    """Full ISO 8601 in UTC, as the AWS CLI prints it: ``2025-11-25T21:54:59.450000+00:00``."""
    if value is None:
        return MISSING
    return value.astimezone(UTC).isoformat()


def long_date(value: datetime | None) -> str:
    """``November 26, 2025`` (in UTC, English whatever the locale)."""
    if value is None:
        return MISSING
    day = value.astimezone(UTC)
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def month_day(value: datetime | None) -> str:
    """``November 26`` (in UTC)."""
    if value is None:
        return MISSING
    day = value.astimezone(UTC)
    return f"{_MONTHS[day.month - 1]} {day.day}"


def month_day_short(value: datetime | None) -> str:
    """``Nov 26`` (in UTC)."""
    if value is None:
        return MISSING
    day = value.astimezone(UTC)
    return f"{_MONTHS[day.month - 1][:3]} {day.day}"


def hhmm_plain(value: datetime | None) -> str:
    """``21:54`` (in UTC)."""
    if value is None:
        return MISSING
    return value.astimezone(UTC).strftime("%H:%M")


def hhmm(value: datetime | None) -> str:
    """``21:54 UTC``."""
    if value is None:
        return MISSING
    return value.astimezone(UTC).strftime("%H:%M UTC")


def duration(value: timedelta | None) -> str:
    """A length of time in words, sign ignored: ``11 h 5 min``, ``2 days 3 h``, ``40 s``."""
    if value is None:
        return MISSING
    seconds = int(abs(value.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        parts = [f"{days} day" + ("s" if days != 1 else ""), f"{hours} h" if hours else ""]
    elif hours:
        parts = [f"{hours} h", f"{minutes} min" if minutes else ""]
    elif minutes:
        parts = [f"{minutes} min", f"{secs} s" if secs else ""]
    else:
        parts = [f"{secs} s"]
    return " ".join(p for p in parts if p)


def offset(value: timedelta | None) -> str:
    """A signed length of time: ``+1 h 49 min`` (after), ``0``, and before it the same with a
    minus sign (U+2212, which reads as one in every font)."""
    if value is None:
        return MISSING
    if abs(value.total_seconds()) < 1:
        return "0"
    return ("+" if value.total_seconds() > 0 else "\u2212") + duration(value)


def utc_short(value: datetime | None) -> str:
    """``2025-11-25 21:54:59`` (UTC, the zone said once in a column's heading)."""
    if value is None:
        return MISSING
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


_MERMAID_UNSAFE = re.compile(r"[^\w .,=+/'()\[\]@-]+")
"""What a Mermaid gantt task name may not hold (``:``, ``#``, ``;``, quotes, backticks...)."""


def mermaid(value: object) -> str:
    """Text for a Mermaid task name: one line, characters Mermaid reads as syntax (``:``,
    ``#``, ``;``, ``%``, quotes, backticks, braces) replaced by a blank, at most 60
    characters. The drawing repeats the table above it; the table has the exact text."""
    text = _MERMAID_UNSAFE.sub(" ", visible(str(value), keep_newlines=False))
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:59] + "…"


def mermaid_time(value: datetime | None) -> str:
    """``2025-11-25 21:54:59``: a Mermaid ``dateFormat YYYY-MM-DD HH:mm:ss`` time (UTC)."""
    return utc_short(value)


def capitalize_first(value: object) -> str:
    """``value`` with its first letter in upper case (the rest as it is)."""
    text = str(value)
    return text[:1].upper() + text[1:]


def rstrip(value: object) -> str:
    """``value`` without the blanks and line breaks at its end."""
    return str(value).rstrip()


def lower_first(value: object) -> str:
    """``value`` with its first letter in lower case (a title used inside a sentence)."""
    text = str(value)
    return text[:1].lower() + text[1:]


def thousands(value: int | None) -> str:
    """``18,230``."""
    return MISSING if value is None else f"{value:,}"


def size(value: int | None) -> str:
    """Bytes in binary units: ``312.4 MiB``."""
    if value is None:
        return MISSING
    if value < 1024:
        return f"{value} bytes"
    units = ("KiB", "MiB", "GiB", "TiB")
    amount, unit = value / 1024, 0
    while amount >= 1024 and unit < len(units) - 1:
        amount, unit = amount / 1024, unit + 1
    return f"{amount:.1f} {units[unit]}"


def short_id(value: str | None) -> str:
    """The last part of an ARN or path (a task id from a task ARN)."""
    if value is None:
        return MISSING
    return value.rsplit("/", 1)[-1]


def short_digest(value: str | None) -> str:
    """``sha256:1a2b3c4d5e6f`` (12 hex digits), enough to tell digests apart."""
    if value is None:
        return MISSING
    algorithm, _, hexdigits = value.partition(":")
    return f"{algorithm}:{hexdigits[:12]}" if hexdigits else value[:19]


FILTERS = {
    "md_text": md_text,
    "md_inline": md_inline,
    "md_author": md_author,
    "md_code": md_code,
    "md_fence": md_fence,
    "sh": shell_quote,
    "sh_glob": shell_glob,
    "plain": plain,
    "wbr": wbr,
    "shown": shown_text,
    "utc": utc,
    "iso": iso,
    "iso_z": iso_z,
    "long_date": long_date,
    "month_day": month_day,
    "hhmm": hhmm,
    "hhmm_plain": hhmm_plain,
    "month_day_short": month_day_short,
    "duration": duration,
    "offset": offset,
    "utc_short": utc_short,
    "mermaid": mermaid,
    "mermaid_time": mermaid_time,
    "lower_first": lower_first,
    "rstrip": rstrip,
    "capitalize_first": capitalize_first,
    "size": size,
    "thousands": thousands,
    "short_id": short_id,
    "short_digest": short_digest,
}
"""Every filter the templates may use, by name."""
