"""Checks: small pure functions from evidence to a status and one sentence a person reads.

None of them is optimistic: evidence that is missing, incomplete or failed to arrive makes
a check ``unknown`` (and the sentence says why), never ``pass``. Verdicts follow
CONTRACT section 4.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from reporter.model import (
    Check,
    CodeEvidence,
    Evidence,
    HotfixResult,
    HotfixVerdict,
    ImageEvidence,
    LogsEvidence,
    ServiceEvidence,
    Status,
    TaskEvidence,
    Verdict,
)
from reporter.spec import HotfixSection, Spec

PASS, FAIL, UNKNOWN, MANUAL = Status.PASS, Status.FAIL, Status.UNKNOWN, Status.MANUAL


@dataclass(frozen=True)
class Finding:
    """What a check function returns: a status and the sentence that explains it."""

    status: Status
    summary: str


# --------------------------------------------------------------------------- wording


def when(moment: datetime) -> str:
    """``2025-11-25 21:54:59 UTC``."""
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def span(delta: timedelta) -> str:
    """A duration in words: ``10 h 5 min``, ``3 min``, ``2 d 4 h``."""
    minutes = int(abs(delta).total_seconds()) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min" if mins else "under a minute"


def times(count: int) -> str:
    """``1 time``, ``3 times``."""
    return f"{count} time" if count == 1 else f"{count} times"


def quoted(text: str, limit: int = 80) -> str:
    """A marker text in quotes, cut when very long."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def short_task(arn: str) -> str:
    """The task id at the end of a task ARN."""
    return arn.rsplit("/", 1)[-1]


def short_digest(digest: str) -> str:
    """``sha256:0123456789ab``."""
    return digest[:19]


def image_repository(reference: str) -> str:
    """The repository part of an image reference (registry host, tag and digest removed)."""
    name = reference.split("@", 1)[0]
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        name = rest
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > last_slash:
        name = name[:colon]
    return name


def logs_where(logs: LogsEvidence) -> str:
    """Where the logs came from, for sentences: the group or the files."""
    if logs.source == "cloudwatch":
        return f"log group {logs.group}"
    names = ", ".join(logs.files[:3]) + (
        f" and {len(logs.files) - 3} more" if len(logs.files) > 3 else ""
    )
    return f"log files {names}"


def logs_window(logs: LogsEvidence) -> str:
    """``between 2025-11-26 09:00:00 UTC and 2025-11-26 10:50:00 UTC``."""
    return f"between {when(logs.since)} and {when(logs.until)}"


# --------------------------------------------------------------------------- image.* and service.*


def image_found(image: ImageEvidence) -> Finding:
    """``image.found``: the tag exists in the repository."""
    ref = f"{image.repository}:{image.tag}"
    if image.error is not None:
        return Finding(UNKNOWN, f"Could not read {ref} from ECR: {image.error.line()}")
    if not image.found:
        return Finding(
            FAIL, f"{ref} is not in ECR: {image.not_found_reason or 'no image for the tag'}"
        )
    digest = short_digest(image.digest) if image.digest else "no digest"
    pushed = f", pushed {when(image.pushed_at)}" if image.pushed_at else ", push time not returned"
    return Finding(PASS, f"{ref} exists in ECR ({digest}{pushed}).")


def service_stable(service: ServiceEvidence) -> Finding:
    """``service.stable``: running = desired > 0, one deployment, rollout neither failed nor
    in progress."""
    name = f"{service.cluster}/{service.name}"
    if service.error is not None:
        return Finding(UNKNOWN, f"Could not describe service {name}: {service.error.line()}")
    if not service.found:
        return Finding(FAIL, f"Service {name} not found: {service.not_found_reason or 'missing'}")
    if service.status is None:
        return Finding(UNKNOWN, f"ECS returned no status for service {name}.")
    if service.status != "ACTIVE":
        return Finding(FAIL, f"Service {name} is {service.status}, not ACTIVE.")
    if service.desired_count is None or service.running_count is None:
        return Finding(UNKNOWN, f"ECS returned no desired/running counts for {name}.")
    desired, running = service.desired_count, service.running_count
    if desired <= 0:
        return Finding(FAIL, f"Service {name} wants {desired} tasks: nothing is meant to run.")
    if running != desired:
        return Finding(FAIL, f"Service {name} runs {running} of {desired} desired tasks.")
    if len(service.deployments) != 1:
        states = ", ".join(
            f"{d.status or '?'} {d.rollout_state or ''}".strip() for d in service.deployments
        )
        return Finding(
            FAIL,
            f"Service {name} has {len(service.deployments)} deployments ({states or 'none'}): "
            "a rollout is not finished.",
        )
    rollout = service.deployments[0].rollout_state
    if rollout in ("FAILED", "IN_PROGRESS"):
        reason = service.deployments[0].rollout_state_reason
        return Finding(
            FAIL, f"Service {name} rollout is {rollout}" + (f": {reason}" if reason else ".")
        )
    return Finding(
        PASS,
        f"Service {name} runs {running}/{desired} tasks on one deployment "
        f"(rollout {rollout or 'state not reported'}).",
    )


