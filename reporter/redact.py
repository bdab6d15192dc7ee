"""Secrets are replaced by ``[REDACTED]`` before anything is stored or rendered (CONTRACT §6).

Rules the patterns follow:

- Only the secret is replaced; what names it stays, so a reader still sees what was
  there: ``aws_secret_access_key=[REDACTED]``, ``Authorization: Bearer [REDACTED]``,
  ``postgres://app:[REDACTED]@db:5432``. A pattern marks the part to replace with named
  groups ``secret`` / ``secret_*``; a pattern without such a group is replaced whole. The
  author's ``[redact] patterns`` follow the same rule.
- A ``[REDACTED]`` marker is never rewritten: a match that covers one (the quoted value
  of ``password="[REDACTED]"``) replaces only the text around it. The passes repeat until
  nothing changes, so redacting twice gives the same text as redacting once.
- Every pattern runs in linear time on any input: no unbounded repetition is followed by
  something that can fail far away, scans start only where a run of characters begins,
  and separators are matched possessively. A 1 MB line redacts in well under a second.
- Values end at whitespace, quotes, ``,;&`` and brackets unless quoted: an unquoted
  password with a space in it is only redacted up to the space.
- Evidence is not a secret: git shas, ``sha256:`` digests, UUIDs, ARNs and task ids are
  never matched (the AWS secret-key pattern needs a name such as ``SecretAccessKey``, or
  an access key id right before it).
"""

from __future__ import annotations

import bisect
import functools
import re
import string
import typing
from collections.abc import Iterable
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel

REDACTED = "[REDACTED]"

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

MAX_PASSES = 5
"""Most passes over a text; the built-in patterns settle in one (a second confirms it)."""

# A value that is not quoted: up to whitespace, a quote, a separator or a bracket. A
# backslash belongs to the value unless it escapes a quote (JSON inside a JSON string).
_VALUE = r"""(?:[^\s"'`,;&(){}\[\]<>\\]|\\(?![\\"']))+"""
_DQ_VALUE = r"""(?:[^"\\\r\n]|\\(?!"))+"""
_SQ_VALUE = r"""[^'\r\n]+"""
# The end of a key name, an optional closing quote, ``:``, ``=`` or ``=>``, and spaces.
_SEPARATOR = r"""\\?["']?[ \t]*+(?:=>|[:=])[ \t]*+"""

_AUTH_SCHEMES = (
    "bearer|basic|digest|token|negotiate|ntlm|aws4-hmac-sha256|hoba|mutual|scram-sha-1"
    "|scram-sha-256|vapid|dpop|gnap|sso-key|ssws|splunk|api-key|apikey"
)
_KEY_ID_PREFIXES = "AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA"
_CREDENTIAL_NAMES = (
    r"secret[_-]?access[_-]?key|secret[_-]?key|private[_-]?key|api[_-]?key"
    r"|passphrase|password|passwd|secret|token"
)

