"""The ECS collector: the service, its deployments and its running tasks.

Calls, all read-only: ``ecs:DescribeServices`` for the service, then ``ecs:ListTasks``
(``serviceName``, ``desiredStatus=RUNNING``, every page) and ``ecs:DescribeTasks`` in
chunks of at most 100 ARNs (the API's limit), a few chunks at a time. The raw calls sit
behind :class:`EcsApi` (implemented over boto3 by :class:`Boto3Ecs`), so that the
``parse_*`` functions can be tested on recorded responses.

What ends up in :class:`~reporter.model.ServiceEvidence`:

- ``tasks`` holds the tasks whose ``lastStatus`` is ``RUNNING``, sorted by ARN. Tasks
  still starting (``PROVISIONING``, ``PENDING``, ``ACTIVATING``) are left out: they run no
  image yet, and the service's ``pending_count`` (and ``running_count`` short of
  ``desired_count``) already says they exist. Each task keeps every container, whatever
  its image: the checks pick the containers whose image comes from the repository.
- A container's ``image_digest`` is ``imageDigest`` when ECS reports it, else the digest
  of a digest-pinned reference (``repo@sha256:<64 hex>``), with ``digest_source`` saying
  which.
- A service that does not exist (``failures`` with reason ``MISSING``, no service in the
  answer, or a cluster that does not exist) is ``found=False`` with a
  ``not_found_reason``. ``INACTIVE``/``DRAINING`` services are found; ``status`` says so.
- A failure of DescribeServices is ``error``; a failure of ListTasks or DescribeTasks is
  ``tasks_error`` (the service facts are kept, ``tasks`` is then incomplete).

:func:`collect_service` never raises for AWS failures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, Protocol

from botocore.exceptions import ClientError

from reporter.collect.aws import AWS_ERRORS, aws_error, missing_field
from reporter.collect.ecr import parse_timestamp
from reporter.model import (
    ContainerEvidence,
    DeploymentEvidence,
    EvidenceError,
    ServiceEvidence,
    TaskEvidence,
)
from reporter.spec import ServiceSection
from reporter.text import truncate, visible

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

DESCRIBE_SERVICES = "ecs:DescribeServices"
LIST_TASKS = "ecs:ListTasks"
DESCRIBE_TASKS = "ecs:DescribeTasks"

DESCRIBE_TASKS_LIMIT = 100
"""Most task ARNs one DescribeTasks call accepts."""
WORKERS = 4
"""DescribeTasks chunks asked at the same time."""
REASON_CHARS = 500
"""Longest free text kept from a response (``rolloutStateReason``, failure details)."""

DigestSource = Literal["imageDigest", "reference"]

PINNED = re.compile(r"@(sha256:[0-9a-f]{64})$")
"""A digest-pinned image reference: ``repo@sha256:<64 hex>``."""


class EcsApi(Protocol):
    """The raw ECS calls the collector needs (a seam: tests swap in recorded responses)."""

    def describe_service(self, cluster: str, name: str) -> Mapping[str, Any]:
        """The DescribeServices response for one service; raises botocore errors."""
        ...

    def list_task_pages(self, cluster: str, service: str) -> Iterator[Mapping[str, Any]]:
        """Every ListTasks page of the service's tasks with ``desiredStatus=RUNNING``."""
        ...

    def describe_tasks(self, cluster: str, arns: Sequence[str]) -> Mapping[str, Any]:
        """The DescribeTasks response for at most 100 task ARNs; raises botocore errors."""
        ...


class Boto3Ecs:
    """:class:`EcsApi` over a boto3 ECS client (thread-safe, as boto3 clients are)."""

    def __init__(self, client: ECSClient) -> None:
        self._client = client

    def describe_service(self, cluster: str, name: str) -> Mapping[str, Any]:
        """``ecs:DescribeServices`` for ``name`` in ``cluster``."""
        return self._client.describe_services(cluster=cluster, services=[name])

    def list_task_pages(self, cluster: str, service: str) -> Iterator[Mapping[str, Any]]:
        """``ecs:ListTasks`` pages, following ``nextToken`` to the end."""
        paginator = self._client.get_paginator("list_tasks")
        yield from paginator.paginate(cluster=cluster, serviceName=service, desiredStatus="RUNNING")

    def describe_tasks(self, cluster: str, arns: Sequence[str]) -> Mapping[str, Any]:
        """``ecs:DescribeTasks`` for ``arns`` (at most 100)."""
        if len(arns) > DESCRIBE_TASKS_LIMIT:
            raise ValueError(
                f"DescribeTasks takes at most {DESCRIBE_TASKS_LIMIT} tasks, got {len(arns)}"
            )
        return self._client.describe_tasks(cluster=cluster, tasks=list(arns))


# --------------------------------------------------------------------------- collect