def _service_unusable(service: ServiceEvidence) -> Finding | None:
    name = f"{service.cluster}/{service.name}"
    if service.error is not None:
        return Finding(UNKNOWN, f"Could not describe service {name}: {service.error.line()}")
    if not service.found:
        return Finding(FAIL, f"Service {name} not found: nothing runs the image.")
    if service.tasks_error is not None:
        return Finding(UNKNOWN, f"Could not list the tasks of {name}: {service.tasks_error.line()}")
    if not service.tasks:
        return Finding(FAIL, f"Service {name} has no running tasks.")
    return None


def _task_digest(task: TaskEvidence, repository: str, registry_digest: str) -> tuple[Status, str]:
    containers = [c for c in task.containers if c.image and image_repository(c.image) == repository]
    tid = short_task(task.arn)
    if not containers:
        if any(c.image is None for c in task.containers) or not task.containers:
            return UNKNOWN, f"task {tid}: ECS returned no container image references"
        images = ", ".join(sorted({c.image or "" for c in task.containers}))
        return FAIL, f"task {tid} runs no image from {repository} ({images})"
    for container in containers:
        if container.image_digest is None:
            return (
                UNKNOWN,
                f"task {tid}: no imageDigest for container {container.name} "
                "and its image is not digest-pinned",
            )
        if container.image_digest != registry_digest:
            return (
                FAIL,
                f"task {tid} runs {short_digest(container.image_digest)}, "
                f"not {short_digest(registry_digest)}",
            )
    return PASS, f"task {tid} runs {short_digest(registry_digest)}"


def _worst(results: Iterable[tuple[Status, str]]) -> tuple[Status, list[str]]:
    items = list(results)
    for status in (FAIL, UNKNOWN):
        bad = [text for s, text in items if s is status]
        if bad:
            return status, bad
    return PASS, [text for _, text in items]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _listed(texts: Sequence[str], separator: str = "; ", limit: int = 3) -> str:
    shown = separator.join(texts[:limit])
    return shown + (f"{separator}and {len(texts) - limit} more" if len(texts) > limit else "")


def _image_missing(image: ImageEvidence, field: str, missing: str, compared: str) -> Finding:
    """``unknown``: the image fact a service check compares with is missing, and why (the
    ECR call failed, no such tag, or ECR left ``field`` out)."""
    if image.error is not None:
        why = image.error.line()
    elif not image.found:
        why = "the tag is not in ECR"
    else:
        why = f"ECR returned no {field}"
    return Finding(
        UNKNOWN, f"{missing} for {image.repository}:{image.tag} to compare {compared} with: {why}."
    )


def service_runs_image(service: ServiceEvidence, image: ImageEvidence) -> Finding:
    """``service.runs_image``: every running task runs the registry digest of the tag."""
    unusable = _service_unusable(service)
    if unusable is not None:
        return unusable
    if image.digest is None:
        return _image_missing(image, "imageDigest", "No registry digest", "the tasks")
    status, texts = _worst(_task_digest(t, image.repository, image.digest) for t in service.tasks)
    if status is PASS:
        return Finding(
            PASS,
            f"All {len(service.tasks)} running tasks run {short_digest(image.digest)}, "
            f"the digest of {image.repository}:{image.tag}.",
        )
    return Finding(status, _sentence(_listed(texts)))


def service_restarted_after_push(service: ServiceEvidence, image: ImageEvidence) -> Finding:
    """``service.restarted_after_push``: every running task started at or after the push."""
    unusable = _service_unusable(service)
    if unusable is not None:
        return unusable
    if image.pushed_at is None:
        return _image_missing(image, "imagePushedAt", "No push time", "the task start times")
    pushed = image.pushed_at
    results: list[tuple[Status, str]] = []
    for task in service.tasks:
        tid = short_task(task.arn)
        if task.started_at is None:
            results.append((UNKNOWN, f"task {tid}: ECS returned no startedAt"))
        elif task.started_at < pushed:
            results.append(
                (
                    FAIL,
                    f"task {tid} started {when(task.started_at)}, "
                    f"{span(pushed - task.started_at)} before the push",
                )
            )
        else:
            results.append((PASS, f"task {tid} started {when(task.started_at)}"))
    status, texts = _worst(results)
    if status is PASS:
        earliest = min(t.started_at for t in service.tasks if t.started_at is not None)
        return Finding(
            PASS,
            f"All {len(service.tasks)} running tasks started at or after the push "
            f"({when(pushed)}); earliest {when(earliest)}.",
        )
    return Finding(status, _sentence(_listed(texts)))


