"""Secrets are replaced by ``[REDACTED]`` before anything is stored or rendered."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[REDACTED]"

BUILTIN_PATTERNS: tuple[str, ...] = (
    # PEM private-key blocks (RSA, EC, OPENSSH, ENCRYPTED, plain PRIVATE KEY).
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)",
    # AWS access key ids: long-term (AKIA) and temporary (ASIA), and the other id prefixes.
    r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}\b",
    # AWS secret access keys, when named as such.
    r"(?i)(?<![A-Za-z0-9])(?:aws_?)?secret_?(?:access_?)?key[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])",
    # Authorization headers and bearer tokens.
    r"(?i)\bbearer\s+[A-Za-z0-9\-._~+/]+=*",
    r"(?i)(?<=authorization:)\s*(?:basic|token|digest)?\s*[^\s,;]+",
    # JSON Web Tokens.
    r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
    # Passwords in URLs: scheme://user:password@host.
    r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)",
    # password=..., passwd: ..., api_key=..., token=... assignments.
    r"(?i)(?<![A-Za-z0-9])(?:password|passwd|pwd|api[_-]?key|secret|token)[\"']?\s*[:=]\s*[\"']?[^\s\"',;&]{4,}",
)


class Redactor:
    """Replaces every secret found in a text by ``[REDACTED]``.

    The built-in patterns cover AWS key ids and secret keys, bearer tokens and
    ``Authorization`` headers, JWTs, passwords in URLs, password/token assignments and
    PEM private-key blocks; ``extra`` adds the spec's ``[redact] patterns``.
    """

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self.extra = tuple(extra)
        self._patterns = tuple(re.compile(p) for p in (*BUILTIN_PATTERNS, *self.extra))

    def __call__(self, text: str) -> str:
        for pattern in self._patterns:
            text = pattern.sub(REDACTED, text)
        return text
