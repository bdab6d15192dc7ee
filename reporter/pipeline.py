"""A run: spec → evidence (collectors, concurrently) → checks and verdict → bundle.

:func:`run` is the whole of it, used by the CLI and the demo; :func:`collect` and
:func:`build_bundle` are its two halves. Rendering is :mod:`reporter.render`.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from reporter import __version__
from reporter.checks import judge, run_checks
from reporter.collect.aws import AwsOptions, make_clients
from reporter.collect.git import GitSession
from reporter.collect.interface import Collector, RunContext
from reporter.collect.matching import Marker, markers_for
from reporter.collect.registry import COLLECTORS
from reporter.errors import Cancelled, InputError
from reporter.model import Bundle, Evidence, Frozen, RunInfo
from reporter.progress import NO_PROGRESS, Progress
from reporter.redact import Redactor, redact_fields
from reporter.spec import LoadedSpec, Spec, load_spec


@dataclass(frozen=True)
class Window:
    """The log window [since, until]."""

    since: datetime
    until: datetime


def window(loaded: LoadedSpec, now: datetime) -> Window:
    """``since`` defaults to ``claimed_deployed_at``, ``until`` to now; since must come first."""
    spec = loaded.spec
    since = spec.logs.since or spec.claimed_deployed_at
    until = spec.logs.until or now
    if since >= until:
        key = "logs.since" if spec.logs.since else "claimed_deployed_at"
        raise InputError(
            f"{loaded.path}: key '{key}'",
            f"the log window starts {since.isoformat()}, not before its end {until.isoformat()}"
            + ("" if spec.logs.until else " (now; see --now)"),
        )
    return Window(since, until)


def aws_options(
    spec: Spec, overrides: AwsOptions, environ: Mapping[str, str] | None = None
) -> AwsOptions:
    """Command-line options win over the spec's ``[aws]``, which wins over the environment.

    ``AWS_REGION`` is read here (as the AWS CLI v2 and the other SDKs do, before
    ``AWS_DEFAULT_REGION``): botocore itself reads only ``AWS_DEFAULT_REGION`` and the
    profile, which it still does when neither is set.
    """
    env = os.environ if environ is None else environ
    return replace(
        overrides,
        profile=overrides.profile or spec.aws.profile,
        region=overrides.region or spec.aws.region or env.get("AWS_REGION") or None,
        endpoint_url=overrides.endpoint_url or spec.aws.endpoint_url,
    )


CANCEL_GRACE = 1.5
"""Seconds an interrupted run gives its collectors to stop (and end their child processes)."""


def _run_collectors(
    context: RunContext, collectors: Sequence[Collector]
) -> dict[str, Frozen | None]:
    """Every wanted collector's part, in dependency waves, each wave concurrently.

    Ctrl-C (``KeyboardInterrupt`` in the waiting thread) sets ``context.cancel``, gives the
    collectors :data:`CANCEL_GRACE` seconds to stop and raises :class:`Cancelled`.
    """
    pending = [c for c in collectors if c.wanted(context)]
    for waiting in pending:
        context.progress.state(waiting.part, "waiting")
    parts: dict[str, Frozen | None] = {c.part: None for c in collectors}
    done: set[str] = {c.part for c in collectors} - {c.part for c in pending}
    pool = ThreadPoolExecutor(max_workers=max(1, len(pending)), thread_name_prefix="collect")
    running: list[Future[Frozen | None]] = []
    try:
        while pending:
            ready = [c for c in pending if set(c.after) <= done]
            if not ready:
                names = ", ".join(c.part for c in pending)
                raise ValueError(f"collectors wait on each other: {names}")
            futures = {c.part: pool.submit(_tracked, c, context, dict(parts)) for c in ready}
            running = list(futures.values())
            for part, future in futures.items():
                parts[part] = _result(future)
            done.update(futures)
            pending = [c for c in pending if c.part not in done]
    except KeyboardInterrupt:
        context.cancel.set()
        pool.shutdown(wait=False, cancel_futures=True)
        wait(running, timeout=CANCEL_GRACE)
        raise Cancelled("interrupted") from None
    pool.shutdown(wait=True)
    return parts


WAKE_EVERY = 0.2
"""Seconds between the main thread's checks for Ctrl-C while it waits on collectors."""


