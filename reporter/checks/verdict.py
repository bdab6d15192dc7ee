"""Verdicts (CONTRACT section 4): each hotfix's, from its checks, and the report's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reporter.checks.base import FAIL, PASS
from reporter.model import Check, HotfixResult, HotfixVerdict, Scope, Status, Verdict
from reporter.spec import Spec


def hotfix_verdict(statuses: Iterable[Status]) -> HotfixVerdict:
    """DEPLOYED when all pass, NOT_DEPLOYED when any fails, else INCONCLUSIVE."""
    items = list(statuses)
    if any(s is FAIL for s in items):
        return HotfixVerdict.NOT_DEPLOYED
    if items and all(s is PASS for s in items):
        return HotfixVerdict.DEPLOYED
    return HotfixVerdict.INCONCLUSIVE


def report_verdict(verdicts: Sequence[HotfixVerdict]) -> Verdict:
    """CONTRACT section 4: VERIFIED, PARTIAL, NOT_DEPLOYED or INCONCLUSIVE."""
    deployed = sum(v is HotfixVerdict.DEPLOYED for v in verdicts)
    failed = sum(v is HotfixVerdict.NOT_DEPLOYED for v in verdicts)
    if verdicts and deployed == len(verdicts):
        return Verdict.VERIFIED
    if failed and deployed:
        return Verdict.PARTIAL
    if failed:
        return Verdict.NOT_DEPLOYED
    return Verdict.INCONCLUSIVE


def judge(spec: Spec, checks: Sequence[Check]) -> tuple[list[HotfixResult], Verdict]:
    """Each hotfix's verdict from its own checks and every shared check."""
    shared = [c for c in checks if c.kind.scope is Scope.SHARED]
    results = []
    for fix in spec.hotfixes:
        own = [c for c in checks if c.hotfix == fix.id]
        basis = own + shared
        results.append(
            HotfixResult(
                id=fix.id,
                title=fix.display_title,
                verdict=hotfix_verdict(c.status for c in basis),
                checks=tuple(c.id for c in basis),
            )
        )
    return results, report_verdict([r.verdict for r in results])
