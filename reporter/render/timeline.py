"""The timeline: every dated fact of the evidence in one ordered list, and its drawing.

:func:`build_timeline` gathers the moments — each fix (its commit, or ``fixed_at``), the
claimed deployment, the image's ``created`` label and its push, each deployment's creation
and last update, each running task's start, the first and last time each expected and
retired text was seen, the log window and the report's time — with their offset from the
claimed deployment, and the few durations a postmortem asks about ("the old code was still
logging 1 h 49 min after the claimed deployment").

To stay readable with many tasks, texts or fixes, each kind is capped: past the cap its
moments are grouped into the earliest and the latest (``grouped`` says how many), and the
report says so. :func:`draw` lays the rows out as data (positions in SVG user units); the
template ``blocks/timeline.svg.j2`` writes the SVG and ``sections/timeline.md.j2`` the
Mermaid block. Nothing here judges or words anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from reporter.model import Bundle, Check, CheckKind, FixSource, LogMatch, MarkerKind

MomentKind = Literal[
    "fix",
    "fixes_first",
    "fixes_last",
    "claimed",
    "image_created",
    "image_pushed",
    "deployment_created",
    "deployment_updated",
    "task_started",
    "tasks_first",
    "tasks_last",
    "text_first",
    "text_last",
    "text_once",
    "texts_first",
    "texts_last",
    "window_start",
    "window_end",
    "report",
]

FIX_ROWS = 4
"""Fix moments shown one by one; past this, the earliest and the latest."""
TASK_ROWS = 4
"""Task starts shown one by one; past this, the earliest and the latest."""
DEPLOYMENT_ROWS = 3
"""Deployments shown (created, last updated); past this, the most recent ones."""
TEXT_ROWS = 4
"""Texts shown with their first and last sighting (retired first); the rest grouped."""

_ORDER: dict[str, int] = {
    kind: n
    for n, kind in enumerate(
        (
            "fix",
            "fixes_first",
            "fixes_last",
            "image_created",
            "image_pushed",
            "deployment_created",
            "task_started",
            "tasks_first",
            "tasks_last",
            "deployment_updated",
            "claimed",
            "window_start",
            "text_first",
            "text_once",
            "texts_first",
            "text_last",
            "texts_last",
            "window_end",
            "report",
        )
    )
}
"""How moments at the same instant are ordered."""


@dataclass(frozen=True)
class Moment:
    """One dated fact."""

    at: datetime
    kind: MomentKind
    since_claim: timedelta = timedelta()
    """``at`` minus the claimed deployment time (negative: before it)."""
    hotfixes: tuple[int, ...] = ()
    """The hotfixes a fix moment is for (by number)."""
    commit: str | None = None
    subject: str | None = None
    source: FixSource | None = None
    """How a fix time is known: ``fixed_at`` of the hotfix, of the spec, or git."""
    task: str | None = None
    deployment: str | None = None
    rollout: str | None = None
    text: str | None = None
    text_kinds: tuple[MarkerKind, ...] = ()
    count: int = 0
    """Events that held the text, for a text moment."""
    grouped: int = 0
    """For a grouped moment (``*_first``/``*_last``): how many fixes, tasks or texts."""
    until: datetime | None = None
    """The end of what the moment starts, for the drawing: a text's last sighting, a
    running task's report time, the window's end."""


@dataclass(frozen=True)
class Gap:
    """A duration a postmortem asks about: from ``start`` to ``end``."""

    kind: Literal[
        "push_vs_claim", "fix_vs_push", "tasks_vs_claim", "retired_vs_claim", "expected_vs_claim"
    ]
    start: datetime
    end: datetime
    hotfixes: tuple[int, ...] = ()
    text: str | None = None

    @property
    def delta(self) -> timedelta:
        """``end - start`` (negative: ``end`` came first)."""
        return self.end - self.start


@dataclass(frozen=True)
class Timeline:
    """The moments in time order, the durations worth saying, and what was grouped."""

    moments: tuple[Moment, ...]
    gaps: tuple[Gap, ...]
    grouped_fixes: int = 0
    grouped_tasks: int = 0
    grouped_texts: int = 0
    omitted_deployments: int = 0


def build_timeline(bundle: Bundle, numbers: dict[str, int]) -> Timeline:
    """The timeline of ``bundle``; ``numbers`` maps hotfix ids to their report numbers."""
    claimed = bundle.spec.claimed_deployed_at
    evidence = bundle.evidence
    image = evidence.image
    moments: list[Moment] = [Moment(at=claimed, kind="claimed")]
    fixes, grouped_fixes = _capped(_fixes(bundle.checks, numbers), FIX_ROWS, "fixes")
    moments += fixes
    config = evidence.image_config
    if config is not None and config.created is not None:
        moments.append(Moment(at=config.created, kind="image_created"))
    if image.found and image.pushed_at is not None:
        moments.append(Moment(at=image.pushed_at, kind="image_pushed"))
    deployments = evidence.service.deployments if evidence.service is not None else ()
    dated = sorted((d for d in deployments if d.created_at is not None), key=_created)
    omitted = max(0, len(dated) - DEPLOYMENT_ROWS)
    for deployment in dated[omitted:]:
        created = _created(deployment)
        moments.append(Moment(at=created, kind="deployment_created", deployment=deployment.id))
        if deployment.updated_at is not None and deployment.updated_at != created:
            moments.append(
                Moment(
                    at=deployment.updated_at,
                    kind="deployment_updated",
                    deployment=deployment.id,
                    rollout=deployment.rollout_state,
                )
            )
    starts, grouped_tasks = _capped(_task_starts(bundle), TASK_ROWS, "tasks")
    moments += starts
    texts, grouped_texts = _texts(bundle)
    moments += texts
    logs = evidence.logs
    if logs.since != claimed:
        moments.append(Moment(at=logs.since, kind="window_start", until=logs.until))
    if logs.until != bundle.generated_at:
        moments.append(Moment(at=logs.until, kind="window_end"))
    moments.append(Moment(at=bundle.generated_at, kind="report"))
    ordered = sorted(
        (replace(m, since_claim=m.at - claimed) for m in moments),
        key=lambda m: (m.at, _ORDER[m.kind]),
    )
    return Timeline(
        moments=tuple(ordered),
        gaps=_gaps(bundle, fixes, starts, numbers),
        grouped_fixes=grouped_fixes,
        grouped_tasks=grouped_tasks,
        grouped_texts=grouped_texts,
        omitted_deployments=omitted,
    )


def _created(deployment: object) -> datetime:
    created = getattr(deployment, "created_at", None)
    if not isinstance(created, datetime):  # filtered out before
        raise TypeError("a deployment without a creation time")
    return created


def _fixes(checks: Sequence[Check], numbers: dict[str, int]) -> list[Moment]:
    """One moment per distinct fix (time and commit), with the hotfixes it fixes."""
    by_fix: dict[tuple[datetime, str | None, str | None], Moment] = {}
    for check in checks:
        fact = check.facts.fix_time
        if check.kind is not CheckKind.IMAGE_AFTER_FIX or fact is None or fact.at is None:
            continue
        key = (fact.at, fact.commit, fact.source)
        number = numbers.get(check.hotfix or "")
        seen = by_fix.get(key)
        hotfixes = (seen.hotfixes if seen else ()) + ((number,) if number else ())
        by_fix[key] = Moment(
            at=fact.at,
            kind="fix",
            hotfixes=tuple(sorted(set(hotfixes))),
            commit=fact.commit,
            subject=fact.subject,
            source=fact.source,
        )
    return sorted(by_fix.values(), key=lambda m: m.at)


def _task_starts(bundle: Bundle) -> list[Moment]:
    """Each running task's start, as ``service.restarted_after_push`` saw it (else the
    evidence), running until the report."""
    check = next(
        (c for c in bundle.checks if c.kind is CheckKind.SERVICE_RESTARTED_AFTER_PUSH), None
    )
    if check is not None and check.facts.tasks:
        pairs = [(t.task, t.started_at) for t in check.facts.tasks]
    else:
        service = bundle.evidence.service
        pairs = [(t.arn, t.started_at) for t in service.tasks] if service is not None else []
    return sorted(
        (
            Moment(at=at, kind="task_started", task=task, until=bundle.generated_at)
            for task, at in pairs
            if at is not None
        ),
        key=lambda m: (m.at, m.task or ""),
    )


def _capped(
    moments: list[Moment], cap: int, plural: Literal["fixes", "tasks"]
) -> tuple[list[Moment], int]:
    """``moments``, or past ``cap`` their earliest and latest, grouped (and how many)."""
    if len(moments) <= cap:
        return moments, 0
    count = len(moments)
    hotfixes = tuple(sorted({n for m in moments for n in m.hotfixes}))
    first: MomentKind = "fixes_first" if plural == "fixes" else "tasks_first"
    last: MomentKind = "fixes_last" if plural == "fixes" else "tasks_last"
    return [
        replace(moments[0], kind=first, grouped=count, hotfixes=hotfixes),
        replace(moments[-1], kind=last, grouped=count, hotfixes=hotfixes),
    ], count


def _text_matches(bundle: Bundle) -> list[LogMatch]:
    """The expected and retired texts seen in the window: retired first, then by sighting."""
    seen = [
        m
        for m in bundle.evidence.logs.matches
        if m.count > 0 and m.first_seen is not None and ({"expected", "retired"} & set(m.kinds))
    ]
    return sorted(seen, key=lambda m: ("retired" not in m.kinds, m.first_seen or m.last_seen))


def _texts(bundle: Bundle) -> tuple[list[Moment], int]:
    matches = _text_matches(bundle)
    shown, rest = matches[:TEXT_ROWS], matches[TEXT_ROWS:]
    moments: list[Moment] = []
    for match in shown:
        first, last = match.first_seen, match.last_seen or match.first_seen
        if first is None or last is None:
            continue
        seen = Moment(
            at=first, kind="text_once", text=match.text, text_kinds=match.kinds, count=match.count
        )
        if first == last:
            moments.append(seen)
        else:
            moments.append(replace(seen, kind="text_first", until=last))
            moments.append(replace(seen, at=last, kind="text_last"))
    if rest:
        firsts = [m.first_seen for m in rest if m.first_seen is not None]
        lasts = [m.last_seen or m.first_seen for m in rest]
        lasts_known = [t for t in lasts if t is not None]
        moments.append(
            Moment(at=min(firsts), kind="texts_first", grouped=len(rest), until=max(lasts_known))
        )
        moments.append(Moment(at=max(lasts_known), kind="texts_last", grouped=len(rest)))
    return moments, len(rest)


def _gaps(
    bundle: Bundle, fixes: list[Moment], starts: list[Moment], numbers: dict[str, int]
) -> tuple[Gap, ...]:
    claimed = bundle.spec.claimed_deployed_at
    pushed = bundle.evidence.image.pushed_at if bundle.evidence.image.found else None
    gaps: list[Gap] = []
    if pushed is not None:
        gaps.append(Gap(kind="push_vs_claim", start=claimed, end=pushed))
        gaps += [
            Gap(kind="fix_vs_push", start=pushed, end=fix.at, hotfixes=fix.hotfixes)
            for fix in fixes
            if fix.kind == "fix"
        ]
    if starts:
        latest = max(m.at for m in starts)
        gaps.append(Gap(kind="tasks_vs_claim", start=claimed, end=latest))
    for match in _text_matches(bundle)[:TEXT_ROWS]:
        if "retired" in match.kinds and match.last_seen is not None:
            gaps.append(
                Gap(kind="retired_vs_claim", start=claimed, end=match.last_seen, text=match.text)
            )
        elif "expected" in match.kinds and match.first_seen is not None:
            gaps.append(
                Gap(kind="expected_vs_claim", start=claimed, end=match.first_seen, text=match.text)
            )
    return tuple(gaps)


# --------------------------------------------------------------------------- the drawing

WIDTH = 720
"""The SVG's width in user units (it is drawn at the width of the page)."""
LABEL_WIDTH = 300
"""The column of row labels, left of the chart."""
RIGHT_MARGIN = 16
ROW_HEIGHT = 15
AXIS_HEIGHT = 30
BOTTOM_MARGIN = 6
_STEPS = tuple(
    timedelta(minutes=m)
    for m in (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080, 43200)
)
MAX_TICKS = 7