def collect_service(
    api: EcsApi, section: ServiceSection, repository: str, workers: int = WORKERS
) -> ServiceEvidence:
    """The service, its deployments and its RUNNING tasks; never raises for AWS failures.

    ``repository`` names the image repository under test. Every container is kept
    whatever its image (the checks select by repository), so it only documents the
    call; it is part of the signature so that callers need not know that.
    """
    del repository  # all containers are kept; the checks select by repository
    try:
        response = api.describe_service(section.cluster, section.name)
    except ClientError as exc:
        if _code(exc) == "ClusterNotFoundException":
            return _service(section, not_found_reason=f"cluster {section.cluster!r} not found")
        return _service(section, error=aws_error(DESCRIBE_SERVICES, exc))
    except AWS_ERRORS as exc:
        return _service(section, error=aws_error(DESCRIBE_SERVICES, exc))
    service = parse_service(response, section)
    if not service.found or service.error is not None:
        return service
    tasks, tasks_error = collect_tasks(api, section.cluster, section.name, workers)
    return service.model_copy(update={"tasks": tasks, "tasks_error": tasks_error})


def collect_tasks(
    api: EcsApi, cluster: str, service: str, workers: int = WORKERS
) -> tuple[tuple[TaskEvidence, ...], EvidenceError | None]:
    """The service's RUNNING tasks sorted by ARN, and the first error met (if any).

    On an error the tasks described so far are still returned.
    """
    arns, error = list_task_arns(api, cluster, service)
    chunks = [arns[i : i + DESCRIBE_TASKS_LIMIT] for i in range(0, len(arns), DESCRIBE_TASKS_LIMIT)]
    if not chunks:
        return (), error
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(chunks)))) as pool:
        results = list(pool.map(lambda chunk: _describe_chunk(api, cluster, chunk), chunks))
    tasks: list[TaskEvidence] = []
    for chunk_tasks, chunk_error in results:
        tasks.extend(chunk_tasks)
        error = error or chunk_error
    running = {t.arn: t for t in tasks if t.last_status == "RUNNING"}
    return tuple(running[arn] for arn in sorted(running)), error


def list_task_arns(
    api: EcsApi, cluster: str, service: str
) -> tuple[list[str], EvidenceError | None]:
    """Every task ARN of every ListTasks page (sorted, without repeats), and the error if any."""
    arns: set[str] = set()
    try:
        for page in api.list_task_pages(cluster, service):
            page_arns = page.get("taskArns")
            if not isinstance(page_arns, Sequence) or isinstance(page_arns, str):
                return sorted(arns), missing_field(LIST_TASKS, "taskArns")
            arns.update(str(arn) for arn in page_arns)
    except AWS_ERRORS as exc:
        return sorted(arns), aws_error(LIST_TASKS, exc)
    return sorted(arns), None


def _describe_chunk(
    api: EcsApi, cluster: str, arns: Sequence[str]
) -> tuple[tuple[TaskEvidence, ...], EvidenceError | None]:
    try:
        response = api.describe_tasks(cluster, arns)
    except AWS_ERRORS as exc:
        return (), aws_error(DESCRIBE_TASKS, exc)
    return parse_tasks(response)


# --------------------------------------------------------------------------- parse


def parse_service(response: Mapping[str, Any], section: ServiceSection) -> ServiceEvidence:
    """Turn a DescribeServices response into the service's facts (no tasks yet).

    The service is looked up by name or ARN among ``services``; when absent, a
    ``MISSING`` failure (or no failure at all) means not found, any other failure
    reason is an error.
    """
    services = response.get("services")
    failures = [f for f in response.get("failures") or () if isinstance(f, Mapping)]
    if not isinstance(services, Sequence) or isinstance(services, str):
        if failures:
            services = []
        else:
            return _service(section, error=missing_field(DESCRIBE_SERVICES, "services"))
    raw = _find_service([s for s in services if isinstance(s, Mapping)], section.name)
    if raw is None:
        return _absent(section, failures)
    try:
        deployments = parse_deployments(raw.get("deployments") or ())
    except _MissingField as exc:
        return _service(section, error=missing_field(DESCRIBE_SERVICES, exc.field))
    return _service(
        section,
        found=True,
        status=_str(raw.get("status")),
        desired_count=_int(raw.get("desiredCount")),
        running_count=_int(raw.get("runningCount")),
        pending_count=_int(raw.get("pendingCount")),
        task_definition=_str(raw.get("taskDefinition")),
        deployments=deployments,
    )


def parse_deployments(raw: Sequence[Mapping[str, Any]]) -> tuple[DeploymentEvidence, ...]:
    """The service's ``deployments``, in the order ECS lists them (PRIMARY first)."""
    deployments = []
    for item in raw:
        ident = _str(item.get("id"))
        if ident is None:
            raise _MissingField("deployments[].id")
        deployments.append(
            DeploymentEvidence(
                id=ident,
                status=_str(item.get("status")),
                task_definition=_str(item.get("taskDefinition")),
                desired_count=_int(item.get("desiredCount")),
                running_count=_int(item.get("runningCount")),
                pending_count=_int(item.get("pendingCount")),
                rollout_state=_str(item.get("rolloutState")),
                rollout_state_reason=_text(item.get("rolloutStateReason")),
                created_at=parse_timestamp(item.get("createdAt")),
                updated_at=parse_timestamp(item.get("updatedAt")),
            )
        )
    return tuple(deployments)


