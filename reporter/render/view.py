"""The facts a report template shows, derived from a bundle (no wording, no markup).

:func:`build_view` reads a :class:`~reporter.model.Bundle` and prepares what the
templates need beyond the bundle itself: checks grouped per hotfix, each hotfix's log
texts with what was seen of them, its fix time and where that came from, one row per
running container, the actions the failed and unknown checks call for and the
verification checklist. Everything here is a plain fact (strings, numbers, datetimes,
booleans, model objects); how it reads is the templates' business.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import reporter
from reporter.model import (
    Bundle,
    Check,
    CheckKind,
    CodeMarkerEvidence,
    FixTimeFact,
    HotfixResult,
    HotfixVerdict,
    LogMatch,
    Scope,
    Status,
)
from reporter.spec import HotfixSection

_FAILURE_ORDER = {
    CheckKind.LOGS_RETIRED: 0,
    CheckKind.IMAGE_AFTER_FIX: 1,
    CheckKind.LOGS_EXPECTED: 2,
    CheckKind.CODE_HAS_MARKER: 3,
}
"""Which of a hotfix's failures tells most (the old code still logging comes first)."""


_IMAGE_KINDS = frozenset({CheckKind.IMAGE_FOUND})
"""Shared checks shown in the report's image section (the others are about the service)."""
_RESTART_KINDS = frozenset({CheckKind.SERVICE_RUNS_IMAGE, CheckKind.SERVICE_RESTARTED_AFTER_PUSH})
"""Shared checks that fail when the service runs something else than the tag's image."""


@dataclass(frozen=True)
class LogText:
    """One searched log text and what the window showed of it (``match`` None: not searched)."""

    text: str
    match: LogMatch | None

    @property
    def seen(self) -> bool:
        """True when at least one event held the text."""
        return self.match is not None and self.match.count > 0


@dataclass(frozen=True)
class HotfixView:
    """One hotfix with everything its section shows."""

    number: int
    id: str
    title: str
    verdict: HotfixVerdict
    spec: HotfixSection | None
    checks: tuple[Check, ...]
    """This hotfix's own checks."""
    basis: tuple[Check, ...]
    """Every check its verdict rests on: its own and the shared ones."""
    missing: str | None
    """INCONCLUSIVE: what evidence is missing (from the verdict)."""
    expected: tuple[LogText, ...]
    retired: tuple[LogText, ...]
    markers: tuple[CodeMarkerEvidence, ...]
    fix: FixTimeFact
    """The fix time as ``image_after_fix`` used it."""
    pushed_minus_fix: timedelta | None
    """Image push time minus fix time (negative: the image is older than the fix)."""

    def check(self, kind: CheckKind) -> Check | None:
        """This hotfix's check of ``kind``, if it exists."""
        for check in self.checks:
            if check.kind == kind:
                return check
        return None

    def status_of(self, kind: CheckKind) -> Status | None:
        """The status of this hotfix's check of ``kind``, if it exists."""
        check = self.check(kind)
        return None if check is None else check.status

    @property
    def failures(self) -> tuple[Check, ...]:
        """This hotfix's failed checks, the most telling first (old code still logging)."""
        failed = [c for c in self.checks if c.status is Status.FAIL]
        return tuple(sorted(failed, key=lambda c: _FAILURE_ORDER.get(c.kind, len(_FAILURE_ORDER))))

    @property
    def code_in_checkout(self) -> bool:
        """True when every code marker was found in the checkout (and there is one)."""
        return bool(self.markers) and all(m.found for m in self.markers)


@dataclass(frozen=True)
class ContainerRow:
    """One container of one running task, compared with the registry."""

    task_arn: str
    started_at: datetime | None
    container: str
    image: str | None
    digest: str | None
    compared: bool
    """Its image comes from the repository under test: ``service.runs_image`` compared it."""
    matches_registry: bool | None
    """Compared and same digest as the registry's (None: unknown, or not compared)."""
    started_after_push: bool | None


@dataclass(frozen=True)
class Actions:
    """What the failed and unknown checks call for."""

    build_image: bool
    restart_service: bool
    investigate_service: bool
    missing_code: tuple[CodeMarkerEvidence, ...]
    expected_texts: tuple[str, ...]
    """Expected log texts not seen: look for them once the new code runs."""
    retired_texts: tuple[str, ...]
    """Retired log texts still seen: they should stop once the new code runs."""
    unknown: tuple[Check, ...]
    manual: tuple[str, ...]
    """The spec's checklist items not ticked yet."""

    @property
    def any(self) -> bool:
        """True when there is at least one action."""
        return bool(
            self.build_image
            or self.restart_service
            or self.investigate_service
            or self.missing_code
            or self.expected_texts
            or self.retired_texts
            or self.unknown
            or self.manual
        )