BUILTIN_PATTERNS: tuple[str, ...] = (
    # PEM private-key blocks (PRIVATE KEY, RSA/EC/DSA/OPENSSH/ENCRYPTED PRIVATE KEY, PGP
    # PRIVATE KEY BLOCK): the body, up to the END line or, when there is none, to the end
    # of the text. First, so nothing else cuts a key body into pieces.
    r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
    r"(?P<secret>[\s\S]+?)"
    r"(?=-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|\Z)",
    # AWS access key ids (AKIA long-term, ASIA temporary, and the other id prefixes), and
    # a 40-character secret access key right after one (``AKIA...,wJalr...`` in a CSV).
    rf"(?<![A-Za-z0-9])(?P<secret>(?:{_KEY_ID_PREFIXES})[A-Z0-9]{{16}})(?![A-Za-z0-9])"
    r"(?:(?:[ \t]*+[,:;|=][ \t]*+|[ \t]++)"
    r"(?P<secret_key>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=]))?",
    # Passwords in URLs: scheme://user:password@host (the user stays). The password runs
    # to the last '@' before the host, so an unescaped '@' in it does not leak the rest.
    r"""://[^\s/?#@:"'<>]*:(?P<secret>[^\s/?#"'<>]+)@""",
    # Authorization / Proxy-Authorization headers. A known scheme stays and the credentials
    # after it are replaced; any other value loses its first two words (an unknown scheme
    # and its credentials, or a raw token and what follows it).
    r"(?i)\b(?:proxy-)?authorization" + _SEPARATOR + r"""\\?["']?"""
    rf"(?:(?:{_AUTH_SCHEMES})[ \t]++(?P<secret>\[redacted\]|{_VALUE})"
    rf"|(?P<secret_raw>{_VALUE}(?:[ \t]++{_VALUE})?+))",
    # Cookie and Set-Cookie headers: the whole value.
    r"(?i)\b(?:set-)?cookie" + _SEPARATOR + r"""\\?["']?"""
    r"""(?P<secret>(?:[^\s"'\\]|\\(?!["']))(?:[^\r\n"'\\]|\\(?!["']))*+)""",
    # JSON Web Tokens: header.payload.signature, both JSON parts starting '{"' ("eyJ").
    r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
    # Bearer tokens anywhere: at least 8 characters with a digit, or at least 20, so that
    # "invalid bearer token" or "bearer authentication" are not taken for one.
    r"(?i)\bbearer[ \t]++(?P<secret>"
    r"(?=[A-Za-z0-9._~+/-]*[0-9])[A-Za-z0-9._~+/-]{8,}=*|[A-Za-z0-9._~+/-]{20,}=*)",
    # Values named as secrets: password=..., "SecretAccessKey": "...",
    # AWS_SECRET_ACCESS_KEY=..., aws_session_token = ..., api-key: ..., client_secret=...
    # The name may end a longer one (SessionToken, DB_PASSWORD) but must be followed by
    # the separator, so "password reset email sent" and "max_tokens=10" stay.
    rf"(?i)(?:{_CREDENTIAL_NAMES}){_SEPARATOR}"
    rf"""(?:\\?"(?P<secret_dq>{_DQ_VALUE})|'(?P<secret_sq>{_SQ_VALUE})|(?P<secret>{_VALUE}))""",
)


def _secret_groups(pattern: re.Pattern[str]) -> tuple[str, ...]:
    return tuple(
        name for name in pattern.groupindex if name == "secret" or name.startswith("secret_")
    )


_CASE_INSENSITIVE = "(?i)"


class _Rule:
    """One compiled pattern and the groups that hold its secret.

    A built-in pattern that starts with ``(?i)`` is written in lower case: it is run
    case-sensitively over a lower-cased copy of the text, which is several times faster
    than ``re.IGNORECASE`` and finds the same matches in ASCII text (the copy has the
    same length, so the spans apply to the original).
    """

    def __init__(self, pattern: str, builtin: bool = False) -> None:
        self.fold = builtin and pattern.startswith(_CASE_INSENSITIVE)
        self.regex = re.compile(pattern.removeprefix(_CASE_INSENSITIVE) if self.fold else pattern)
        self.groups = _secret_groups(self.regex)

    def _spans(self, match: re.Match[str]) -> list[tuple[int, int]]:
        """The non-empty parts of ``match`` to replace: its secret groups, or all of it."""
        if not self.groups:
            return [match.span()] if match.end() > match.start() else []
        spans = [span for span in map(match.span, self.groups) if span[0] < span[1]]
        if len(spans) > 1:
            spans.sort()
        return spans

    def apply(self, text: str) -> str:
        """``text`` with this rule's secrets replaced; ``[REDACTED]`` markers stay as they are.

        A secret that covers a marker (the quoted value of ``password="[REDACTED]"``, once
        redacted) has only the text around the marker replaced, so a second pass changes
        nothing.
        """
        haystack = text
        if self.fold:
            haystack = text.lower()
            if len(haystack) != len(text):  # a few characters lower-case to two
                haystack = text.translate(_ASCII_LOWER)
        markers: list[int] | None = None
        out: list[str] = []
        position = 0
        for match in self.regex.finditer(haystack):
            if markers is None:
                markers = _marker_starts(text)
            for start, end in self._spans(match):
                pieces = _outside_markers(start, end, markers) if markers else ((start, end),)
                for piece_start, piece_end in pieces:
                    out.append(text[position:piece_start])
                    out.append(REDACTED)
                    position = piece_end
        if not out:
            return text
        out.append(text[position:])
        return "".join(out)