def parse_tasks(
    response: Mapping[str, Any],
) -> tuple[tuple[TaskEvidence, ...], EvidenceError | None]:
    """Every task of a DescribeTasks response (whatever its status), and an error if any.

    A ``MISSING`` failure is a task that stopped between ListTasks and DescribeTasks:
    it runs nothing and is left out. Other failures, a response without ``tasks``, a
    task without ``taskArn`` or without ``lastStatus`` (it cannot be told running) are
    errors; the tasks that could be read are still returned.
    """
    raw = response.get("tasks")
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        return (), missing_field(DESCRIBE_TASKS, "tasks")
    tasks = []
    error = _failure_error(response.get("failures") or ())
    for item in raw:
        task = parse_task(item) if isinstance(item, Mapping) else None
        if task is None:
            error = error or missing_field(DESCRIBE_TASKS, "tasks[].taskArn")
            continue
        if task.last_status is None:  # cannot tell a running task from a stopped one
            error = error or missing_field(DESCRIBE_TASKS, "tasks[].lastStatus")
        tasks.append(task)
    return tuple(tasks), error


def parse_task(raw: Mapping[str, Any]) -> TaskEvidence | None:
    """One task of a DescribeTasks response; None when it has no ``taskArn``."""
    arn = _str(raw.get("taskArn"))
    if arn is None:
        return None
    return TaskEvidence(
        arn=arn,
        task_definition=_str(raw.get("taskDefinitionArn")),
        last_status=_str(raw.get("lastStatus")),
        desired_status=_str(raw.get("desiredStatus")),
        started_at=parse_timestamp(raw.get("startedAt")),
        created_at=parse_timestamp(raw.get("createdAt")),
        containers=tuple(
            parse_container(c) for c in raw.get("containers") or () if isinstance(c, Mapping)
        ),
    )


def parse_container(raw: Mapping[str, Any]) -> ContainerEvidence:
    """One container of a task, with the digest it runs and where that digest came from."""
    image = _str(raw.get("image"))
    digest = _str(raw.get("imageDigest"))
    source: DigestSource | None = "imageDigest" if digest else None
    if digest is None:
        digest = pinned_digest(image)
        source = "reference" if digest else None
    return ContainerEvidence(
        name=_str(raw.get("name")) or "",
        image=image,
        image_digest=digest,
        digest_source=source,
        last_status=_str(raw.get("lastStatus")),
    )


def pinned_digest(image: str | None) -> str | None:
    """``sha256:<hex>`` of a digest-pinned reference (``repo@sha256:<64 hex>``), else None."""
    if not image:
        return None
    match = PINNED.search(image)
    return match.group(1) if match else None


# --------------------------------------------------------------------------- helpers


class _MissingField(Exception):
    """A field the evidence cannot do without is absent (internal to parsing)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def _find_service(services: Sequence[Mapping[str, Any]], name: str) -> Mapping[str, Any] | None:
    """The service called ``name`` (or whose ARN ends in ``/name``, or that is ``name``)."""
    for service in services:
        arn = _str(service.get("serviceArn")) or ""
        if name in (service.get("serviceName"), arn) or arn.endswith(f"/{name}"):
            return service
    return None


def _absent(section: ServiceSection, failures: Sequence[Mapping[str, Any]]) -> ServiceEvidence:
    """Not found (MISSING, or nothing at all), or the error a failure names."""
    for failure in failures:
        reason = _str(failure.get("reason")) or "Failure"
        if reason != "MISSING":
            detail = _text(failure.get("detail")) or _str(failure.get("arn")) or reason
            error = EvidenceError(operation=DESCRIBE_SERVICES, code=reason, message=detail)
            return _service(section, error=error)
    reason = f"service {section.name!r} not found in cluster {section.cluster!r}"
    return _service(section, not_found_reason=reason)


def _failure_error(failures: Sequence[Any]) -> EvidenceError | None:
    """The first DescribeTasks failure other than MISSING, as an error."""
    for failure in failures:
        if not isinstance(failure, Mapping):
            continue
        reason = _str(failure.get("reason")) or "Failure"
        if reason != "MISSING":
            where = _str(failure.get("arn")) or "task"
            detail = _text(failure.get("detail"))
            message = f"{where}: {detail}" if detail else where
            return EvidenceError(operation=DESCRIBE_TASKS, code=reason, message=message)
    return None


def _service(section: ServiceSection, **facts: Any) -> ServiceEvidence:
    return ServiceEvidence(cluster=section.cluster, name=section.name, **facts)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _text(value: object) -> str | None:
    """Free text from a response, on one line, cut, with control characters shown."""
    text = _str(value)
    return visible(truncate(text, REASON_CHARS), keep_newlines=False) if text else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
