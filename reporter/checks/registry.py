"""The check registry: every kind of check, its scope, the evidence it reads and its function.

:func:`run_checks` walks :data:`SHARED_CHECKS` once, :data:`HOTFIX_CHECKS` once per
hotfix, then the checklist, so a new kind of check is one entry here (and its function in
a module of its own). Nothing outside this package tells checks apart by their ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reporter.checks import commands
from reporter.checks.base import MANUAL, PASS, Context, Finding
from reporter.checks.fix import code_has_marker, fix_time, image_after_fix
from reporter.checks.image import image_found, image_source
from reporter.checks.logs import logs_expected, logs_retired, logs_source
from reporter.checks.revision import image_contains_fix, revision_source
from reporter.checks.service import (
    service_restarted_after_push,
    service_runs_image,
    service_stable,
)
from reporter.model import (
    Check,
    CheckKind,
    Evidence,
    RevisionEvidence,
    Scope,
    ServiceEvidence,
)
from reporter.spec import HotfixSection, Spec


@dataclass(frozen=True)
class SharedCheck:
    """A check made once per run; every hotfix's verdict rests on it."""

    kind: CheckKind
    needs: tuple[str, ...]
    """The parts of the evidence it reads (fields of :class:`~reporter.model.Evidence`)."""
    applies: Callable[[Context], bool]
    judge: Callable[[Context], Finding]
    source: Callable[[Context], str]
    commands: Callable[[Context], tuple[str, ...]] = lambda ctx: ()
    """The shell commands that re-run it (:mod:`reporter.checks.commands`)."""


@dataclass(frozen=True)
class HotfixCheck:
    """A check made for each hotfix it applies to; that hotfix's verdict rests on it."""

    kind: CheckKind
    needs: tuple[str, ...]
    applies: Callable[[Context, HotfixSection], bool]
    judge: Callable[[Context, HotfixSection], Finding]
    source: Callable[[Context, HotfixSection], str]
    commands: Callable[[Context, HotfixSection, Finding], tuple[str, ...]] = (
        lambda ctx, fix, finding: ()
    )
    """The shell commands that re-run it, from the run and what the check found."""


def _service(ctx: Context) -> ServiceEvidence:
    service = ctx.evidence.service
    if service is None:  # guarded by `applies`
        raise ValueError("no service evidence")
    return service


def _revision(ctx: Context) -> RevisionEvidence:
    revision = ctx.evidence.revision
    if revision is None:  # guarded by `applies`
        raise ValueError("no revision evidence")
    return revision


def _where(ctx: Context) -> str:
    service = _service(ctx)
    return f"{service.cluster}/{service.name}"


def _has_service(ctx: Context) -> bool:
    return ctx.evidence.service is not None


SHARED_CHECKS: tuple[SharedCheck, ...] = (
    SharedCheck(
        kind=CheckKind.IMAGE_FOUND,
        needs=("image",),
        applies=lambda ctx: True,
        judge=lambda ctx: image_found(ctx.evidence.image),
        source=lambda ctx: image_source(ctx.evidence.image),
        commands=lambda ctx: commands.image_found(ctx.spec, ctx.evidence),
    ),
    SharedCheck(
        kind=CheckKind.SERVICE_STABLE,
        needs=("service",),
        applies=_has_service,
        judge=lambda ctx: service_stable(_service(ctx)),
        source=lambda ctx: f"ECS DescribeServices {_where(ctx)}",
        commands=lambda ctx: commands.service_stable(ctx.spec, ctx.evidence),
    ),
    SharedCheck(
        kind=CheckKind.SERVICE_RUNS_IMAGE,
        needs=("service", "image"),
        applies=_has_service,
        judge=lambda ctx: service_runs_image(_service(ctx), ctx.evidence.image),
        source=lambda ctx: (
            f"ECS ListTasks + DescribeTasks {_where(ctx)}; {image_source(ctx.evidence.image)}"
        ),
        commands=lambda ctx: commands.service_tasks(ctx.spec, ctx.evidence),
    ),
    SharedCheck(
        kind=CheckKind.SERVICE_RESTARTED_AFTER_PUSH,
        needs=("service", "image"),
        applies=_has_service,
        judge=lambda ctx: service_restarted_after_push(_service(ctx), ctx.evidence.image),
        source=lambda ctx: f"ECS DescribeTasks {_where(ctx)}; {image_source(ctx.evidence.image)}",
        commands=lambda ctx: commands.service_tasks(ctx.spec, ctx.evidence),
    ),
)
"""The shared checks, in report order."""