ChecklistKind = Literal["image_after_fix", "restarted", "log_seen", "log_gone", "item"]


@dataclass(frozen=True)
class ChecklistEntry:
    """One line of the verification checklist."""

    kind: ChecklistKind
    done: bool
    text: str = ""
    """The log text (``log_*``) or the author's item (``item``)."""


@dataclass(frozen=True)
class Counts:
    """How many hotfixes ended each way."""

    total: int
    deployed: int
    not_deployed: int
    inconclusive: int


@dataclass(frozen=True)
class ReportView:
    """Everything a report template shows, beside the bundle itself."""

    bundle: Bundle
    sha256: str
    version: str
    counts: Counts
    hotfixes: tuple[HotfixView, ...]
    global_checks: tuple[Check, ...]
    """The shared checks (image and service)."""
    image_checks: tuple[Check, ...]
    """The shared checks about the image in the registry."""
    service_checks: tuple[Check, ...]
    """The shared checks about the running service."""
    decisive: tuple[Check, ...]
    pushed_minus_claim: timedelta | None
    """Image push time minus the claimed deployment time."""
    fixes_after_push: int
    """Hotfixes whose known fix time is after the image push."""
    containers: tuple[ContainerRow, ...]
    log_texts: tuple[LogText, ...]
    actions: Actions
    checklist: tuple[ChecklistEntry, ...]
    registry_host: str
    region: str

    @property
    def unseen_expected(self) -> tuple[str, ...]:
        """The expected log texts that were searched for and never seen."""
        return tuple(
            t.text
            for t in self.log_texts
            if t.match is not None and "expected" in t.match.kinds and not t.seen
        )


def build_view(bundle: Bundle, sha256: str) -> ReportView:
    """Derive the report's facts from ``bundle``; ``sha256`` is the bundle's digest."""
    hotfixes = tuple(_hotfix_view(bundle, n, r) for n, r in enumerate(bundle.hotfixes, start=1))
    global_checks = tuple(c for c in bundle.checks if c.kind.scope is Scope.SHARED)
    verdicts = Counter(h.verdict for h in bundle.hotfixes)
    pushed = bundle.evidence.image.pushed_at
    return ReportView(
        bundle=bundle,
        sha256=sha256,
        version=reporter.__version__,
        counts=Counts(
            total=len(bundle.hotfixes),
            deployed=verdicts[HotfixVerdict.DEPLOYED],
            not_deployed=verdicts[HotfixVerdict.NOT_DEPLOYED],
            inconclusive=verdicts[HotfixVerdict.INCONCLUSIVE],
        ),
        hotfixes=hotfixes,
        global_checks=global_checks,
        image_checks=tuple(c for c in global_checks if c.kind in _IMAGE_KINDS),
        service_checks=tuple(c for c in global_checks if c.kind not in _IMAGE_KINDS),
        decisive=_decisive(bundle),
        pushed_minus_claim=None if pushed is None else pushed - bundle.spec.claimed_deployed_at,
        fixes_after_push=sum(
            1
            for h in hotfixes
            if h.pushed_minus_fix is not None and h.pushed_minus_fix < timedelta()
        ),
        containers=_containers(bundle),
        log_texts=_log_texts(bundle, bundle.spec.log_texts()),
        actions=_actions(bundle, hotfixes),
        checklist=_checklist(bundle, hotfixes),
        registry_host=_registry_host(bundle),
        region=bundle.spec.aws.region or "<region>",
    )


def _decisive(bundle: Bundle) -> tuple[Check, ...]:
    """The checks that decide the verdict: the failures, else the unknowns, else the proof."""
    judged = [c for c in bundle.checks if c.kind.scope is not Scope.CHECKLIST]
    for status in (Status.FAIL, Status.UNKNOWN):
        found = tuple(c for c in judged if c.status is status)
        if found:
            return found
    return tuple(
        c for c in judged if c.kind.scope is Scope.SHARED or c.kind is CheckKind.LOGS_EXPECTED
    )


def _hotfix_view(bundle: Bundle, number: int, result: HotfixResult) -> HotfixView:
    spec = next((h for h in bundle.spec.hotfix if h.id == result.id), None)
    code = bundle.evidence.code
    own = tuple(c for c in bundle.checks if c.hotfix == result.id)
    after_fix = next((c for c in own if c.kind is CheckKind.IMAGE_AFTER_FIX), None)
    fix = after_fix.facts.fix_time if after_fix and after_fix.facts.fix_time else FixTimeFact()
    pushed = bundle.evidence.image.pushed_at
    by_id = {c.id: c for c in bundle.checks}
    return HotfixView(
        number=number,
        id=result.id,
        title=result.title,
        verdict=result.verdict,
        spec=spec,
        checks=own,
        basis=tuple(by_id[i] for i in result.checks if i in by_id),
        missing=result.missing,
        expected=_log_texts(bundle, spec.expect_logs if spec else ()),
        retired=_log_texts(bundle, spec.retired_logs if spec else ()),
        markers=tuple(m for m in code.markers if m.hotfix == result.id) if code else (),
        fix=fix,
        pushed_minus_fix=None if pushed is None or fix.at is None else pushed - fix.at,
    )


