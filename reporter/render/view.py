"""The facts a report template shows, derived from a bundle (no wording, no markup).

:func:`build_view` reads a :class:`~reporter.model.Bundle` and prepares what the templates
need beyond the bundle itself, deciding once, in Python, what the templates only show:

- the findings, grouped by cause (:mod:`reporter.render.findings`), and for each hotfix the
  findings that concern it (the first is the one to blame), its status counts, its log
  texts with the outcome its checks computed, its code markers and fix time;
- the timeline and its drawing (:mod:`reporter.render.timeline`);
- the running containers as ``service.runs_image`` compared them;
- the matched log lines, each event once, structured lines made readable
  (:mod:`reporter.render.logview`);
- the required actions and their commands (:mod:`reporter.render.actions`);
- the verification checklist;
- the commands that re-run the checks, each distinct command once and numbered.

Everything here is a plain fact (strings, numbers, datetimes, booleans, model objects); how
it reads is the templates' business.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import reporter
from reporter.checks.commands import log_collection, log_file_sets
from reporter.collect.image_config import CREATED_LABEL
from reporter.model import (
    AncestryFact,
    Bundle,
    Check,
    CheckKind,
    CodeMarkerEvidence,
    FixTimeFact,
    HotfixResult,
    HotfixVerdict,
    LogMatch,
    MarkerKind,
    Status,
    TextOutcome,
    UndatedExcerpt,
)
from reporter.redact import Redactor
from reporter.render.actions import Action, again, required_actions
from reporter.render.findings import Finding, Passed, group_findings, passed_kinds
from reporter.render.logview import ShownLine, matched_lines
from reporter.render.timeline import Drawing, Timeline, build_timeline, draw
from reporter.spec import HotfixSection

_RESTART_KINDS = frozenset({CheckKind.SERVICE_RUNS_IMAGE, CheckKind.SERVICE_RESTARTED_AFTER_PUSH})
"""Shared checks that fail when the service runs something else than the tag's image."""


@dataclass(frozen=True)
class StatusCounts:
    """How many checks ended each way."""

    fail: int = 0
    unknown: int = 0
    passed: int = 0
    manual: int = 0

    @property
    def total(self) -> int:
        """All of them."""
        return self.fail + self.unknown + self.passed + self.manual


def status_counts(checks: Sequence[Check]) -> StatusCounts:
    """The counts of ``checks`` by status."""
    by = Counter(c.status for c in checks)
    return StatusCounts(
        fail=by[Status.FAIL],
        unknown=by[Status.UNKNOWN],
        passed=by[Status.PASS],
        manual=by[Status.MANUAL],
    )


@dataclass(frozen=True)
class LogText:
    """One searched log text and what the window showed of it (``match`` None: not searched)."""

    text: str
    match: LogMatch | None
    outcome: TextOutcome | None = None
    """As the hotfix's logs check judged it (None: a context text, never judged)."""
    hotfixes: tuple[int, ...] = ()
    """The hotfixes that expect or retire it (by number)."""

    @property
    def seen(self) -> bool:
        """True when at least one event in the window held the text."""
        return self.match is not None and self.match.count > 0

    @property
    def kinds(self) -> tuple[MarkerKind, ...]:
        """Why it was searched: expected, retired, context."""
        return self.match.kinds if self.match is not None else ()


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
    counts: StatusCounts
    """``basis`` counted by status."""
    missing: str | None
    """INCONCLUSIVE: what evidence is missing (from the verdict)."""
    observed_by: tuple[str, ...]
    """The checks that observed production running the fix."""
    findings: tuple[str, ...]
    """Labels of the findings that concern it, in causal order: the first is the one to
    blame for it not running."""
    expected: tuple[LogText, ...]
    retired: tuple[LogText, ...]
    markers: tuple[CodeMarkerEvidence, ...]
    fix: FixTimeFact
    """The fix time as ``image_after_fix`` used it."""
    ancestry: AncestryFact | None
    """Whether the image's revision holds the fix, as ``image_contains_fix`` found it."""
    pushed_minus_fix: timedelta | None
    """Image push time minus fix time (negative: the image is older than the fix)."""

    def check(self, kind: CheckKind) -> Check | None:
        """This hotfix's check of ``kind``, if it exists."""
        return next((c for c in self.checks if c.kind == kind), None)

    @property
    def blame(self) -> str | None:
        """The label of the finding that most explains why it is not running."""
        return self.findings[0] if self.findings else None

    @property
    def expected_groups(self) -> tuple[tuple[LogText, ...], ...]:
        """The expected texts, those with the same outcome together (a text seen is alone:
        its counts are its own), in the spec's order of their first member."""
        groups: dict[str, list[LogText]] = {}
        for n, text in enumerate(self.expected):
            key = f"seen {n}" if text.seen else f"{text.outcome} {text.match is None}"
            groups.setdefault(key, []).append(text)
        return tuple(tuple(group) for group in groups.values())


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


ChecklistKind = Literal["image_after_fix", "restarted", "log_seen", "log_gone", "item"]


