"""Every task counted, malformed ECS/ECR answers: never a pass for the task checks.

The emulator holds the demo incident (two RUNNING tasks, both on the registry digest and
started after the push), so without faults ``service.runs_image`` and
``service.restarted_after_push`` pass. Each case edits one of moto's answers on the wire
(:attr:`~tests.faults.middleware.Kind.REWRITE`) into a shape AWS gives and moto does not:
a DescribeTasks ``failures`` entry, a task ListTasks named that DescribeTasks left out, a
running count the tasks described do not reach, a malformed field. The task checks must
then never pass, and the report is never VERIFIED.

Several of these rest on the checks comparing the task accounting the collector records
(``listed_tasks``, ``task_failures``, ``undescribed``, ``running_count``) with the tasks
described (``reporter.checks.service.unaccounted``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from reporter.model import Bundle, Status, Verdict
from reporter.spec import LoadedSpec
from tests.faults.conftest import HOTFIXES, Emulator, run
from tests.faults.middleware import Fault, FaultInjector, Kind

TASK_CHECKS = ("service.runs_image", "service.restarted_after_push")


@dataclass(frozen=True)
class Edit:
    """One answer of one operation edited on the wire, and what the evidence then shows."""

    name: str
    operation: str
    rewrite: Callable[[Any], None]
    expect: Callable[[Bundle], None]
    """Assertions on the evidence the collector recorded (the checks are asserted apart)."""
    affected: tuple[str, ...] = TASK_CHECKS
    """The checks that must be ``unknown``."""


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[Any], None]:
    def rewrite(body: Any) -> None:
        node = body
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return rewrite


def _fail_second_task(reason: str) -> Callable[[Any], None]:
    def rewrite(body: Any) -> None:
        task = body["tasks"].pop(1)
        body["failures"] = [{"arn": task["taskArn"], "reason": reason}]

    return rewrite


def _drop_second_task(body: Any) -> None:
    del body["tasks"][1]


def _drop_second_arn(body: Any) -> None:
    del body["taskArns"][1]


def _three_running(body: Any) -> None:
    service = body["services"][0]
    service["desiredCount"] = service["runningCount"] = 3
    deployment = service["deployments"][0]
    deployment["desiredCount"] = deployment["runningCount"] = 3


def _service(bundle: Bundle) -> Any:
    service = bundle.evidence.service
    assert service is not None
    return service


def _one_failure(reason: str) -> Callable[[Bundle], None]:
    def expect(bundle: Bundle) -> None:
        service = _service(bundle)
        assert [f.reason for f in service.task_failures] == [reason]
        assert service.task_failures[0].arn in service.listed_tasks
        assert len(service.tasks) == 1
        assert service.undescribed == ()

    return expect


def _undescribed(bundle: Bundle) -> None:
    service = _service(bundle)
    assert len(service.undescribed) == 1
    assert service.task_failures == ()
    assert len(service.listed_tasks) == 2
    assert len(service.tasks) == 1


def _short_of_running_count(bundle: Bundle) -> None:
    service = _service(bundle)
    assert service.running_count == 3
    assert len(service.tasks) == 2
    assert service.tasks_error is None


def _listed_one_of_two(bundle: Bundle) -> None:
    service = _service(bundle)
    assert len(service.listed_tasks) == 1
    assert service.running_count == 2
    assert len(service.tasks) == 1


ACCOUNTING = (
    pytest.param(
        Edit("missing", "DescribeTasks", _fail_second_task("MISSING"), _one_failure("MISSING")),
        id="DescribeTasks-failure-MISSING",
    ),
    pytest.param(
        Edit(
            "denied",
            "DescribeTasks",
            _fail_second_task("ACCESS_DENIED"),
            _one_failure("ACCESS_DENIED"),
        ),
        id="DescribeTasks-failure-ACCESS_DENIED",
    ),
    pytest.param(
        Edit("omitted", "DescribeTasks", _drop_second_task, _undescribed),
        id="DescribeTasks-omits-a-listed-task",
    ),
    pytest.param(
        Edit("count", "DescribeServices", _three_running, _short_of_running_count),
        id="runningCount-3-tasks-described-2",
    ),
    pytest.param(
        Edit("listed", "ListTasks", _drop_second_arn, _listed_one_of_two),
        id="ListTasks-names-1-of-2-running",
    ),
)


IMAGE_PUSH_CHECKS = (
    "image.found",
    "service.restarted_after_push",
    *(f"{fix}.image_after_fix" for fix in HOTFIXES),
)
"""A malformed push time: the checks that compare it. ``service.runs_image`` keeps its pass:
the registry's digest was well-formed and is kept (only what needs the field is unknown)."""
IMAGE_DIGEST_CHECKS = ("image.found", "service.runs_image")
"""A malformed registry digest: the checks that compare it (the push time is kept)."""


