"""The ECS collector: the service, its deployments and every task it runs, each accounted for.

Calls, all read-only: ``ecs:DescribeServices`` for the service, then ``ecs:ListTasks``
(``serviceName``, ``desiredStatus=RUNNING``, 100 per page, every page) and
``ecs:DescribeTasks`` in chunks of at most 100 ARNs (the API's limit), a few chunks at a
time. The raw calls sit behind :class:`EcsApi` (implemented over boto3 by
:class:`Boto3Ecs`), so that the ``parse_*`` functions can be tested on recorded responses.

What ends up in :class:`~reporter.model.ServiceEvidence`:

- ``listed_tasks``: every ARN ListTasks returned, on every page, sorted. ``task_failures``:
  every ``failures`` entry of DescribeTasks, ``MISSING`` included (a task that stopped
  between the two calls). ``undescribed``: ARNs listed that DescribeTasks neither
  described nor named a failure for (its answer left them out, or its call failed). The
  checks compare these with the service's ``runningCount``: nothing is dropped silently.
- ``tasks`` holds the listed tasks whose ``lastStatus`` is ``RUNNING`` and that belong to
  the service, sorted by ARN — the tasks of **every** deployment (``PRIMARY`` and
  ``ACTIVE``): during a rolling deployment ListTasks with ``serviceName`` returns the old
  deployment's tasks as well as the new one's (each task's ``startedBy`` is its
  deployment's id), and all of them serve traffic. A task belongs to the service unless
  its ``group`` names something else: ECS gives a service's tasks the group
  ``service:<name>``. AWS filters ListTasks by ``serviceName`` itself; moto ignores that
  filter and lists every task of the cluster, so the group is checked here too. Tasks
  listed whose group names another service or a family (``family:...``, a standalone
  task) are ``other_tasks``: described, not counted. A task without a group is counted.
  Tasks still starting (``PROVISIONING``, ``PENDING``, ``ACTIVATING``) are left out of
  ``tasks``: they run no image yet, and the service's ``pending_count`` (and
  ``running_count`` short of ``desired_count``) already says they exist. Each task keeps
  every container, whatever its image: the checks pick the containers whose image comes
  from the repository.
- A container's ``image_digest`` is ``imageDigest`` when ECS reports it, else the digest
  of a digest-pinned reference (``repo@sha256:<64 hex>``), with ``digest_source`` saying
  which.
- A service that does not exist (``failures`` with reason ``MISSING``, no service in the
  answer, or a cluster that does not exist) is ``found=False`` with a
  ``not_found_reason``. ``INACTIVE``/``DRAINING`` services are found; ``status`` says so.
- A failure of DescribeServices, or a malformed field in its answer, is ``error``; a
  failure of ListTasks or DescribeTasks, a ``failures`` entry other than ``MISSING``, a
  malformed field in their answers, or paging that does not end is ``tasks_error`` (the
  service facts are kept, ``tasks`` is then incomplete).
- Malformed answers: a field of the wrong type or out of range (a time outside
  2000 to now, a count below 0, a digest that is not ``sha256:<64 hex>``...) is an error
  ``MalformedResponse: <field>``; the field is left unset and the rest is kept.
- Paging ends: a page token seen before (on any page), or more than
  :data:`MAX_LIST_PAGES` pages, stops ListTasks with ``tasks_error``
  (``RepeatedPageToken``, ``TooManyPages``); the tasks listed so far are still described.

:func:`collect_service` never raises for AWS failures; it raises
:class:`~reporter.errors.Cancelled` once ``cancel`` is set.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from botocore.exceptions import ClientError

from reporter.collect.aws import (
    AWS_ERRORS,
    FieldProblems,
    aws_error,
    check_responses,
    missing_field,
    parsed,
)
from reporter.errors import Cancelled
from reporter.model import (
    ContainerEvidence,
    DeploymentEvidence,
    EvidenceError,
    ServiceEvidence,
    TaskEvidence,
    TaskFailure,
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
LIST_TASKS_PAGE = 100
"""ARNs asked per ListTasks page (``maxResults``; the API's most)."""
MAX_LIST_PAGES = 100
"""Most ListTasks pages read for one service: 100 pages of 100 ARNs are 10,000 tasks,
twice ECS's default quota of 5,000 tasks per service, so a real service never reaches it
(short pages included); an endpoint still answering with a token after that is not
listing a service's tasks, and paging stops with ``TooManyPages``."""
WORKERS = 4
"""DescribeTasks chunks asked at the same time."""
REASON_CHARS = 500
"""Longest free text kept from a response (``rolloutStateReason``, failure details)."""
CANCEL_POLL = 0.1
"""Seconds between looks at the cancel event while DescribeTasks chunks run."""

DigestSource = Literal["imageDigest", "reference"]

PINNED = re.compile(r"@(sha256:[0-9a-f]{64})$")
"""A digest-pinned image reference: ``repo@sha256:<64 hex>``."""


class EcsApi(Protocol):
    """The raw ECS calls the collector needs (a seam: tests swap in recorded responses)."""

    def describe_service(self, cluster: str, name: str) -> Mapping[str, Any]:
        """The DescribeServices response for one service; raises botocore errors."""
        ...

    def list_tasks(self, cluster: str, service: str, token: str | None) -> Mapping[str, Any]:
        """One ListTasks page of the service's tasks with ``desiredStatus=RUNNING``.

        ``token`` is the previous page's ``nextToken`` (None for the first page); raises
        botocore errors.
        """
        ...

    def describe_tasks(self, cluster: str, arns: Sequence[str]) -> Mapping[str, Any]:
        """The DescribeTasks response for at most 100 task ARNs; raises botocore errors."""
        ...


OPERATIONS = ("DescribeServices", "ListTasks", "DescribeTasks")
"""The ECS operations :class:`Boto3Ecs` calls (their answers are checked before parsing)."""


class Boto3Ecs:
    """:class:`EcsApi` over a boto3 ECS client (thread-safe, as boto3 clients are).

    The client's answers to :data:`OPERATIONS` are checked against the API's shapes before
    botocore parses them (:func:`~reporter.collect.aws.check_responses`), and a failure of
    botocore's parsing is an :class:`~reporter.collect.aws.UnparsableResponse`.
    """

    def __init__(self, client: ECSClient) -> None:
        self._client = client
        check_responses(client, OPERATIONS)

    def describe_service(self, cluster: str, name: str) -> Mapping[str, Any]:
        """``ecs:DescribeServices`` for ``name`` in ``cluster``."""
        return parsed(lambda: self._client.describe_services(cluster=cluster, services=[name]))

    def list_tasks(self, cluster: str, service: str, token: str | None) -> Mapping[str, Any]:
        """One ``ecs:ListTasks`` page (``desiredStatus=RUNNING``, 100 ARNs at most)."""
        if token is None:
            return parsed(
                lambda: self._client.list_tasks(
                    cluster=cluster,
                    serviceName=service,
                    desiredStatus="RUNNING",
                    maxResults=LIST_TASKS_PAGE,
                )
            )
        return parsed(
            lambda: self._client.list_tasks(
                cluster=cluster,
                serviceName=service,
                desiredStatus="RUNNING",
                maxResults=LIST_TASKS_PAGE,
                nextToken=token,
            )
        )

    def describe_tasks(self, cluster: str, arns: Sequence[str]) -> Mapping[str, Any]:
        """``ecs:DescribeTasks`` for ``arns`` (at most 100)."""
        if len(arns) > DESCRIBE_TASKS_LIMIT:
            raise ValueError(
                f"DescribeTasks takes at most {DESCRIBE_TASKS_LIMIT} tasks, got {len(arns)}"
            )
        return parsed(lambda: self._client.describe_tasks(cluster=cluster, tasks=list(arns)))


# --------------------------------------------------------------------------- collect


@dataclass(frozen=True)
class TaskAccount:
    """Every task ListTasks named, and what became of it (see the module's docstring)."""

    listed: tuple[str, ...] = ()
    tasks: tuple[TaskEvidence, ...] = ()
    other_tasks: tuple[str, ...] = ()
    failures: tuple[TaskFailure, ...] = ()
    undescribed: tuple[str, ...] = ()
    error: EvidenceError | None = None

    def facts(self) -> dict[str, Any]:
        """The :class:`ServiceEvidence` fields this account fills."""
        return {
            "listed_tasks": self.listed,
            "tasks": self.tasks,
            "other_tasks": self.other_tasks,
            "task_failures": self.failures,
            "undescribed": self.undescribed,
            "tasks_error": self.error,
        }


@dataclass(frozen=True)
class DescribedTasks:
    """One DescribeTasks answer: every task it described (whatever its status), its
    ``failures``, and the first error (a failure other than MISSING, a malformed field)."""

    tasks: tuple[TaskEvidence, ...] = ()
    failures: tuple[TaskFailure, ...] = ()
    error: EvidenceError | None = None


def collect_service(
    api: EcsApi,
    section: ServiceSection,
    workers: int = WORKERS,
    *,
    cancel: threading.Event | None = None,
) -> ServiceEvidence:
    """The service, its deployments and every task it runs; never raises for AWS failures.

    Every container is kept whatever its image: the checks select the image repository
    under test.

    Raises :class:`~reporter.errors.Cancelled` within about a second of ``cancel`` being
    set (a call already sent ends within the client's read timeout).
    """
    _stop_if(cancel)
    try:
        response = api.describe_service(section.cluster, section.name)
    except ClientError as exc:
        if _code(exc) == "ClusterNotFoundException":
            return _service(section, not_found_reason=f"cluster {section.cluster!r} not found")
        return _service(section, error=aws_error(DESCRIBE_SERVICES, exc))
    except AWS_ERRORS as exc:
        return _service(section, error=aws_error(DESCRIBE_SERVICES, exc))
    service = parse_service(response, section)
    if not service.found:
        return service
    account = collect_tasks(
        api, section.cluster, service_name(section.name), workers, cancel=cancel
    )
    return service.model_copy(update=account.facts())


def service_name(name: str) -> str:
    """The service's name when the spec gives its ARN (``arn:...:service/cluster/name``)."""
    return name.rsplit("/", 1)[-1] if name.startswith("arn:") else name


def collect_tasks(
    api: EcsApi,
    cluster: str,
    service: str,
    workers: int = WORKERS,
    *,
    cancel: threading.Event | None = None,
) -> TaskAccount:
    """List the service's tasks (every page), describe them all, and account for each.

    On an error the tasks described so far are still returned; the first error met (in
    the order: ListTasks, then the DescribeTasks chunks in ARN order) is ``error``.
    """
    listed, error = list_task_arns(api, cluster, service, cancel=cancel)
    chunks = [
        listed[i : i + DESCRIBE_TASKS_LIMIT] for i in range(0, len(listed), DESCRIBE_TASKS_LIMIT)
    ]
    results = _describe_all(api, cluster, chunks, workers, cancel)
    described: dict[str, TaskEvidence] = {}
    failures: list[TaskFailure] = []
    for chunk, result in zip(chunks, results, strict=True):
        asked = set(chunk)
        for task in result.tasks:
            if task.arn in asked:
                described.setdefault(task.arn, task)
        failures.extend(result.failures)
        error = error or result.error
    failed = {f.arn for f in failures if f.arn is not None}
    ours = {arn: t for arn, t in described.items() if _belongs(t, service)}
    running = sorted(arn for arn, t in ours.items() if t.last_status == "RUNNING")
    return TaskAccount(
        listed=tuple(listed),
        tasks=tuple(ours[arn] for arn in running),
        other_tasks=tuple(sorted(set(described) - set(ours))),
        failures=tuple(sorted(failures, key=lambda f: (f.arn or "", f.reason, f.detail or ""))),
        undescribed=tuple(arn for arn in listed if arn not in described and arn not in failed),
        error=error,
    )


def list_task_arns(
    api: EcsApi, cluster: str, service: str, *, cancel: threading.Event | None = None
) -> tuple[list[str], EvidenceError | None]:
    """Every task ARN of every ListTasks page (sorted, without repeats), and the error if any.

    Paging stops at a page without ``nextToken``; a token already sent (on any page) or
    more than :data:`MAX_LIST_PAGES` pages stop it with an error, keeping what was listed.
    A malformed page is an error too; its well-formed ARNs are kept and paging goes on
    while the page names a next one.
    """
    arns: set[str] = set()
    error: EvidenceError | None = None
    sent: set[str] = set()
    token: str | None = None
    for number in range(1, MAX_LIST_PAGES + 1):
        _stop_if(cancel)
        try:
            page = api.list_tasks(cluster, service, token)
        except AWS_ERRORS as exc:
            return sorted(arns), error or aws_error(LIST_TASKS, exc)
        problems = FieldProblems(page)
        page_arns = page.get("taskArns")
        if isinstance(page_arns, list | tuple):
            for i, arn in enumerate(page_arns):
                if (text := problems.text(arn, f"taskArns[{i}]")) is not None:
                    arns.add(text)
        elif not problems.items:
            error = error or missing_field(LIST_TASKS, "taskArns")
        token = problems.text(page.get("nextToken"), "nextToken")
        error = error or problems.error(LIST_TASKS)
        if token is None:
            return sorted(arns), error
        if token in sent:
            return sorted(arns), error or EvidenceError(
                operation=LIST_TASKS,
                code="RepeatedPageToken",
                message=f"ECS repeated a page token on page {number}: paging stopped, "
                f"the {len(arns)} tasks listed so far are kept",
            )
        sent.add(token)
    return sorted(arns), error or EvidenceError(
        operation=LIST_TASKS,
        code="TooManyPages",
        message=f"ECS still named a next page after {MAX_LIST_PAGES} pages "
        f"of {LIST_TASKS_PAGE} tasks: paging stopped, the {len(arns)} tasks listed so far "
        "are kept",
    )


def _describe_all(
    api: EcsApi,
    cluster: str,
    chunks: Sequence[Sequence[str]],
    workers: int,
    cancel: threading.Event | None,
) -> list[DescribedTasks]:
    """DescribeTasks for every chunk, ``workers`` at a time, in the chunks' order."""
    if not chunks:
        return []
    pool = ThreadPoolExecutor(
        max_workers=max(1, min(workers, len(chunks))), thread_name_prefix="ecs-describe"
    )
    try:
        futures = [pool.submit(_describe_chunk, api, cluster, c, cancel) for c in chunks]
        pending: set[Future[DescribedTasks]] = set(futures)
        while pending:
            _, pending = wait(pending, timeout=CANCEL_POLL, return_when=FIRST_EXCEPTION)
            if cancel is not None and cancel.is_set():
                raise Cancelled
        return [f.result() for f in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _describe_chunk(
    api: EcsApi, cluster: str, arns: Sequence[str], cancel: threading.Event | None
) -> DescribedTasks:
    _stop_if(cancel)
    try:
        response = api.describe_tasks(cluster, arns)
    except AWS_ERRORS as exc:
        return DescribedTasks(error=aws_error(DESCRIBE_TASKS, exc))
    return parse_tasks(response, arns)


# --------------------------------------------------------------------------- parse


def parse_service(response: Mapping[str, Any], section: ServiceSection) -> ServiceEvidence:
    """Turn a DescribeServices response into the service's facts (no tasks yet).

    The service is looked up by name or ARN among ``services``; when absent, a
    ``MISSING`` failure (or no failure at all) means not found, any other failure
    reason is an error. A malformed field is an error ``MalformedResponse: <field>``; the
    service is still found (its tasks are still listed) and its well-formed facts kept.
    """
    problems = FieldProblems(response)
    services = response.get("services")
    raw_failures = response.get("failures")
    failures = (
        [f for f in raw_failures if isinstance(f, Mapping)]
        if isinstance(raw_failures, list | tuple)
        else []
    )
    if not isinstance(services, list | tuple):
        if problems.items:
            return _service(section, error=problems.error(DESCRIBE_SERVICES))
        if not failures:
            return _service(section, error=missing_field(DESCRIBE_SERVICES, "services"))
        services = []
    found = _find_service(services, section.name)
    if found is None:
        if problems.items:
            return _service(section, error=problems.error(DESCRIBE_SERVICES))
        return _absent(section, failures)
    index, raw = found
    where = f"services[{index}]"
    raw_deployments = raw.get("deployments")
    try:
        deployments = parse_deployments(
            raw_deployments if isinstance(raw_deployments, list | tuple) else (),
            problems,
            f"{where}.deployments",
        )
    except _MissingField as exc:
        error = problems.error(DESCRIBE_SERVICES) or missing_field(DESCRIBE_SERVICES, exc.field)
        return _service(section, error=error)
    facts = {
        "status": problems.text(raw.get("status"), f"{where}.status"),
        "desired_count": problems.count(raw.get("desiredCount"), f"{where}.desiredCount"),
        "running_count": problems.count(raw.get("runningCount"), f"{where}.runningCount"),
        "pending_count": problems.count(raw.get("pendingCount"), f"{where}.pendingCount"),
        "task_definition": problems.text(raw.get("taskDefinition"), f"{where}.taskDefinition"),
    }
    return _service(
        section,
        found=True,
        deployments=deployments,
        error=problems.error(DESCRIBE_SERVICES),
        **facts,
    )


def parse_deployments(
    raw: Sequence[Any], problems: FieldProblems | None = None, where: str = "deployments"
) -> tuple[DeploymentEvidence, ...]:
    """The service's ``deployments``, in the order ECS lists them (PRIMARY first).

    Malformed fields are recorded in ``problems`` and left unset.
    """
    problems = problems if problems is not None else FieldProblems()
    deployments = []
    for i, item in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(item, Mapping):
            problems.add(at, "expected an object")
            continue
        ident = problems.text(item.get("id"), f"{at}.id")
        if ident is None:
            raise _MissingField("deployments[].id")
        deployments.append(
            DeploymentEvidence(
                id=ident,
                status=problems.text(item.get("status"), f"{at}.status"),
                task_definition=problems.text(item.get("taskDefinition"), f"{at}.taskDefinition"),
                desired_count=problems.count(item.get("desiredCount"), f"{at}.desiredCount"),
                running_count=problems.count(item.get("runningCount"), f"{at}.runningCount"),
                pending_count=problems.count(item.get("pendingCount"), f"{at}.pendingCount"),
                rollout_state=problems.text(item.get("rolloutState"), f"{at}.rolloutState"),
                rollout_state_reason=_text(
                    problems.text(item.get("rolloutStateReason"), f"{at}.rolloutStateReason")
                ),
                created_at=problems.time(item.get("createdAt"), f"{at}.createdAt"),
                updated_at=problems.time(item.get("updatedAt"), f"{at}.updatedAt"),
            )
        )
    return tuple(deployments)


def parse_tasks(response: Mapping[str, Any], asked: Sequence[str] = ()) -> DescribedTasks:
    """Every task of a DescribeTasks response (whatever its status), its failures, an error.

    Every ``failures`` entry is kept (``MISSING`` too: a task that stopped between
    ListTasks and DescribeTasks). Other failures, a response without ``tasks``, a task
    without ``taskArn`` or without ``lastStatus`` (it cannot be told running), a task
    that was not ``asked`` for (when ``asked`` is given), one task described twice
    differently, or a malformed field are errors; the tasks that could be read are
    still returned (an ambiguous or unasked one is not).
    """
    problems = FieldProblems(response)
    raw_failures = response.get("failures")
    failures = parse_failures(raw_failures if isinstance(raw_failures, list | tuple) else ())
    error = _failure_error(failures)
    raw = response.get("tasks")
    if not isinstance(raw, list | tuple):
        error = error or problems.error(DESCRIBE_TASKS) or missing_field(DESCRIBE_TASKS, "tasks")
        return DescribedTasks(failures=failures, error=error)
    wanted = set(asked)
    tasks: dict[str, TaskEvidence] = {}
    ambiguous: set[str] = set()
    missing: EvidenceError | None = None
    for i, item in enumerate(raw):
        task = parse_task(item, problems, f"tasks[{i}]") if isinstance(item, Mapping) else None
        if task is None:
            missing = missing or missing_field(DESCRIBE_TASKS, "tasks[].taskArn")
            continue
        if wanted and task.arn not in wanted:
            problems.add(f"tasks[{i}].taskArn", f"{task.arn} was not asked for")
            continue
        if task.last_status is None:  # cannot tell a running task from a stopped one
            missing = missing or missing_field(DESCRIBE_TASKS, "tasks[].lastStatus")
        if task.arn in tasks and tasks[task.arn] != task:
            problems.add(f"tasks[{i}]", f"{task.arn} is described twice, differently")
            ambiguous.add(task.arn)
        tasks.setdefault(task.arn, task)
    error = error or problems.error(DESCRIBE_TASKS) or missing
    kept = tuple(t for arn, t in tasks.items() if arn not in ambiguous)
    return DescribedTasks(tasks=kept, failures=failures, error=error)


def parse_failures(raw: Sequence[Any]) -> tuple[TaskFailure, ...]:
    """DescribeTasks ``failures`` entries as :class:`TaskFailure` (a reason always set)."""
    failures = []
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        failures.append(
            TaskFailure(
                arn=_str(item.get("arn")),
                reason=_str(item.get("reason")) or "Failure",
                detail=_text(item.get("detail")),
            )
        )
    return tuple(failures)


def parse_task(
    raw: Mapping[str, Any], problems: FieldProblems | None = None, where: str = "tasks[]"
) -> TaskEvidence | None:
    """One task of a DescribeTasks response; None when it has no ``taskArn``.

    Malformed fields are recorded in ``problems`` and left unset.
    """
    problems = problems if problems is not None else FieldProblems()
    arn = problems.text(raw.get("taskArn"), f"{where}.taskArn")
    if arn is None:
        return None
    containers = raw.get("containers")
    return TaskEvidence(
        arn=arn,
        task_definition=problems.text(raw.get("taskDefinitionArn"), f"{where}.taskDefinitionArn"),
        last_status=problems.text(raw.get("lastStatus"), f"{where}.lastStatus"),
        desired_status=problems.text(raw.get("desiredStatus"), f"{where}.desiredStatus"),
        started_at=problems.time(raw.get("startedAt"), f"{where}.startedAt"),
        created_at=problems.time(raw.get("createdAt"), f"{where}.createdAt"),
        containers=tuple(
            parse_container(c, problems, f"{where}.containers[{j}]")
            for j, c in enumerate(containers if isinstance(containers, list | tuple) else ())
            if isinstance(c, Mapping)
        ),
        group=problems.text(raw.get("group"), f"{where}.group"),
        started_by=problems.text(raw.get("startedBy"), f"{where}.startedBy"),
    )


def parse_container(
    raw: Mapping[str, Any], problems: FieldProblems | None = None, where: str = "containers[]"
) -> ContainerEvidence:
    """One container of a task, with the digest it runs and where that digest came from.

    A malformed ``imageDigest`` (not ``sha256:<64 hex>``) is recorded in ``problems`` and
    not replaced by the pinned reference's digest: the container's digest is then unknown.
    """
    problems = problems if problems is not None else FieldProblems()
    image = problems.text(raw.get("image"), f"{where}.image")
    malformed_before = len(problems.items)
    digest = problems.digest(raw.get("imageDigest"), f"{where}.imageDigest")
    source: DigestSource | None = "imageDigest" if digest else None
    if digest is None and len(problems.items) == malformed_before:
        digest = pinned_digest(image)
        source = "reference" if digest else None
    return ContainerEvidence(
        name=problems.text(raw.get("name"), f"{where}.name") or "",
        image=image,
        image_digest=digest,
        digest_source=source,
        last_status=problems.text(raw.get("lastStatus"), f"{where}.lastStatus"),
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


def _stop_if(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled


def _belongs(task: TaskEvidence, service: str) -> bool:
    """Whether ``task`` is one of ``service``'s (its group is ``service:<name>``, or unset)."""
    return task.group is None or task.group == f"service:{service}"


def _find_service(services: Sequence[Any], name: str) -> tuple[int, Mapping[str, Any]] | None:
    """The service called ``name`` (or whose ARN ends in ``/name``, or that is ``name``)."""
    for index, service in enumerate(services):
        if not isinstance(service, Mapping):
            continue
        arn = _str(service.get("serviceArn")) or ""
        if name in (service.get("serviceName"), arn) or arn.endswith(f"/{name}"):
            return index, service
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


def _failure_error(failures: Sequence[TaskFailure]) -> EvidenceError | None:
    """The first DescribeTasks failure other than MISSING, as an error."""
    for failure in failures:
        if failure.reason != "MISSING":
            where = failure.arn or "task"
            message = f"{where}: {failure.detail}" if failure.detail else where
            return EvidenceError(operation=DESCRIBE_TASKS, code=failure.reason, message=message)
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