def _marker_starts(text: str) -> list[int]:
    """Where each ``[REDACTED]`` marker in ``text`` starts, in order."""
    starts: list[int] = []
    at = text.find(REDACTED)
    while at >= 0:
        starts.append(at)
        at = text.find(REDACTED, at + len(REDACTED))
    return starts


def _outside_markers(start: int, end: int, markers: list[int]) -> list[tuple[int, int]]:
    """The non-empty pieces of ``[start, end)`` that lie outside every marker."""
    pieces: list[tuple[int, int]] = []
    index = bisect.bisect_right(markers, start - len(REDACTED))
    while start < end:
        if index < len(markers) and markers[index] < end:
            marker = markers[index]
            if marker > start:
                pieces.append((start, marker))
            start = max(start, marker + len(REDACTED))
            index += 1
        else:
            pieces.append((start, end))
            break
    return pieces


class Redactor:
    """Replaces every secret found in a text by ``[REDACTED]``.

    The built-in patterns (:data:`BUILTIN_PATTERNS`) cover PEM private-key blocks, AWS
    access key ids and secret access keys, passwords in URLs, ``Authorization`` and
    ``Cookie`` headers, JWTs, bearer tokens and values named as secrets (password, secret,
    token, api key, ...). ``extra`` adds the spec's ``[redact] patterns`` (Python regular
    expressions, already validated by the spec): each match is replaced whole, or only its
    ``secret`` / ``secret_*`` named groups when it has some.

    Redaction is idempotent and leaves everything but the secrets byte for byte.
    """

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self.extra = tuple(extra)
        self._rules = (
            *(_Rule(p, builtin=True) for p in BUILTIN_PATTERNS),
            *(_Rule(p) for p in self.extra),
        )

    def __call__(self, text: str) -> str:
        """``text`` with every secret replaced by ``[REDACTED]``."""
        for _ in range(MAX_PASSES):
            redacted = text
            for rule in self._rules:
                redacted = rule.apply(redacted)
            if redacted == text:
                break
            text = redacted
        return text


class Keep:
    """Field metadata: the field is evidence the checks compare (an identifier, a spec word,
    a status); :func:`redact_fields` never rewrites it, whatever a pattern matches.

    Use it as ``Annotated[str, KEEP]`` (or around any type: a whole section is kept).
    """

    def __repr__(self) -> str:
        return "KEEP"


KEEP = Keep()


M = TypeVar("M", bound=BaseModel)


def redact_fields(model: M, redactor: Redactor) -> M:
    """``model`` with every string redacted, except in fields marked :data:`KEEP`.

    Walks nested models, tuples, lists and dict values; other values stay as they are.
    """
    updates: dict[str, Any] = {}
    kept = _kept_fields(type(model))
    for name in type(model).model_fields:
        if name in kept:
            continue
        value = getattr(model, name)
        redacted = _redact_value(value, redactor)
        if redacted is not value:
            updates[name] = redacted
    return model.model_copy(update=updates) if updates else model


def _redact_value(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, str):
        redacted = redactor(value)
        return value if redacted == value else redacted
    if isinstance(value, BaseModel):
        return redact_fields(value, redactor)
    if isinstance(value, tuple | list):
        items = [_redact_value(v, redactor) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items)
    if isinstance(value, dict):
        return {k: _redact_value(v, redactor) for k, v in value.items()}
    return value


@functools.cache
def _kept_fields(cls: type[BaseModel]) -> frozenset[str]:
    hints = typing.get_type_hints(cls, include_extras=True)
    return frozenset(name for name in cls.model_fields if _marked(hints.get(name)))


def _marked(annotation: object) -> bool:
    """True when ``KEEP`` appears in ``annotation`` (``Annotated`` anywhere inside it), or the
    field holds a fixed vocabulary (a ``Literal`` or an ``Enum``): words, never secrets."""
    if typing.get_origin(annotation) is Literal:
        return True
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return True
    metadata = getattr(annotation, "__metadata__", ())
    if typing.get_origin(annotation) is Annotated and any(isinstance(m, Keep) for m in metadata):
        return True
    return any(_marked(arg) for arg in typing.get_args(annotation))
