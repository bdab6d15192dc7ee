"""Verdicts (CONTRACT section 4): each hotfix's, from its checks, and the report's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reporter.checks.base import FAIL, PASS
from reporter.model import (
    Check,
    CheckKind,
    HotfixResult,
    HotfixVerdict,
    Scope,
    Status,
    Verdict,
)
from reporter.spec import HotfixSection, Spec


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


def observed_by(own: Sequence[Check], shared: Sequence[Check]) -> tuple[str, ...]:
    """The passed checks that observed production running the fix (CONTRACT section 4):
    its ``logs_expected``, or ``service.runs_image`` with its ``image_contains_fix`` or
    ``image_after_fix``. Empty when nothing did."""
    passed = {c.kind: c.id for c in (*own, *shared) if c.status is PASS}
    if CheckKind.LOGS_EXPECTED in passed:
        return (passed[CheckKind.LOGS_EXPECTED],)
    runs = passed.get(CheckKind.SERVICE_RUNS_IMAGE)
    for kind in (CheckKind.IMAGE_CONTAINS_FIX, CheckKind.IMAGE_AFTER_FIX):
        if runs is not None and kind in passed:
            return (runs, passed[kind])
    return ()


def _missing(spec: Spec, fix: HotfixSection, basis: Sequence[Check], observed: bool) -> str:
    """What an INCONCLUSIVE hotfix lacks, in one sentence."""
    parts = []
    unknown = [c.id for c in basis if c.status is Status.UNKNOWN]
    if unknown:
        noun = "check" if len(unknown) == 1 else "checks"
        parts.append(
            f"evidence could not be collected for {len(unknown)} {noun} ({', '.join(unknown)})"
        )
    if not observed and spec.service is None and not fix.expect_logs:
        parts.append(
            "nothing shows production running this fix: add [service] (to compare the running "
            "tasks with the image) or expect_logs (texts only the fixed code logs)"
        )
    elif not observed and not unknown:
        parts.append("nothing observed production running this fix")
    return "; ".join(parts) or "the evidence is incomplete"


def judge(spec: Spec, checks: Sequence[Check]) -> tuple[list[HotfixResult], Verdict]:
    """Each hotfix's verdict from its own checks and every shared check.

    DEPLOYED needs every one of them to pass **and** an observation of production running
    the fix (:func:`observed_by`); without one the hotfix is INCONCLUSIVE, and ``missing``
    says what would settle it.
    """
    shared = [c for c in checks if c.kind.scope is Scope.SHARED]
    results = []
    for fix in spec.hotfixes:
        own = [c for c in checks if c.hotfix == fix.id]
        basis = own + shared
        verdict = hotfix_verdict(c.status for c in basis)
        observed = observed_by(own, shared)
        if verdict is HotfixVerdict.DEPLOYED and not observed:
            verdict = HotfixVerdict.INCONCLUSIVE
        results.append(
            HotfixResult(
                id=fix.id,
                title=fix.display_title,
                verdict=verdict,
                checks=tuple(c.id for c in basis),
                observed_by=observed,
                missing=_missing(spec, fix, basis, bool(observed))
                if verdict is HotfixVerdict.INCONCLUSIVE
                else None,
            )
        )
    return results, report_verdict([r.verdict for r in results])