def _result(future: Future[Frozen | None]) -> Frozen | None:
    """``future.result()``, waking every :data:`WAKE_EVERY` seconds.

    Python runs signal handlers only in the main thread, between two bytecodes: when the
    kernel hands SIGINT to a collector thread (blocked in a socket read), a main thread
    blocked in one long wait would not see it until the wait ends. Waking keeps Ctrl-C
    prompt whichever thread the signal lands on.
    """
    while True:
        try:
            return future.result(timeout=WAKE_EVERY)
        except TimeoutError:
            continue


def _tracked(
    collector: Collector, context: RunContext, earlier: dict[str, Frozen | None]
) -> Frozen | None:
    """``collector.collect``, its state told to ``context.progress``: running, then done, or
    failed when its part carries an error (or it raised)."""
    progress = context.progress
    progress.state(collector.part, "running")
    try:
        part = collector.collect(context, earlier)
    except BaseException as exc:
        progress.state(collector.part, "failed", type(exc).__name__)
        raise
    error = getattr(part, "error", None)
    if error is not None:
        progress.state(collector.part, "failed", str(getattr(error, "code", "")))
    else:
        progress.state(collector.part, "done")
    return part


def _markers(spec: Spec) -> list[Marker]:
    return markers_for([(f.expect_logs, f.retired_logs) for f in spec.hotfixes], spec.logs.context)


@dataclass(frozen=True)
class RunOptions:
    """How a run reaches AWS, and how it is interrupted."""

    aws: AwsOptions = field(default_factory=AwsOptions)
    """Command-line overrides of the spec's ``[aws]`` and of the environment."""
    cancel: threading.Event | None = None
    """Set it to stop the run: collectors stop promptly and ``Cancelled`` is raised."""
    progress: Progress = NO_PROGRESS
    """Hears each collector's state and the work it measures (the terminal shows it)."""
    record: RunInfo | None = None
    """Record this instead of the run worked out from the options (the demo: its emulator's
    URL changes from run to run, and ``reporter demo`` repeats it)."""


def run(spec_path: Path, now: datetime, options: RunOptions | None = None) -> Bundle:
    """A whole run: load the spec, collect every piece of evidence, judge it into a bundle.

    The CLI (``verify``, ``collect``) and the demo go through here. Bad input raises
    :class:`~reporter.errors.InputError`; an interrupted run raises
    :class:`~reporter.errors.Cancelled`.
    """
    options = options or RunOptions()
    loaded = load_spec(spec_path)
    evidence = collect(
        loaded,
        now,
        options.aws,
        cancel=options.cancel,
        progress=options.progress,
        record=options.record,
    )
    return build_bundle(loaded, evidence)


def collect(
    loaded: LoadedSpec,
    now: datetime,
    overrides: AwsOptions,
    *,
    cancel: threading.Event | None = None,
    collectors: Sequence[Collector] = COLLECTORS,
    progress: Progress = NO_PROGRESS,
    record: RunInfo | None = None,
) -> Evidence:
    """Collect every piece of evidence the spec asks for; independent sources run concurrently.

    Collectors run in waves: each wave holds those whose ``after`` parts are collected.
    A source that fails leaves its part of the evidence marked with the error; the others
    go on. Only bad input (an AWS profile that does not exist, no region) raises.
    ``progress`` hears each collector's state and the work it measures; ``record`` is the
    run to record, when not the one :func:`run_info` works out.
    """
    spec = loaded.spec
    span = window(loaded, now)
    redactor = Redactor(spec.redact.patterns)
    options = aws_options(spec, overrides)
    clients = make_clients(options, where=f"{loaded.path}: key 'aws'")
    stop = cancel or threading.Event()
    root = loaded.code_root
    with contextlib.ExitStack() as resources:
        git = None
        if root is not None:
            git = resources.enter_context(GitSession(root, redactor, cancel=stop))
        context = RunContext(
            loaded=loaded,
            now=now,
            since=span.since,
            until=span.until,
            markers=tuple(_markers(spec)),
            redactor=redactor,
            clients=clients,
            aws=options,
            cancel=stop,
            git=git,
            progress=progress,
        )
        parts = _run_collectors(context, collectors)
    run = record or run_info(loaded, now, options)
    evidence = Evidence.model_validate({"collected_at": now, **parts, "run": run})
    return redact_fields(evidence, redactor)


