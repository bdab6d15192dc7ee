"""A run: spec → evidence (collectors, concurrently) → checks and verdict → bundle.

The CLI, the demo and the tests all go through :func:`collect` and :func:`build_bundle`;
rendering is :mod:`reporter.render`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from reporter import __version__
from reporter.checks import judge, run_checks
from reporter.collect.aws import AwsOptions, make_clients
from reporter.collect.code import collect_code
from reporter.collect.ecr import Boto3Ecr, collect_image
from reporter.collect.ecs import Boto3Ecs, collect_service
from reporter.collect.files import collect_files
from reporter.collect.logs import Boto3Logs, collect_cloudwatch
from reporter.collect.matching import Marker, markers_for
from reporter.errors import InputError
from reporter.model import Bundle, CodeEvidence, Evidence, LogsEvidence, ServiceEvidence
from reporter.redact import Redactor
from reporter.spec import LoadedSpec, Spec

T = TypeVar("T")


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


def aws_options(spec: Spec, overrides: AwsOptions) -> AwsOptions:
    """Command-line options win over the spec's ``[aws]``, which wins over the environment."""
    return replace(
        overrides,
        profile=overrides.profile or spec.aws.profile,
        region=overrides.region or spec.aws.region,
        endpoint_url=overrides.endpoint_url or spec.aws.endpoint_url,
    )


def _markers(spec: Spec) -> list[Marker]:
    return markers_for([(f.expect_logs, f.retired_logs) for f in spec.hotfixes], spec.logs.context)


def _fix_commits_wanted(spec: Spec) -> set[str]:
    if spec.fixed_at is not None:
        return set()
    return {f.id for f in spec.hotfixes if f.fixed_at is None and f.code}


def collect(loaded: LoadedSpec, now: datetime, overrides: AwsOptions) -> Evidence:
    """Collect every piece of evidence the spec asks for; independent sources run concurrently.

    A source that fails leaves its part of the evidence marked with the error; the others
    go on. Only bad input (an AWS profile that does not exist, no region) raises.
    """
    spec = loaded.spec
    span = window(loaded, now)
    redactor = Redactor(spec.redact.patterns)
    markers = _markers(spec)
    clients = make_clients(aws_options(spec, overrides), where=f"{loaded.path}: key 'aws'")

    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="collect") as pool:

        def submit(fn: Callable[..., T], *args: Any) -> Future[T]:
            return pool.submit(fn, *args)

        image_f = submit(collect_image, Boto3Ecr(clients.ecr), spec.image)
        service_f: Future[ServiceEvidence] | None = None
        if spec.service is not None:
            service_f = submit(
                collect_service, Boto3Ecs(clients.ecs), spec.service, spec.image.repository
            )
        logs_f: Future[LogsEvidence]
        if spec.logs.files is None:
            logs_f = submit(
                collect_cloudwatch,
                Boto3Logs(clients.logs),
                spec.logs.log_groups[0],
                span.since,
                span.until,
                markers,
                redactor,
            )
        else:
            logs_f = submit(
                collect_files,
                loaded.log_files(),
                loaded.base_dir,
                span.since,
                span.until,
                markers,
                redactor,
            )
        code_f: Future[CodeEvidence] | None = None
        root = loaded.code_root
        if root is not None:
            code_f = submit(collect_code, root, spec.hotfixes, _fix_commits_wanted(spec), redactor)

        evidence = Evidence(
            collected_at=now,
            image=image_f.result(),
            service=service_f.result() if service_f else None,
            logs=logs_f.result(),
            code=_shown_from(code_f.result(), loaded) if code_f else None,
        )
    return redact_model(evidence, redactor)


def _shown_from(code: CodeEvidence, loaded: LoadedSpec) -> CodeEvidence:
    """``code.root`` as the report shows it: relative to the spec's folder when inside it."""
    root = Path(code.root)
    shown = (
        root.relative_to(loaded.base_dir).as_posix()
        if root.is_relative_to(loaded.base_dir)
        else str(root)
    )
    return code.model_copy(update={"root": shown or "."})


M = TypeVar("M", bound=Evidence)

SPEC_ECHOES = frozenset({"text", "path", "hotfix", "kinds"})
"""Evidence fields that repeat the spec's own words (a marker text, a code path, a hotfix
id): they are the keys checks look evidence up by, so redaction must leave them alone."""


def redact_model(model: M, redactor: Redactor) -> M:
    """The same model with every string in it redacted (errors, tags, lines, messages...)."""

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return redactor(value)
        if isinstance(value, dict):
            return {k: v if k in SPEC_ECHOES else walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    return type(model).model_validate(walk(model.model_dump()))


def build_bundle(loaded: LoadedSpec, evidence: Evidence) -> Bundle:
    """Checks, hotfix verdicts and the report verdict over the evidence, as one bundle."""
    spec = loaded.spec
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


def utc_now() -> datetime:
    """The current time, to the second, in UTC."""
    return datetime.now(UTC).replace(microsecond=0)