@dataclass(frozen=True)
class Tick:
    """A time mark on the axis."""

    x: float
    at: datetime
    with_date: bool
    """The first tick, and each tick on a new day, carry the date."""


@dataclass(frozen=True)
class Row:
    """One moment's row of the drawing."""

    number: int
    """The moment's number in the timeline table (from 1)."""
    moment: Moment
    y: float
    """The row's vertical middle."""
    x: float
    x_end: float | None = None
    """Where the moment's span ends (a bar from ``x``), if it has one."""


@dataclass(frozen=True)
class Drawing:
    """The timeline laid out: rows, axis ticks and the claimed-deployment line."""

    width: int
    height: int
    chart_left: float
    chart_right: float
    axis_y: float
    rows: tuple[Row, ...]
    ticks: tuple[Tick, ...]
    claimed_x: float
    report_x: float
    start: datetime
    end: datetime
    step: timedelta = field(default=timedelta(hours=1))


def draw(timeline: Timeline) -> Drawing | None:
    """Positions for every row of ``timeline`` on one time axis (None: nothing to draw)."""
    moments = timeline.moments
    if not moments:
        return None
    times = [m.at for m in moments] + [m.until for m in moments if m.until is not None]
    first, last = min(times), max(times)
    span = max(last - first, timedelta(minutes=1))
    start, end = first - span / 40, last + span / 40
    left, right = float(LABEL_WIDTH), float(WIDTH - RIGHT_MARGIN)

    def x_of(moment: datetime) -> float:
        return round(left + (right - left) * ((moment - start) / (end - start)), 1)

    rows = tuple(
        Row(
            number=n,
            moment=m,
            y=AXIS_HEIGHT + ROW_HEIGHT * (n - 0.5),
            x=x_of(m.at),
            x_end=x_of(m.until) if m.until is not None and m.until > m.at else None,
        )
        for n, m in enumerate(moments, start=1)
    )
    step = next((s for s in _STEPS if (end - start) / s <= MAX_TICKS), _STEPS[-1])
    ticks = []
    at = _ceil(start, step)
    previous: datetime | None = None
    while at <= end:
        day = at.astimezone(UTC).date()
        ticks.append(Tick(x=x_of(at), at=at, with_date=previous is None or day != previous.date()))
        previous = at.astimezone(UTC)
        at += step
    claimed = next(m.at for m in moments if m.kind == "claimed")
    report = next((m.at for m in moments if m.kind == "report"), last)
    return Drawing(
        width=WIDTH,
        height=int(AXIS_HEIGHT + ROW_HEIGHT * len(rows) + BOTTOM_MARGIN),
        chart_left=left,
        chart_right=right,
        axis_y=AXIS_HEIGHT - 4,
        rows=rows,
        ticks=tuple(ticks),
        claimed_x=x_of(claimed),
        report_x=x_of(report),
        start=start,
        end=end,
        step=step,
    )


def _ceil(moment: datetime, step: timedelta) -> datetime:
    """The first multiple of ``step`` (counted from midnight UTC, or the epoch for days and
    more) at or after ``moment``."""
    utc = moment.astimezone(UTC)
    base = (
        datetime(1970, 1, 5, tzinfo=UTC)  # a Monday: weeks start on Mondays
        if step >= timedelta(days=1)
        else utc.replace(hour=0, minute=0, second=0, microsecond=0)
    )
    steps = -((base - utc) // step)
    return base + steps * step