def run_info(
    loaded: LoadedSpec,
    now: datetime,
    options: AwsOptions,
    environ: Mapping[str, str] | None = None,
) -> RunInfo:
    """How this run reached AWS (``options`` as resolved by :func:`aws_options`, the
    profile and endpoint the environment gives botocore otherwise), and the ``reporter
    verify`` command that repeats it: the spec as given, ``--now`` and those AWS options."""
    env = os.environ if environ is None else environ
    profile = options.profile or env.get("AWS_PROFILE") or None
    endpoint = options.endpoint_url or env.get("AWS_ENDPOINT_URL") or None
    words = ["reporter", "verify", str(loaded.path), "--now", _rfc3339(now)]
    if options.region:
        words += ["--region", options.region]
    if profile:
        words += ["--profile", profile]
    if endpoint:
        words += ["--endpoint-url", endpoint]
    return RunInfo(
        region=options.region,
        profile=profile,
        endpoint_url=endpoint,
        command=shlex.join(words),
    )


def _rfc3339(moment: datetime) -> str:
    """``2025-11-26T10:50:00Z`` (fractions of a second kept when there are any)."""
    text = moment.astimezone(UTC).isoformat()
    return text[: -len("+00:00")] + "Z" if text.endswith("+00:00") else text


def build_bundle(loaded: LoadedSpec, evidence: Evidence) -> Bundle:
    """Checks, hotfix verdicts and the report verdict over the evidence, as one bundle.

    The spec's free text and the evidence are redacted first (identifiers, statuses and
    the spec's own words are never touched: see :func:`reporter.redact.redact_fields`),
    and the checks judge exactly what the bundle stores, so ``render`` judging the bundle
    again reaches the same checks and verdicts.
    """
    redactor = Redactor(loaded.spec.redact.patterns)
    spec = redact_fields(loaded.spec, redactor)
    evidence = redact_fields(evidence, redactor)
    checks = run_checks(spec, evidence)
    hotfixes, verdict = judge(spec, checks)
    return Bundle(
        verdict=verdict,
        generated_at=evidence.collected_at,
        hotfixes=tuple(hotfixes),
        checks=tuple(checks),
        evidence=evidence,
        spec=spec,
        tool_version=__version__,
        spec_path=Path(loaded.path).name,
    )


def rejudge(bundle: Bundle) -> str | None:
    """Judge a bundle again from its own spec and evidence (``reporter render``).

    None when its checks, hotfix verdicts and verdict are exactly what the evidence gives;
    else the first difference, in words. A bundle that fails this was edited, or comes
    from a version of reporter that judges differently.
    """
    checks = tuple(run_checks(bundle.spec, bundle.evidence))
    hotfixes, verdict = judge(bundle.spec, checks)
    stored = {c.id: c for c in bundle.checks}
    judged = {c.id: c for c in checks}
    for check_id in dict.fromkeys([*judged, *stored]):
        mine, theirs = judged.get(check_id), stored.get(check_id)
        if mine is None:
            return f"check {check_id!r} is in the bundle but its evidence gives no such check"
        if theirs is None:
            return f"check {check_id!r} follows from the evidence but is missing from the bundle"
        if mine.status is not theirs.status:
            return (
                f"check {check_id!r} is {theirs.status.value} in the bundle, "
                f"{mine.status.value} by its evidence"
            )
    for check_id, mine in judged.items():
        if mine != stored[check_id]:
            return f"check {check_id!r} reads differently from what its evidence gives"
    if tuple(checks) != bundle.checks:
        return "the checks are not in the order their evidence gives"
    if tuple(hotfixes) != bundle.hotfixes:
        ours = {h.id: h for h in hotfixes}
        for result in bundle.hotfixes:
            if ours.get(result.id) != result:
                return f"hotfix {result.id!r}'s verdict does not follow from its checks"
        return "the hotfixes differ from the spec's"
    if verdict is not bundle.verdict:
        return f"the verdict is {bundle.verdict.value}, its checks give {verdict.value}"
    if bundle.generated_at != bundle.evidence.collected_at:
        return "generated_at is not the time the evidence was collected"
    return None


def utc_now() -> datetime:
    """The current time, to the second, in UTC."""
    return datetime.now(UTC).replace(microsecond=0)