def _log_texts(bundle: Bundle, texts: tuple[str, ...] | list[str]) -> tuple[LogText, ...]:
    logs = bundle.evidence.logs
    return tuple(LogText(text=t, match=logs.match(t)) for t in texts)


def _containers(bundle: Bundle) -> tuple[ContainerRow, ...]:
    """One row per container of each running task, as the service checks saw them."""
    runs = next((c for c in bundle.checks if c.kind is CheckKind.SERVICE_RUNS_IMAGE), None)
    restarted = next(
        (c for c in bundle.checks if c.kind is CheckKind.SERVICE_RESTARTED_AFTER_PUSH), None
    )
    if runs is None:
        return ()
    starts = {t.task: t for t in restarted.facts.tasks} if restarted else {}
    rows = []
    for compared in runs.facts.containers:
        start = starts.get(compared.task)
        rows.append(
            ContainerRow(
                task_arn=compared.task,
                started_at=start.started_at if start else None,
                container=compared.container,
                image=compared.image,
                digest=compared.digest,
                compared=compared.from_repository,
                matches_registry=compared.matches,
                started_after_push=start.after_push if start else None,
            )
        )
    return tuple(rows)


def _actions(bundle: Bundle, hotfixes: tuple[HotfixView, ...]) -> Actions:
    failed = {c.kind for c in bundle.checks if c.status is Status.FAIL}
    build = bool(failed & {CheckKind.IMAGE_FOUND, CheckKind.IMAGE_AFTER_FIX})
    restart = bundle.spec.service is not None and (
        build or bool(failed & (_RESTART_KINDS | {CheckKind.LOGS_RETIRED}))
    )
    expected: dict[str, None] = {}
    retired: dict[str, None] = {}
    for fix in hotfixes:
        if fix.status_of(CheckKind.LOGS_EXPECTED) is Status.FAIL:
            expected.update((t.text, None) for t in fix.expected if not t.seen)
        if fix.status_of(CheckKind.LOGS_RETIRED) is Status.FAIL:
            retired.update((t.text, None) for t in fix.retired if t.seen)
    return Actions(
        build_image=build,
        restart_service=restart,
        investigate_service=CheckKind.SERVICE_STABLE in failed,
        missing_code=tuple(
            marker
            for fix in hotfixes
            if fix.status_of(CheckKind.CODE_HAS_MARKER) is Status.FAIL
            for marker in fix.markers
            if marker.found is False
        ),
        expected_texts=tuple(expected),
        retired_texts=tuple(retired),
        unknown=tuple(c for c in bundle.checks if c.status is Status.UNKNOWN),
        manual=tuple(item.item for item in bundle.spec.checklist if not item.done),
    )


def _all_pass(checks: list[Check]) -> bool:
    return bool(checks) and all(c.status is Status.PASS for c in checks)


def _checklist(bundle: Bundle, hotfixes: tuple[HotfixView, ...]) -> tuple[ChecklistEntry, ...]:
    entries: list[ChecklistEntry] = []
    after_fix = [c for fix in hotfixes for c in fix.checks if c.kind is CheckKind.IMAGE_AFTER_FIX]
    if after_fix:
        entries.append(ChecklistEntry(kind="image_after_fix", done=_all_pass(after_fix)))
    restarted = [c for c in bundle.checks if c.kind in _RESTART_KINDS]
    if restarted:
        entries.append(ChecklistEntry(kind="restarted", done=_all_pass(restarted)))
    logs_ok = bundle.evidence.logs.error is None
    seen: set[tuple[str, str]] = set()
    for fix in hotfixes:
        for text in fix.expected:
            if ("log_seen", text.text) not in seen:
                seen.add(("log_seen", text.text))
                entries.append(ChecklistEntry("log_seen", logs_ok and text.seen, text.text))
        for text in fix.retired:
            if ("log_gone", text.text) not in seen:
                seen.add(("log_gone", text.text))
                gone = logs_ok and text.match is not None and not text.seen
                entries.append(ChecklistEntry("log_gone", gone, text.text))
    entries.extend(ChecklistEntry("item", item.done, item.item) for item in bundle.spec.checklist)
    return tuple(entries)


def _registry_host(bundle: Bundle) -> str:
    account = bundle.evidence.image.registry_id or bundle.spec.image.registry_id or "<account-id>"
    region = bundle.spec.aws.region or "<region>"
    return f"{account}.dkr.ecr.{region}.amazonaws.com"
