"""Collected text is data: make it safe to store and show, whatever it holds."""

from __future__ import annotations

import re

from reporter.redact import Redactor

EXCERPT_CHARS = 2000
"""Longest log message kept in an excerpt; the rest is cut with a visible marker."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_NO_NEWLINES = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, keep_newlines: bool = True) -> str:
    """Show control characters as visible escapes (``\\x1b``); tabs (and newlines) stay."""
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