@dataclass(frozen=True)
class ChecklistEntry:
    """One line of the verification checklist."""

    kind: ChecklistKind
    done: bool
    text: str = ""
    """The author's item (``item``)."""
    texts: tuple[str, ...] = ()
    """The log texts (``log_seen``, ``log_gone``): those in the same state share a line."""


@dataclass(frozen=True)
class Counts:
    """How many hotfixes ended each way."""

    total: int
    deployed: int
    not_deployed: int
    inconclusive: int


@dataclass(frozen=True)
class NumberedCommand:
    """One distinct command that re-runs checks, numbered in the report."""

    number: int
    text: str
    checks: tuple[str, ...]
    """The ids of the checks it re-runs."""


@dataclass(frozen=True)
class Rerun:
    """The commands that re-run every check, each said once."""

    setup: tuple[str, ...]
    """Lines to run first (the local log files, named once in bash arrays)."""
    commands: tuple[NumberedCommand, ...]
    by_check: dict[str, tuple[int, ...]]
    """Each check's commands, by number."""
    collection: tuple[NumberedCommand, ...]
    """How the run read the CloudWatch logs (each filter pattern it sent, on each group),
    numbered after the checks' commands; empty for local files and Logs Insights."""
    reproduce: str
    """The one command that repeats the whole run (``reporter verify SPEC --now ...``)."""
    again: str
    """The command that verifies again now (without ``--now``)."""
    emulator: bool
    """The run read the demo's emulator: the aws commands are shown for AWS."""


@dataclass(frozen=True)
class ReportView:
    """Everything a report template shows, beside the bundle itself."""

    bundle: Bundle
    sha256: str
    version: str
    counts: Counts
    hotfixes: tuple[HotfixView, ...]
    findings: tuple[Finding, ...]
    finding_of: dict[str, str]
    """The label of the finding each failed or unknown check belongs to, by check id."""
    passed: tuple[Passed, ...]
    pushed_minus_claim: timedelta | None
    """Image push time minus the claimed deployment time."""
    containers: tuple[ContainerRow, ...]
    log_texts: tuple[LogText, ...]
    """Every searched text, in the spec's order."""
    lines: tuple[ShownLine, ...]
    """The matched events, each once, oldest first."""
    undated: tuple[UndatedExcerpt, ...]
    """Lines with no known time that hold a watched text (local files), each once."""
    timeline: Timeline
    drawing: Drawing | None
    fix_rows: dict[int, int]
    """The timeline row (from 1) of each hotfix's fix, by hotfix number."""
    actions: tuple[Action, ...]
    checklist: tuple[ChecklistEntry, ...]
    rerun: Rerun
    other_labels: tuple[tuple[str, str], ...] = ()
    """The image config's labels, by name, but the revision and creation labels (shown as
    the code version and in the timeline)."""

    def finding(self, label: str) -> Finding | None:
        """The finding labelled ``label``."""
        return next((f for f in self.findings if f.label == label), None)


def _other_labels(bundle: Bundle) -> tuple[tuple[str, str], ...]:
    config = bundle.evidence.image_config
    if config is None:
        return ()
    shown = {config.revision_label, CREATED_LABEL}
    return tuple(sorted((k, v) for k, v in config.labels.items() if k not in shown))


def build_view(bundle: Bundle, sha256: str) -> ReportView:
    """Derive the report's facts from ``bundle``; ``sha256`` is the bundle's digest."""
    numbers = {r.id: n for n, r in enumerate(bundle.hotfixes, start=1)}
    findings = group_findings(bundle.checks, numbers)
    finding_of = {c.id: f.label for f in findings for c in f.checks}
    hotfixes = tuple(_hotfix_view(bundle, numbers[r.id], r, findings) for r in bundle.hotfixes)
    verdicts = Counter(h.verdict for h in bundle.hotfixes)
    pushed = bundle.evidence.image.pushed_at if bundle.evidence.image.found else None
    timeline = build_timeline(bundle, numbers)
    redactor = Redactor(bundle.spec.redact.patterns)
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
        findings=findings,
        finding_of=finding_of,
        passed=passed_kinds(bundle.checks),
        pushed_minus_claim=None if pushed is None else pushed - bundle.spec.claimed_deployed_at,
        containers=_containers(bundle),
        log_texts=_all_texts(bundle, numbers),
        lines=matched_lines(bundle.evidence.logs, redactor),
        other_labels=_other_labels(bundle),
        undated=tuple(
            dict.fromkeys(e for m in bundle.evidence.logs.matches for e in m.unknown_time_excerpts)
        ),
        timeline=timeline,
        drawing=draw(timeline),
        fix_rows={
            number: row
            for row, moment in enumerate(timeline.moments, start=1)
            if moment.kind in ("fix", "fixes_first", "fixes_last")
            for number in moment.hotfixes
        },
        actions=required_actions(bundle),
        checklist=_checklist(bundle, hotfixes),
        rerun=_rerun(bundle),
    )