# --------------------------------------------------------------------------- per hotfix


def code_has_marker(hotfix: HotfixSection, code: CodeEvidence | None) -> Finding:
    """``<hotfix>.code_has_marker``: each ``code`` entry's text is in its file."""
    if code is None:
        return Finding(UNKNOWN, "No [code] section: the checkout was not looked at.")
    if code.error is not None:
        return Finding(UNKNOWN, f"Could not read the checkout {code.root}: {code.error.line()}")
    results: list[tuple[Status, str]] = []
    for entry in hotfix.code:
        found = next(
            (
                m
                for m in code.markers
                if m.hotfix == hotfix.id and m.path == entry.path and m.text == entry.contains
            ),
            None,
        )
        what = f"{quoted(entry.contains)} in {entry.path}"
        if found is None:
            results.append((UNKNOWN, f"{what}: not looked up"))
        elif found.found is None:
            why = found.error.line() if found.error else "the file could not be read"
            results.append((UNKNOWN, f"{what}: {why}"))
        elif not found.found:
            missing = (
                "the file does not exist" if found.file_exists is False else "text not present"
            )
            results.append((FAIL, f"{what}: {missing}"))
        else:
            lines = ", ".join(str(n) for n in found.lines[:5])
            results.append((PASS, f"{what} at line {lines}"))
    status, texts = _worst(results)
    return Finding(status, ("Found " if status is PASS else "") + _listed(texts) + ".")


@dataclass(frozen=True)
class FixTime:
    """When a hotfix was fixed, and how that is known."""

    at: datetime | None
    source: str


def fix_time(hotfix: HotfixSection, spec: Spec, code: CodeEvidence | None) -> FixTime:
    """The hotfix's ``fixed_at``, else the spec's, else the git commit that added its markers."""
    if hotfix.fixed_at is not None:
        return FixTime(hotfix.fixed_at, f"fixed_at of hotfix {hotfix.id} in the spec")
    if spec.fixed_at is not None:
        return FixTime(spec.fixed_at, "fixed_at in the spec")
    if not hotfix.code:
        return FixTime(
            None, "no fixed_at in the spec and no code markers to find the fix commit by"
        )
    if code is None:
        return FixTime(None, "no fixed_at in the spec and no [code] checkout to ask git")
    commit = code.fix_commit(hotfix.id)
    if commit is None:
        return FixTime(None, "git was not asked for the fix commit")
    if commit.error is not None or commit.committed_at is None or commit.commit is None:
        why = commit.error.line() if commit.error else "no commit date"
        return FixTime(None, f"no fixed_at in the spec and no fix commit from git ({why})")
    return FixTime(
        commit.committed_at, f"git commit {commit.commit[:10]} that added the code markers"
    )


def image_after_fix(fix: FixTime, image: ImageEvidence) -> Finding:
    """``<hotfix>.image_after_fix``: the image was pushed at or after the fix time."""
    if fix.at is None:
        return Finding(UNKNOWN, f"Fix time unknown: {fix.source}.")
    if image.error is not None:
        return Finding(UNKNOWN, f"No push time: {image.error.line()}")
    if not image.found:
        return Finding(UNKNOWN, f"No push time: {image.repository}:{image.tag} is not in ECR.")
    if image.pushed_at is None:
        return Finding(UNKNOWN, "ECR returned no imagePushedAt for the image.")
    if image.pushed_at < fix.at:
        return Finding(
            FAIL,
            f"Image pushed {when(image.pushed_at)}, "
            f"{span(fix.at - image.pushed_at)} before the fix "
            f"({when(fix.at)}, {fix.source}): it cannot contain the fix.",
        )
    return Finding(
        PASS,
        f"Image pushed {when(image.pushed_at)}, "
        f"at or after the fix ({when(fix.at)}, {fix.source}).",
    )


def logs_expected(hotfix: HotfixSection, logs: LogsEvidence) -> Finding:
    """``<hotfix>.logs_expected``: each ``expect_logs`` text occurs in the window."""
    seen: list[str] = []
    unseen: list[str] = []
    for text in hotfix.expect_logs:
        match = logs.match(text)
        if match is not None and match.count > 0 and match.last_seen is not None:
            seen.append(f"{quoted(text)} seen {times(match.count)}, last {when(match.last_seen)}")
        else:
            unseen.append(quoted(text))
    where = f" (in {logs_where(logs)})."
    if not unseen:
        return Finding(PASS, _listed(seen) + where)
    total = len(hotfix.expect_logs)
    which = unseen[0] if total == 1 else f"{len(unseen)} of {total} texts ({_listed(unseen, ', ')})"
    if logs.error is not None:
        return Finding(
            UNKNOWN,
            f"{which} not seen, but the logs were not read completely: {logs.error.line()}" + where,
        )
    if total > 1 and len(unseen) == total:
        listed = _listed(unseen, ", ")
        return Finding(
            FAIL, f"None of the {total} texts ({listed}) logged {logs_window(logs)}" + where
        )
    return Finding(FAIL, f"{which} never logged {logs_window(logs)}" + where)


