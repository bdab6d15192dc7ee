"""The report's findings: the failed and unknown checks, grouped by cause, each said once.

A finding is every check of one kind that ended the same way (all the hotfixes whose image
predates their fix, say). Its statements are the checks' own summaries, each distinct
sentence once, with the hotfixes it applies to: the report says "the image predates the
fix" once for the three hotfixes it affects, and each hotfix's section refers to the finding
by its label (``F1``). Nothing here judges: the statuses and sentences are the checks'.

The order is the causal one, failures before unknowns: what is missing from the registry or
the code, what the image lacks, what the service runs, then what the logs show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reporter.model import Check, CheckKind, Scope, Status

CAUSAL_ORDER = (
    CheckKind.IMAGE_FOUND,
    CheckKind.CODE_HAS_MARKER,
    CheckKind.IMAGE_CONTAINS_FIX,
    CheckKind.IMAGE_AFTER_FIX,
    CheckKind.SERVICE_STABLE,
    CheckKind.SERVICE_RUNS_IMAGE,
    CheckKind.SERVICE_RESTARTED_AFTER_PUSH,
    CheckKind.LOGS_RETIRED,
    CheckKind.LOGS_EXPECTED,
)
"""The order findings are listed in (and a hotfix's findings): causes before symptoms."""


@dataclass(frozen=True)
class Statement:
    """One distinct sentence of a finding: a summary some of its checks share."""

    text: str
    checks: tuple[Check, ...]
    hotfixes: tuple[int, ...]
    """The numbers of the hotfixes whose checks say it (empty for a shared check)."""


@dataclass(frozen=True)
class Finding:
    """Every failed (or unknown) check of one kind, said once."""

    label: str
    """``F1``, ``F2``...: how the rest of the report refers to it."""
    kind: CheckKind
    """The kind of its checks (the first, when several kinds say the same: see ``kinds``)."""
    status: Status
    checks: tuple[Check, ...]
    hotfixes: tuple[int, ...]
    """The numbers of the hotfixes it affects (every hotfix, for a shared check)."""
    every_hotfix: bool
    """It affects every hotfix of the report."""
    statements: tuple[Statement, ...]
    kinds: tuple[CheckKind, ...] = ()
    """Every kind of its checks: unknown checks of several kinds that say exactly the same
    (one missing piece of evidence, say) are one finding."""

    @property
    def shared(self) -> bool:
        """A shared check (``image.*``, ``service.*``), not a hotfix's own."""
        return self.kind.scope is Scope.SHARED

    @property
    def observes_production(self) -> bool:
        """It is about what the logs show (production observed), not about what runs there
        (the registry, the code, the image, the service): a postmortem's detection, not a
        root cause."""
        return self.kind in (CheckKind.LOGS_EXPECTED, CheckKind.LOGS_RETIRED)

    @property
    def scopes(self) -> tuple[str, ...]:
        """Which checks it gathers: a check's id, or ``*.<kind>`` for a hotfix kind's checks
        of several hotfixes."""
        scopes: dict[str, None] = {}
        for kind in self.kinds or (self.kind,):
            of_kind = [c for c in self.checks if c.kind is kind]
            scopes[of_kind[0].id if len(of_kind) == 1 else f"*.{kind.value}"] = None
        return tuple(scopes)


def group_findings(checks: Sequence[Check], numbers: dict[str, int]) -> tuple[Finding, ...]:
    """The findings of ``checks`` (failures, then unknowns, in :data:`CAUSAL_ORDER`).

    ``numbers`` maps each hotfix id to its number in the report.
    """
    everyone = tuple(sorted(numbers.values()))
    groups: list[tuple[Status, list[CheckKind], list[Check]]] = []
    for status in (Status.FAIL, Status.UNKNOWN):
        for kind in CAUSAL_ORDER:
            group = [c for c in checks if c.kind is kind and c.status is status]
            if not group:
                continue
            said = {c.summary for c in group}
            same = next(
                (
                    g
                    for g in groups
                    if status is Status.UNKNOWN
                    and g[0] is status
                    and {c.summary for c in g[2]} == said
                ),
                None,
            )
            if same is not None:
                same[1].append(kind)
                same[2].extend(group)
            else:
                groups.append((status, [kind], group))
    findings = []
    for n, (status, kinds, group) in enumerate(groups, start=1):
        shared = any(k.scope is Scope.SHARED for k in kinds)
        hotfixes = everyone if shared else _numbers(group, numbers)
        findings.append(
            Finding(
                label=f"F{n}",
                kind=kinds[0],
                status=status,
                checks=tuple(group),
                hotfixes=hotfixes,
                every_hotfix=bool(everyone) and hotfixes == everyone,
                statements=_statements(group, numbers),
                kinds=tuple(kinds),
            )
        )
    return tuple(findings)


def _numbers(checks: Iterable[Check], numbers: dict[str, int]) -> tuple[int, ...]:
    return tuple(sorted({numbers[c.hotfix] for c in checks if c.hotfix in numbers}))


def _statements(checks: Sequence[Check], numbers: dict[str, int]) -> tuple[Statement, ...]:
    by_text: dict[str, list[Check]] = {}
    for check in checks:
        by_text.setdefault(check.summary, []).append(check)
    return tuple(
        Statement(text=text, checks=tuple(same), hotfixes=_numbers(same, numbers))
        for text, same in by_text.items()
    )


@dataclass(frozen=True)
class Passed:
    """The checks of one kind that passed: ``3`` of ``3`` ``code_has_marker``."""

    kind: CheckKind
    count: int
    of: int
    """How many checks of that kind the report has."""


def passed_kinds(checks: Sequence[Check]) -> tuple[Passed, ...]:
    """Per kind (report order), how many of its checks passed; kinds with none left out."""
    judged = [c for c in checks if c.kind.scope is not Scope.CHECKLIST]
    kinds = list(dict.fromkeys(c.kind for c in judged))
    result = []
    for kind in kinds:
        of_kind = [c for c in judged if c.kind is kind]
        passed = sum(1 for c in of_kind if c.status is Status.PASS)
        if passed:
            result.append(Passed(kind=kind, count=passed, of=len(of_kind)))
    return tuple(result)