def _malformed(field: str, error_on: str) -> Callable[[Bundle], None]:
    def expect(bundle: Bundle) -> None:
        evidence = bundle.evidence
        part = evidence.image if error_on == "image" else _service(bundle)
        error = getattr(part, "tasks_error" if error_on == "tasks" else "error")
        assert error is not None
        assert error.code == f"MalformedResponse: {field}"

    return expect


MALFORMED = tuple(
    pytest.param(
        Edit(
            name,
            op,
            _set(path, value),
            _malformed(field, on),
            IMAGE_PUSH_CHECKS if "PushedAt" in field else
            IMAGE_DIGEST_CHECKS if on == "image" else TASK_CHECKS,
        ),
        id=name,
    )
    for name, op, path, value, field, on in (
        ("startedAt-1e20", "DescribeTasks", ("tasks", 0, "startedAt"), 1e20,
         "tasks[0].startedAt", "tasks"),
        ("startedAt-text", "DescribeTasks", ("tasks", 1, "startedAt"), "2025-11-26T09:30:00Z",
         "tasks[1].startedAt", "tasks"),
        ("containers-number", "DescribeTasks", ("tasks", 0, "containers"), 5,
         "tasks[0].containers", "tasks"),
        ("imageDigest-not-a-digest", "DescribeTasks",
         ("tasks", 1, "containers", 0, "imageDigest"), "sha256:deadbeef",
         "tasks[1].containers[0].imageDigest", "tasks"),
        ("lastStatus-list", "DescribeTasks", ("tasks", 0, "lastStatus"), ["RUNNING"],
         "tasks[0].lastStatus", "tasks"),
        ("taskArns-number", "ListTasks", ("taskArns",), 2, "taskArns", "tasks"),
        ("runningCount-minus-1", "DescribeServices", ("services", 0, "runningCount"), -1,
         "services[0].runningCount", "service"),
        ("desiredCount-1e30", "DescribeServices", ("services", 0, "desiredCount"), 1e30,
         "services[0].desiredCount", "service"),
        ("imagePushedAt-1e20", "DescribeImages", ("imageDetails", 0, "imagePushedAt"), 1e20,
         "imageDetails[0].imagePushedAt", "image"),
        ("registry-digest-short", "DescribeImages", ("imageDetails", 0, "imageDigest"),
         "sha256:" + "a" * 63, "imageDetails[0].imageDigest", "image"),
    )
)  # fmt: skip


def _statuses(bundle: Bundle) -> dict[str, Status]:
    return {check.id: check.status for check in bundle.checks}


@pytest.fixture(scope="module")
def baseline(emulator: Emulator, passing_spec: LoadedSpec) -> Bundle:
    """The bundle without any edit: the task checks pass."""
    emulator.injector.disarm()
    bundle = run(passing_spec, emulator.options())
    assert {_statuses(bundle)[c] for c in TASK_CHECKS} == {Status.PASS}
    return bundle


@pytest.mark.parametrize("edit", ACCOUNTING + MALFORMED)
def test_checks_never_pass_when_a_task_is_not_accounted_for_or_a_field_malformed(
    edit: Edit,
    emulator: Emulator,
    injector: FaultInjector,
    passing_spec: LoadedSpec,
    baseline: Bundle,
) -> None:
    injector.arm(Fault(edit.operation, Kind.REWRITE, rewrite=edit.rewrite))

    bundle = run(passing_spec, emulator.options())

    assert injector.injected >= 1
    edit.expect(bundle)  # the collector recorded it: the evidence cannot be misread
    found = _statuses(bundle)
    summaries = {check.id: check.summary for check in bundle.checks}
    for check_id in edit.affected:
        assert found[check_id] is Status.UNKNOWN, (check_id, summaries[check_id])
    assert bundle.verdict is Verdict.INCONCLUSIVE
    assert bundle.evidence.logs == baseline.evidence.logs  # the other evidence is kept
    assert bundle.evidence.code == baseline.evidence.code