def logs_retired(hotfix: HotfixSection, logs: LogsEvidence) -> Finding:
    """``<hotfix>.logs_retired``: no ``retired_logs`` text occurs in the window."""
    seen = []
    for text in hotfix.retired_logs:
        match = logs.match(text)
        if match is not None and match.count > 0 and match.last_seen is not None:
            seen.append(
                f"{quoted(text)} still logged {times(match.count)}, last {when(match.last_seen)}"
            )
    if seen:
        return Finding(
            FAIL, _listed(seen) + f" (in {logs_where(logs)}): the old code is still running."
        )
    if logs.error is not None:
        return Finding(
            UNKNOWN,
            f"Retired texts not seen, but the logs were not read completely: {logs.error.line()}",
        )
    n = len(hotfix.retired_logs)
    return Finding(
        PASS,
        f"None of the {n} retired texts logged {logs_window(logs)} in {logs_where(logs)} "
        f"({logs.events_scanned} matching events read).",
    )


# --------------------------------------------------------------------------- all checks


def _image_source(image: ImageEvidence) -> str:
    return f"ECR DescribeImages {image.repository}:{image.tag}"


def _logs_source(logs: LogsEvidence) -> str:
    if logs.source == "cloudwatch":
        window = f"{when(logs.since)} to {when(logs.until)}"
        return f"CloudWatch Logs FilterLogEvents {logs.group}, {window}"
    return f"log files ({len(logs.files)}), {when(logs.since)} to {when(logs.until)}"


def run_checks(spec: Spec, evidence: Evidence) -> list[Check]:
    """Every check of CONTRACT section 3, in a stable order."""
    checks: list[Check] = []

    def add(
        check_id: str, kind: str, finding: Finding, source: str, hotfix: str | None = None
    ) -> None:
        checks.append(
            Check(
                id=check_id,
                status=finding.status,
                summary=finding.summary,
                source=source,
                hotfix=hotfix,
                kind=kind,
            )
        )

    image = evidence.image
    add("image.found", "image.found", image_found(image), _image_source(image))
    service = evidence.service
    if service is not None:
        where = f"{service.cluster}/{service.name}"
        add(
            "service.stable",
            "service.stable",
            service_stable(service),
            f"ECS DescribeServices {where}",
        )
        add(
            "service.runs_image",
            "service.runs_image",
            service_runs_image(service, image),
            f"ECS ListTasks + DescribeTasks {where}; {_image_source(image)}",
        )
        add(
            "service.restarted_after_push",
            "service.restarted_after_push",
            service_restarted_after_push(service, image),
            f"ECS DescribeTasks {where}; {_image_source(image)}",
        )
    logs = evidence.logs
    for fix in spec.hotfixes:
        if fix.code:
            root = evidence.code.root if evidence.code else "code.root"
            add(
                f"{fix.id}.code_has_marker",
                "code_has_marker",
                code_has_marker(fix, evidence.code),
                f"files under {root}",
                fix.id,
            )
        timing = fix_time(fix, spec, evidence.code)
        add(
            f"{fix.id}.image_after_fix",
            "image_after_fix",
            image_after_fix(timing, image),
            f"{_image_source(image)}; fix time from {timing.source}",
            fix.id,
        )
        if fix.expect_logs:
            add(
                f"{fix.id}.logs_expected",
                "logs_expected",
                logs_expected(fix, logs),
                _logs_source(logs),
                fix.id,
            )
        if fix.retired_logs:
            add(
                f"{fix.id}.logs_retired",
                "logs_retired",
                logs_retired(fix, logs),
                _logs_source(logs),
                fix.id,
            )
    for n, item in enumerate(spec.checklist, start=1):
        finding = (
            Finding(PASS, f"Ticked: {item.item}")
            if item.done
            else Finding(MANUAL, f"Not ticked: {item.item}")
        )
        add(f"checklist.{n}", "checklist", finding, "checklist in the spec")
    return checks


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
    """Each hotfix's verdict from its own checks and every image.*/service.* check."""
    shared = [c for c in checks if c.hotfix is None and c.id.startswith(("image.", "service."))]
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
