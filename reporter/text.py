"""Collected text is data: make it safe to store and show, whatever it holds."""

from __future__ import annotations

import re

from reporter.redact import Redactor

EXCERPT_CHARS = 2000
"""Longest log message kept in an excerpt; the rest is cut with a visible marker."""

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Unicode bidirectional controls: the Arabic letter mark, the left-to-right and
right-to-left marks, embeddings, overrides and isolates. Raw, they reorder the text around
them on screen (a "Trojan Source" line reads differently from what it holds), so they are
shown as visible escapes like control characters."""

_INVISIBLE = "\x0b-\x1f\x7f-\x9f\u2028\u2029" + BIDI_CONTROLS
_CONTROL = re.compile(f"[\\x00-\\x08{_INVISIBLE}]")
_CONTROL_NO_NEWLINES = re.compile(f"[\\x00-\\x0a{_INVISIBLE}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, keep_newlines: bool = True) -> str:
    """Show control characters and bidirectional controls as visible escapes.

    ``\\x1b`` for a character below U+0100, ``\\u202e`` above; tabs (and, with
    ``keep_newlines``, newlines) stay. Without ``keep_newlines`` a tab shows as ``\\t``.
    """
    if keep_newlines:
        return _CONTROL.sub(_escape, text.replace("\r\n", "\n"))
    return _CONTROL_NO_NEWLINES.sub(_escape, text.replace("\t", "\\t")).replace("\\x09", "\\t")


def truncate(text: str, limit: int = EXCERPT_CHARS, total: int | None = None) -> str:
    """Cut ``text`` to ``limit`` characters with a visible marker saying how much was cut.

    ``total`` is the original length when ``text`` is already a prefix of something longer.
    """
    length = max(len(text), total or 0)
    if length <= limit:
        return text
    return f"{text[:limit]} [… {length - limit} more characters cut]"


def clean(
    text: str, redactor: Redactor, limit: int = EXCERPT_CHARS, total: int | None = None
) -> str:
    """Redact, cut and make visible: what every collected text goes through before storing.

    Redaction runs on the whole text first, so a secret that straddles the cut is still
    caught; the cut comes before the escapes so the marker is never split.
    """
    return visible(truncate(redactor(text), limit, total))
