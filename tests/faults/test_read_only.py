"""Every AWS call a run makes only reads: the operations on the wire, as the middleware saw them.

The README's minimal IAM policy is :data:`IAM_ACTIONS`; this test fails when a run starts
calling anything else.
"""

from __future__ import annotations

import re

import pytest

from reporter.spec import LoadedSpec, load_spec
from tests.faults.conftest import Emulator, demo_spec, run
from tests.faults.middleware import BLOB_GET, FaultInjector, target_operation

READ_ONLY = re.compile(
    r"(Describe|List|Get|BatchGet)[A-Z]\w*|FilterLogEvents|StartQuery|StopQuery|GetQueryResults"
)
"""Operation names that read: CloudWatch Logs Insights queries only read too (StopQuery
stops only the collector's own query), and the GET of a config blob
(:data:`~tests.faults.middleware.BLOB_GET`) reads a URL GetDownloadUrlForLayer gave out."""

IAM_PREFIX = {
    "AmazonEC2ContainerRegistry_V20150921": "ecr",
    "AmazonEC2ContainerServiceV20141113": "ecs",
    "Logs_20140328": "logs",
}
"""The ``X-Amz-Target`` prefix of each JSON-protocol API, and its IAM action prefix."""

IAM_ACTIONS = frozenset(
    {
        "ecr:DescribeImages",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecs:DescribeServices",
        "ecs:ListTasks",
        "ecs:DescribeTasks",
        "logs:FilterLogEvents",
    }
)
"""Everything a run calls: the minimal IAM policy."""


def iam_action(target: str) -> str | None:
    """``AmazonEC2ContainerServiceV20141113.ListTasks`` -> ``ecs:ListTasks``; None for the
    GET of a config blob (a pre-signed URL: no IAM action of its own)."""
    if target_operation(target) == BLOB_GET:
        return None
    prefix, _, operation = target.partition(".")
    assert prefix in IAM_PREFIX, f"a request to an unexpected API: {target!r}"
    return f"{IAM_PREFIX[prefix]}:{operation}"


@pytest.fixture(params=["passing", "demo"])
def spec(request: pytest.FixtureRequest, passing_spec: LoadedSpec) -> LoadedSpec:
    """The all-pass variant and the demo's own spec (context texts, failing checks)."""
    return passing_spec if request.param == "passing" else load_spec(demo_spec())


def test_a_run_calls_only_read_only_operations(
    spec: LoadedSpec, emulator: Emulator, injector: FaultInjector
) -> None:
    run(spec, emulator.options())

    seen = injector.seen()
    assert seen, "the run made no AWS call"
    for target in seen:
        assert READ_ONLY.fullmatch(target_operation(target)), (
            f"not a read-only operation: {target!r}"
        )
    assert {iam_action(target) for target in seen} - {None} == IAM_ACTIONS
    assert any(target_operation(target) == BLOB_GET for target in seen)


def test_read_only_pattern_rejects_writes() -> None:
    writes = (
        "PutLogEvents",
        "UpdateService",
        "StopTask",
        "BatchDeleteImage",
        "TagResource",
        "RunTask",
    )
    assert not [name for name in writes if READ_ONLY.fullmatch(name)]
    reads = (
        "DescribeImages",
        "BatchGetImage",
        "GetDownloadUrlForLayer",
        "ListTasks",
        "GetQueryResults",
        "FilterLogEvents",
        "StartQuery",
    )
    assert all(READ_ONLY.fullmatch(name) for name in reads)
