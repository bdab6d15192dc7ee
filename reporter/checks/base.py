"""What every check function works with: the run's context in, a :class:`Finding` out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from reporter.model import Evidence, Facts, FixTimeFact, Status
from reporter.spec import Spec

PASS, FAIL, UNKNOWN, MANUAL = Status.PASS, Status.FAIL, Status.UNKNOWN, Status.MANUAL


@dataclass(frozen=True)
class Finding:
    """What a check function returns: a status and the sentence that explains it."""

    status: Status
    summary: str
    facts: Facts = field(default_factory=Facts)
    """What the check computed on the way (the report shows these)."""


@dataclass(frozen=True)
class FixTime:
    """When a hotfix was fixed, and how that is known."""

    at: datetime | None
    source: str
    """How it is known, as words for a sentence (``fixed_at in the spec``...)."""
    fact: FixTimeFact = field(default_factory=FixTimeFact)
    """The same, as facts the report shows."""


@dataclass(frozen=True)
class Context:
    """Everything a check may read: the spec, the evidence, and facts derived once per run."""

    spec: Spec
    evidence: Evidence
    fix_times: Mapping[str, FixTime]
    """Each hotfix's fix time (by hotfix id), derived once for every check that needs it."""


def worst(results: Iterable[tuple[Status, str]]) -> tuple[Status, list[str]]:
    """The worst status among ``results`` (fail, then unknown, then pass) and its texts."""
    items = list(results)
    for status in (FAIL, UNKNOWN):
        bad = [text for s, text in items if s is status]
        if bad:
            return status, bad
    return PASS, [text for _, text in items]