HOTFIX_CHECKS: tuple[HotfixCheck, ...] = (
    HotfixCheck(
        kind=CheckKind.CODE_HAS_MARKER,
        needs=("code",),
        applies=lambda ctx, fix: bool(fix.code),
        judge=lambda ctx, fix: code_has_marker(fix, ctx.evidence.code),
        source=lambda ctx, fix: (
            f"files under {ctx.evidence.code.root if ctx.evidence.code else 'code.root'}"
        ),
        commands=lambda ctx, fix, finding: commands.code_has_marker(ctx.spec, fix),
    ),
    HotfixCheck(
        kind=CheckKind.IMAGE_AFTER_FIX,
        needs=("image", "code"),
        applies=lambda ctx, fix: True,
        judge=lambda ctx, fix: image_after_fix(ctx.fix_times[fix.id], ctx.evidence.image),
        source=lambda ctx, fix: (
            f"{image_source(ctx.evidence.image)}; fix time from {ctx.fix_times[fix.id].source}"
        ),
        commands=lambda ctx, fix, finding: commands.image_after_fix(
            ctx.spec, ctx.evidence, ctx.fix_times[fix.id].fact.method
        ),
    ),
    HotfixCheck(
        kind=CheckKind.IMAGE_CONTAINS_FIX,
        needs=("revision", "code"),
        applies=lambda ctx, fix: ctx.evidence.revision is not None and bool(fix.code),
        judge=lambda ctx, fix: image_contains_fix(fix, _revision(ctx)),
        source=lambda ctx, fix: revision_source(
            ctx.evidence.revision, ctx.evidence.code.root if ctx.evidence.code else "code.root"
        ),
        commands=lambda ctx, fix, finding: commands.image_contains_fix(
            ctx.spec,
            ctx.evidence,
            finding.facts.ancestry.fix_commit if finding.facts.ancestry else None,
            (finding.facts.ancestry.commit or finding.facts.ancestry.revision)
            if finding.facts.ancestry
            else None,
        ),
    ),
    HotfixCheck(
        kind=CheckKind.LOGS_EXPECTED,
        needs=("logs",),
        applies=lambda ctx, fix: bool(fix.expect_logs),
        judge=lambda ctx, fix: logs_expected(fix, ctx.evidence.logs),
        source=lambda ctx, fix: logs_source(ctx.evidence.logs),
        commands=lambda ctx, fix, finding: commands.logs_expected(ctx.spec, ctx.evidence, fix),
    ),
    HotfixCheck(
        kind=CheckKind.LOGS_RETIRED,
        needs=("logs",),
        applies=lambda ctx, fix: bool(fix.retired_logs),
        judge=lambda ctx, fix: logs_retired(fix, ctx.evidence.logs),
        source=lambda ctx, fix: logs_source(ctx.evidence.logs),
        commands=lambda ctx, fix, finding: commands.logs_retired(ctx.spec, ctx.evidence, fix),
    ),
)
"""The checks made for each hotfix, in report order."""


def context(spec: Spec, evidence: Evidence) -> Context:
    """The checks' context: the facts derived once per run (each hotfix's fix time)."""
    return Context(
        spec=spec,
        evidence=evidence,
        fix_times={fix.id: fix_time(fix, spec, evidence.code) for fix in spec.hotfixes},
    )


def run_checks(spec: Spec, evidence: Evidence) -> list[Check]:
    """Every check of CONTRACT section 3, in a stable order: shared, per hotfix, checklist."""
    ctx = context(spec, evidence)
    checks: list[Check] = []

    def add(
        kind: CheckKind,
        finding: Finding,
        source: str,
        owner: str | int | None,
        rerun: tuple[str, ...] = (),
    ) -> None:
        checks.append(
            Check(
                id=kind.check_id(owner),
                status=finding.status,
                summary=finding.summary,
                source=source,
                hotfix=owner if kind.scope is Scope.HOTFIX and isinstance(owner, str) else None,
                kind=kind,
                facts=finding.facts,
                commands=rerun,
            )
        )

    for shared in SHARED_CHECKS:
        if shared.applies(ctx):
            add(shared.kind, shared.judge(ctx), shared.source(ctx), None, shared.commands(ctx))
    for fix in spec.hotfixes:
        for per_fix in HOTFIX_CHECKS:
            if per_fix.applies(ctx, fix):
                found = per_fix.judge(ctx, fix)
                rerun = per_fix.commands(ctx, fix, found)
                add(per_fix.kind, found, per_fix.source(ctx, fix), fix.id, rerun)
    for n, item in enumerate(spec.checklist, start=1):
        finding = (
            Finding(PASS, f"Ticked: {item.item}")
            if item.done
            else Finding(MANUAL, f"Not ticked: {item.item}")
        )
        add(CheckKind.CHECKLIST, finding, "checklist in the spec", n)
    return checks
