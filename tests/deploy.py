"""A deploy that completes while ``reporter verify --wait`` runs, on moto's server.

Starts from the seeded reference incident (:func:`reporter.demo.seed.seed_incident`):

- :func:`before_deploy`: the service's two tasks still run the previous image (their
  ``containers[].imageDigest`` is another digest) and the fixed code has logged nothing;
- :func:`complete_deploy`: the old tasks are stopped (ECS StopTask) and two new ones run
  the tag's image (ECS RunTask, then what moto leaves out set on its backend objects, as
  the seed does), and the new tasks log the fixed code's line (appended to moto's log
  streams: ``PutLogEvents`` refuses events older than 14 days).

:class:`DeployOnCall` is a WSGI layer in front of moto that completes the deploy when the
emulator receives the n-th call of one operation: the test drives the change, the CLI
runs unchanged, and nothing depends on how fast anything is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from reporter.collect.aws import AwsClients
from reporter.demo.seed import CLUSTER, CONTAINER, FAMILY, LOG_GROUP, REPOSITORY, SERVICE, TAG

ACCOUNT = "123456789012"
REGION = "us-east-1"
NOW = "2025-11-26T10:50:00Z"
PREVIOUS_DIGEST = "sha256:" + "0" * 64
"""The digest of the image the tasks ran before the deploy."""
FIXED_LINE = "Found 3 platform sections in markdown (linkedin, twitter, blog)"
"""What the fixed code logs; the spec expects ``Found 3 platform sections``."""
EXPECTED = "Found 3 platform sections"
NEW_TASKS_STARTED = datetime(2025, 11, 26, 10, 40, 12, tzinfo=UTC)
FIXED_LINE_AT = datetime(2025, 11, 26, 10, 45, 3, tzinfo=UTC)

SPEC = f"""\
title = "Deploy completing midway"
claimed_deployed_at = 2025-11-26T09:00:00Z
fixed_at = 2025-11-25T21:00:00Z  # before the image was pushed (2025-11-25T21:54:59Z)
[aws]
region = "{REGION}"
endpoint_url = "{{endpoint}}"
[image]
repository = "{REPOSITORY}"
tag = "{TAG}"
[service]
cluster = "{CLUSTER}"
name = "{SERVICE}"
[logs]
group = "{LOG_GROUP}"
[[hotfix]]
id = "platform-sections"
title = "Multi-Platform Parsing"
expect_logs = ["{EXPECTED}"]
retired_logs = ["no such old text"]
"""
"""A spec that is NOT_DEPLOYED before the deploy and VERIFIED after it (``--now NOW``)."""


def _ecs_backend() -> Any:
    from moto.ecs.models import ecs_backends

    return ecs_backends[ACCOUNT][REGION]


def _running(clients: AwsClients) -> list[str]:
    return clients.ecs.list_tasks(cluster=CLUSTER, desiredStatus="RUNNING")["taskArns"]


def before_deploy(clients: AwsClients) -> None:
    """The seeded service's tasks run the previous image."""
    tasks = _ecs_backend().tasks[CLUSTER]
    for arn in _running(clients):
        for container in tasks[arn].containers:
            container.image_digest = PREVIOUS_DIGEST


def complete_deploy(clients: AwsClients) -> None:
    """Replace the tasks with two that run the tag's image, and log the fixed code's line."""
    ecs = clients.ecs
    digest = clients.ecr.describe_images(repositoryName=REPOSITORY, imageIds=[{"imageTag": TAG}])[
        "imageDetails"
    ][0]["imageDigest"]
    service = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
    for arn in _running(clients):
        ecs.stop_task(cluster=CLUSTER, task=arn, reason="Deployment replaced the task")
    started = ecs.run_task(
        cluster=CLUSTER,
        taskDefinition=FAMILY,
        count=2,
        launchType="FARGATE",
        startedBy=service["deployments"][0]["id"],
        group=f"service:{SERVICE}",
        networkConfiguration=service["networkConfiguration"],
    )["tasks"]
    tasks = _ecs_backend().tasks[CLUSTER]
    streams = []
    for n, task in enumerate(started):
        moto_task = tasks[task["taskArn"]]
        moto_task.started_at = NEW_TASKS_STARTED + timedelta(seconds=4 * n)
        moto_task.last_status = "RUNNING"
        for container in moto_task.containers:
            container.image_digest = digest
            container.last_status = "RUNNING"
        stream = f"ecs/{CONTAINER}/{task['taskArn'].rsplit('/', 1)[-1]}"
        clients.logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
        streams.append(stream)
    append_events(streams[0], [(FIXED_LINE_AT, FIXED_LINE)])


def append_events(stream: str, events: Iterable[tuple[datetime, str]]) -> None:
    """Append events to a stream of the log group, straight into moto's backend."""
    from moto.logs.models import logs_backends

    group = logs_backends[ACCOUNT][REGION].groups[LOG_GROUP]
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    group.streams[stream].put_log_events(
        [
            {"timestamp": (at - epoch) // timedelta(milliseconds=1), "message": message}
            for at, message in events
        ]
    )


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass
class DeployOnCall:
    """WSGI in front of moto: before answering the ``at``-th call of ``operation`` (an
    ``X-Amz-Target`` suffix such as ``DescribeServices``), run ``action`` once."""

    app: WsgiApp
    operation: str
    at: int
    action: Callable[[], None]

    def __post_init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if target.endswith(f".{self.operation}"):
            with self._lock:
                self.calls += 1
                if self.calls == self.at:
                    self.action()
        return self.app(environ, start_response)
