"""The running tasks table lists the tasks in the order they started, whatever order ECS
listed them in; a task's containers stay together and a task with no start time comes last."""

from __future__ import annotations

from reporter.model import Bundle, ContainerEvidence, TaskEvidence
from reporter.render.view import build_view
from tests.render.conftest import at, judged, make_not_deployed

PREFIX = "arn:aws:ecs:us-east-1:298717586028:task/content-marketing-swarm-dev-cluster/"


def with_tasks(bundle: Bundle, *tasks: TaskEvidence) -> Bundle:
    service = bundle.evidence.service
    assert service is not None
    service = service.model_copy(
        update={
            "tasks": tasks,
            "running_count": len(tasks),
            "desired_count": len(tasks),
            "listed_tasks": tuple(t.arn for t in tasks),
        }
    )
    evidence = bundle.evidence.model_copy(update={"service": service})
    return judged(bundle.model_copy(update={"evidence": evidence}))


def test_tasks_are_shown_in_the_order_they_started() -> None:
    bundle = make_not_deployed()
    assert bundle.evidence.service is not None
    first = bundle.evidence.service.tasks[0]
    sidecar = ContainerEvidence(name="envoy", image="public.ecr.aws/envoy:v1", image_digest=None)
    tasks = (
        first.model_copy(
            update={"arn": PREFIX + "a" * 32, "started_at": at("2025-11-25T22:03:17Z")}
        ),
        first.model_copy(update={"arn": PREFIX + "b" * 32, "started_at": None}),
        first.model_copy(
            update={
                "arn": PREFIX + "c" * 32,
                "started_at": at("2025-11-25T22:03:12Z"),
                "containers": (*first.containers, sidecar),
            }
        ),
    )
    rows = build_view(with_tasks(bundle, *tasks), "0" * 64).containers
    assert [(r.task_arn[-1], r.container) for r in rows] == [
        ("c", "backend"),
        ("c", "envoy"),
        ("a", "backend"),
        ("b", "backend"),
    ]
