"""``service.*``: the service is stable, runs the registry digest, restarted after the push."""

from __future__ import annotations

from collections.abc import Sequence

from reporter.checks.base import FAIL, PASS, UNKNOWN, Finding, worst
from reporter.checks.wording import (
    image_repository,
    listed,
    sentence,
    short_digest,
    short_task,
    span,
    when,
)
from reporter.model import (
    ComparedContainer,
    Facts,
    ImageEvidence,
    ServiceEvidence,
    Status,
    TaskEvidence,
    TaskStart,
)


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
    if not service.tasks and unaccounted(service) is None:
        return Finding(FAIL, f"Service {name} has no running tasks.", Facts(accounted=True))
    return None


def unaccounted(service: ServiceEvidence) -> str | None:
    """Why the running tasks inspected do not account for the service (None: they do).

    Every running task counts: a task ListTasks named that DescribeTasks did not describe
    (a ``failures`` entry, ``MISSING`` included, or no answer at all), or a number of
    running tasks inspected other than the service's ``runningCount``.
    """
    causes: list[str] = []
    if service.task_failures:
        named = [
            f"{f.reason} for {short_task(f.arn) if f.arn else 'a task'}"
            for f in service.task_failures
        ]
        causes.append(
            f"DescribeTasks did not describe {len(service.task_failures)} listed "
            f"{'task' if len(service.task_failures) == 1 else 'tasks'} ({listed(named, ', ')})"
        )
    if service.undescribed:
        ids = [short_task(arn) for arn in service.undescribed]
        causes.append(
            f"DescribeTasks returned nothing for {len(ids)} listed "
            f"{'task' if len(ids) == 1 else 'tasks'} ({listed(ids, ', ')})"
        )
    if service.running_count is None:
        causes.append("ECS returned no runningCount for the service")
    elif service.running_count != len(service.tasks):
        causes.append(
            f"the service counts {service.running_count} running "
            f"{'task' if service.running_count == 1 else 'tasks'} but "
            f"{len(service.tasks)} {'was' if len(service.tasks) == 1 else 'were'} inspected"
        )
    return "; ".join(causes) or None


def _judged(
    results: list[tuple[Status, str]], service: ServiceEvidence, facts: Facts
) -> Finding | None:
    """A failure wins (one task running something else is proof enough); then tasks not
    accounted for; then tasks that could not be judged. None when every task passed."""
    status, texts = worst(results)
    if status is FAIL:
        return Finding(FAIL, sentence(listed(texts)), facts)
    cause = unaccounted(service)
    if cause is not None:
        return Finding(UNKNOWN, f"Not every running task was inspected: {cause}.", facts)
    if status is UNKNOWN:
        return Finding(UNKNOWN, sentence(listed(texts)), facts)
    return None


def _compare(task: TaskEvidence, repository: str, registry_digest: str) -> tuple[Status, str]:
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


def _containers(
    tasks: Sequence[TaskEvidence], repository: str, registry_digest: str | None
) -> tuple[ComparedContainer, ...]:
    rows = []
    for task in tasks:
        for container in task.containers:
            compared = container.image is not None and (
                image_repository(container.image) == repository
            )
            matches = (
                None
                if not compared or container.image_digest is None or registry_digest is None
                else container.image_digest == registry_digest
            )
            rows.append(
                ComparedContainer(
                    task=task.arn,
                    container=container.name,
                    image=container.image,
                    digest=container.image_digest,
                    from_repository=compared,
                    matches=matches,
                )
            )
    return tuple(rows)


def _image_missing(
    image: ImageEvidence, field: str, missing: str, compared: str, facts: Facts
) -> Finding:
    """``unknown``: the image fact a service check compares with is missing, and why (the
    ECR call failed, no such tag, or ECR left ``field`` out)."""
    if image.error is not None:
        why = image.error.line()
    elif not image.found:
        why = "the tag is not in ECR"
    else:
        why = f"ECR returned no {field}"
    return Finding(
        UNKNOWN,
        f"{missing} for {image.repository}:{image.tag} to compare {compared} with: {why}.",
        facts,
    )


def service_runs_image(service: ServiceEvidence, image: ImageEvidence) -> Finding:
    """``service.runs_image``: every running task runs the registry digest of the tag.

    Only containers whose image comes from ``[image] repository`` are compared (a sidecar
    is listed in the facts, not compared); every running task of the service must have
    been inspected.
    """
    unusable = _service_unusable(service)
    if unusable is not None:
        return unusable
    facts = Facts(
        containers=_containers(service.tasks, image.repository, image.digest),
        accounted=unaccounted(service) is None,
    )
    if image.digest is None:
        return _image_missing(image, "imageDigest", "No registry digest", "the tasks", facts)
    results = [_compare(t, image.repository, image.digest) for t in service.tasks]
    judged = _judged(results, service, facts)
    if judged is not None:
        return judged
    return Finding(
        PASS,
        f"All {len(service.tasks)} running tasks run {short_digest(image.digest)}, "
        f"the digest of {image.repository}:{image.tag}.",
        facts,
    )


def service_restarted_after_push(service: ServiceEvidence, image: ImageEvidence) -> Finding:
    """``service.restarted_after_push``: every running task started at or after the push."""
    unusable = _service_unusable(service)
    if unusable is not None:
        return unusable
    pushed = image.pushed_at
    facts = Facts(
        tasks=tuple(
            TaskStart(
                task=t.arn,
                started_at=t.started_at,
                after_push=None
                if t.started_at is None or pushed is None
                else t.started_at >= pushed,
            )
            for t in service.tasks
        ),
        accounted=unaccounted(service) is None,
    )
    if pushed is None:
        return _image_missing(image, "imagePushedAt", "No push time", "the task start times", facts)
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
    judged = _judged(results, service, facts)
    if judged is not None:
        return judged
    earliest = min(t.started_at for t in service.tasks if t.started_at is not None)
    return Finding(
        PASS,
        f"All {len(service.tasks)} running tasks started at or after the push "
        f"({when(pushed)}); earliest {when(earliest)}.",
        facts,
    )