def _hotfix_view(
    bundle: Bundle, number: int, result: HotfixResult, findings: Sequence[Finding]
) -> HotfixView:
    spec = next((h for h in bundle.spec.hotfix if h.id == result.id), None)
    code = bundle.evidence.code
    own = tuple(c for c in bundle.checks if c.hotfix == result.id)
    after_fix = next((c for c in own if c.kind is CheckKind.IMAGE_AFTER_FIX), None)
    fix = after_fix.facts.fix_time if after_fix and after_fix.facts.fix_time else FixTimeFact()
    contains = next((c for c in own if c.kind is CheckKind.IMAGE_CONTAINS_FIX), None)
    image = bundle.evidence.image
    pushed = image.pushed_at if image.found else None
    by_id = {c.id: c for c in bundle.checks}
    basis = tuple(by_id[i] for i in result.checks if i in by_id)
    outcomes = {f.text: f.outcome for c in own for f in c.facts.texts}
    return HotfixView(
        number=number,
        id=result.id,
        title=result.title,
        verdict=result.verdict,
        spec=spec,
        checks=own,
        basis=basis,
        counts=status_counts(basis),
        missing=result.missing,
        observed_by=result.observed_by,
        findings=tuple(f.label for f in findings if number in f.hotfixes),
        expected=_texts(bundle, spec.expect_logs if spec else (), outcomes, (number,)),
        retired=_texts(bundle, spec.retired_logs if spec else (), outcomes, (number,)),
        markers=tuple(m for m in code.markers if m.hotfix == result.id) if code else (),
        fix=fix,
        ancestry=contains.facts.ancestry if contains is not None else None,
        pushed_minus_fix=None if pushed is None or fix.at is None else pushed - fix.at,
    )


def _texts(
    bundle: Bundle,
    texts: Sequence[str],
    outcomes: dict[str, TextOutcome],
    hotfixes: tuple[int, ...],
) -> tuple[LogText, ...]:
    logs = bundle.evidence.logs
    return tuple(
        LogText(text=t, match=logs.match(t), outcome=outcomes.get(t), hotfixes=hotfixes)
        for t in texts
    )


def _all_texts(bundle: Bundle, numbers: dict[str, int]) -> tuple[LogText, ...]:
    """Every searched text once, in the spec's order, with the hotfixes that watch it and the
    outcome their checks computed."""
    watchers: dict[str, list[int]] = {}
    for fix in bundle.spec.hotfix:
        for text in (*fix.expect_logs, *fix.retired_logs):
            watchers.setdefault(text, []).append(numbers.get(fix.id, 0))
    outcomes = {f.text: f.outcome for c in bundle.checks for f in c.facts.texts}
    logs = bundle.evidence.logs
    return tuple(
        LogText(
            text=text,
            match=logs.match(text),
            outcome=outcomes.get(text),
            hotfixes=tuple(dict.fromkeys(n for n in watchers.get(text, ()) if n)),
        )
        for text in bundle.spec.log_texts()
    )


def _containers(bundle: Bundle) -> tuple[ContainerRow, ...]:
    """One row per container of each running task, as the service checks saw them, in the
    order the tasks started."""
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
    # In the order the tasks started (a task's containers together; unknown starts last).
    rows.sort(
        key=lambda r: (
            r.started_at is None,
            r.started_at.timestamp() if r.started_at else 0.0,
            r.task_arn,
        )
    )
    return tuple(rows)


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
    states: dict[tuple[ChecklistKind, bool], dict[str, None]] = {}
    for fix in hotfixes:
        retired = fix.check(CheckKind.LOGS_RETIRED)
        live = retired is not None and retired.facts.live is True
        for text in fix.expected:
            states.setdefault(("log_seen", text.outcome == "seen"), {})[text.text] = None
        for text in fix.retired:
            gone = live and text.outcome == "not_seen"
            states.setdefault(("log_gone", gone), {})[text.text] = None
    for kind in ("log_seen", "log_gone"):
        for done in (False, True):
            texts = tuple(states.get((kind, done), {}))
            if texts:
                entries.append(ChecklistEntry(kind, done, texts=texts))
    entries.extend(ChecklistEntry("item", item.done, item.item) for item in bundle.spec.checklist)
    return tuple(entries)


def _rerun(bundle: Bundle) -> Rerun:
    numbered: dict[str, int] = {}
    users: dict[str, list[str]] = {}
    by_check: dict[str, tuple[int, ...]] = {}
    for check in bundle.checks:
        mine = []
        for command in check.commands:
            number = numbered.setdefault(command, len(numbered) + 1)
            users.setdefault(command, []).append(check.id)
            mine.append(number)
        by_check[check.id] = tuple(dict.fromkeys(mine))
    run = bundle.evidence.run
    read = log_collection(bundle.spec, bundle.evidence)
    return Rerun(
        setup=log_file_sets(bundle.evidence.logs),
        commands=tuple(
            NumberedCommand(number=n, text=text, checks=tuple(users[text]))
            for text, n in numbered.items()
        ),
        by_check=by_check,
        collection=tuple(
            NumberedCommand(number=len(numbered) + i, text=text, checks=())
            for i, text in enumerate(read, start=1)
        ),
        reproduce=run.command if run is not None and run.command else again(bundle),
        again=again(bundle),
        emulator=run.emulator if run is not None else False,
    )
