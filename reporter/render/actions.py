"""The required actions: which remediation the failed and unknown checks call for, and the
commands for it, decided once here (the templates only show them).

- the fix is missing from the checkout (``code_has_marker`` failed): commit it;
- the image is missing, older than a fix or built without it: build and push it, labelled
  with the commit it is built from (so the next run can prove it holds the fix);
- the service runs another image, was not restarted, or the old code still logs (or the
  image is rebuilt): force a new deployment and wait until it is stable;
- the service is not stable: look at its deployments and events;
- expected texts not seen, or retired texts still seen: watch the logs, then verify again;
- checks that could not be completed: fix their cause and verify again;
- checklist items not ticked: a person checks them.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from reporter.checks.commands import FILE_ARRAYS, aws, log_file_sets
from reporter.collect.logs import pattern_for
from reporter.model import Bundle, Check, CheckKind, CodeMarkerEvidence, Status

ActionKind = Literal[
    "commit_code",
    "build_image",
    "restart_service",
    "investigate_service",
    "watch_logs",
    "complete_evidence",
    "manual_checks",
]

_REBUILD = frozenset(
    {CheckKind.IMAGE_FOUND, CheckKind.IMAGE_AFTER_FIX, CheckKind.IMAGE_CONTAINS_FIX}
)
_RESTART = frozenset(
    {CheckKind.SERVICE_RUNS_IMAGE, CheckKind.SERVICE_RESTARTED_AFTER_PUSH, CheckKind.LOGS_RETIRED}
)
TAIL_SINCE = "10m"
"""How far back ``aws logs tail`` looks when watching for the new code."""


@dataclass(frozen=True)
class Action:
    """One required action, with what it is about and the commands that do it."""

    kind: ActionKind
    commands: tuple[str, ...] = ()
    markers: tuple[CodeMarkerEvidence, ...] = ()
    """``commit_code``: the code entries missing from the checkout."""
    expected: tuple[str, ...] = ()
    """``watch_logs``: expected texts not seen yet."""
    retired: tuple[str, ...] = ()
    """``watch_logs``: retired texts still logged."""
    checks: tuple[Check, ...] = ()
    """``complete_evidence``: the checks that could not be completed."""
    items: tuple[str, ...] = ()
    """``manual_checks``: the checklist items not ticked (the author's Markdown)."""


def required_actions(bundle: Bundle) -> tuple[Action, ...]:
    """What the failed and unknown checks of ``bundle`` call for, in the order to do it."""
    failed = [c for c in bundle.checks if c.status is Status.FAIL]
    kinds = {c.kind for c in failed}
    actions: list[Action] = []
    missing = _missing_code(bundle, failed)
    if missing:
        actions.append(Action(kind="commit_code", markers=missing))
    rebuild = bool(kinds & _REBUILD)
    if rebuild:
        actions.append(Action(kind="build_image", commands=_build_commands(bundle)))
    service = bundle.spec.service
    if service is not None and (rebuild or kinds & _RESTART):
        actions.append(Action(kind="restart_service", commands=_restart_commands(bundle)))
    if service is not None and CheckKind.SERVICE_STABLE in kinds:
        investigate = aws(
            bundle.evidence.run,
            bundle.spec,
            "ecs",
            "describe-services",
            "--cluster",
            service.cluster,
            "--services",
            service.name,
            "--query",
            "services[0].{deployments:deployments,events:events[:10]}",
        )
        actions.append(Action(kind="investigate_service", commands=(investigate,)))
    expected, retired = _texts(bundle, failed)
    if expected or retired:
        actions.append(
            Action(
                kind="watch_logs",
                commands=_watch_commands(bundle, expected, retired),
                expected=expected,
                retired=retired,
            )
        )
    unknown = tuple(c for c in bundle.checks if c.status is Status.UNKNOWN)
    if unknown:
        actions.append(Action(kind="complete_evidence", checks=unknown, commands=(again(bundle),)))
    manual = tuple(item.item for item in bundle.spec.checklist if not item.done)
    if manual:
        actions.append(Action(kind="manual_checks", items=manual))
    return tuple(actions)


def again(bundle: Bundle) -> str:
    """The command that verifies again now: the run's own command without ``--now``."""
    run = bundle.evidence.run
    if run is None or not run.command:
        return shlex.join(["reporter", "verify", bundle.spec_path or "SPEC.toml"])
    words = shlex.split(run.command)
    if "--now" in words:
        at = words.index("--now")
        del words[at : at + 2]
    return shlex.join(words)


def _missing_code(bundle: Bundle, failed: Sequence[Check]) -> tuple[CodeMarkerEvidence, ...]:
    code = bundle.evidence.code
    hotfixes = {c.hotfix for c in failed if c.kind is CheckKind.CODE_HAS_MARKER}
    if code is None or not hotfixes:
        return ()
    return tuple(m for m in code.markers if m.hotfix in hotfixes and m.found is False)


def registry_host(bundle: Bundle) -> str:
    """``<account>.dkr.ecr.<region>.amazonaws.com`` (placeholders where unknown)."""
    run = bundle.evidence.run
    account = bundle.evidence.image.registry_id or bundle.spec.image.registry_id
    region = (run.region if run is not None else None) or bundle.spec.aws.region
    return f"{account or '<account-id>'}.dkr.ecr.{region or '<region>'}.amazonaws.com"


def _build_commands(bundle: Bundle) -> tuple[str, ...]:
    image = bundle.spec.image
    local = f"{image.repository}:{image.tag}"
    host = registry_host(bundle)
    remote = f"{host}/{local}"
    root = bundle.spec.code.root if bundle.spec.code is not None else "."
    head = (
        shlex.join(["git", "-C", root, "rev-parse", "HEAD"])
        if root != "."
        else ("git rev-parse HEAD")
    )
    label = f'--label "{image.revision_label}=$({head})"'
    login = aws(bundle.evidence.run, bundle.spec, "ecr", "get-login-password")
    return (
        f"docker build {label} -t {shlex.quote(local)} .",
        shlex.join(["docker", "tag", local, remote]),
        f"{login} | docker login --username AWS --password-stdin {shlex.quote(host)}",
        shlex.join(["docker", "push", remote]),
    )


def _restart_commands(bundle: Bundle) -> tuple[str, ...]:
    service = bundle.spec.service
    if service is None:
        return ()
    run, spec = bundle.evidence.run, bundle.spec
    return (
        aws(
            run,
            spec,
            "ecs",
            "update-service",
            "--cluster",
            service.cluster,
            "--service",
            service.name,
            "--force-new-deployment",
        ),
        aws(
            run,
            spec,
            "ecs",
            "wait",
            "services-stable",
            "--cluster",
            service.cluster,
            "--services",
            service.name,
        ),
    )


def _texts(bundle: Bundle, failed: Sequence[Check]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    expected: dict[str, None] = {}
    retired: dict[str, None] = {}
    for check in failed:
        for fact in check.facts.texts:
            if check.kind is CheckKind.LOGS_EXPECTED and fact.outcome != "seen":
                expected[fact.text] = None
            if check.kind is CheckKind.LOGS_RETIRED and fact.outcome == "seen":
                retired[fact.text] = None
    return tuple(expected), tuple(retired)


def _watch_commands(
    bundle: Bundle, expected: tuple[str, ...], retired: tuple[str, ...]
) -> tuple[str, ...]:
    logs = bundle.evidence.logs
    commands: list[str] = []
    if logs.source == "cloudwatch":
        groups = logs.groups or ((logs.group,) if logs.group else ())
        for texts in (expected, retired):
            if texts:
                commands += [
                    aws(
                        bundle.evidence.run,
                        bundle.spec,
                        "logs",
                        "tail",
                        group,
                        "--since",
                        TAIL_SINCE,
                        "--filter-pattern",
                        pattern_for(texts),
                    )
                    for group in groups
                ]
    else:
        arrays = [line.split("=", 1)[0] for line in log_file_sets(logs)]
        commands.append(f"# the log files: {', '.join(arrays)}, set once in Appendix B")
        for texts in (expected, retired):
            if texts:
                patterns = [w for text in texts for w in ("-e", text)]
                commands += [
                    f'{shlex.join([tool, "-F", *patterns, "--"])} "${{{array}[@]}}" </dev/null'
                    for tool, array in FILE_ARRAYS.items()
                    if array in arrays
                ]
    commands.append(again(bundle))
    return tuple(commands)
