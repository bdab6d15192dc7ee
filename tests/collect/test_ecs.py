"""The ECS collector: against moto's server over HTTP, then its parsing on recorded responses."""

from __future__ import annotations

import copy
import json
import threading
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError
from moto.ecs.models import ecs_backends

from reporter.collect.aws import AwsClients, UnparsableResponse, aws_error, make_clients, parsed
from reporter.collect.ecs import (
    MAX_LIST_PAGES,
    Boto3Ecs,
    TaskAccount,
    collect_service,
    collect_tasks,
    parse_container,
    parse_service,
    parse_tasks,
    pinned_digest,
)
from reporter.errors import Cancelled
from reporter.model import ContainerEvidence, TaskFailure
from reporter.spec import ServiceSection
from tests.collect.helpers import (
    aws_response,
    client_error,
    recorded,
    replay_options,
    unreachable_options,
)
from tests.conftest import ACCOUNT, REGION
from tests.faults.replay import AwsError, Replay, pages, replay_server

CLUSTER = "prod"
SERVICE = "backend-service"
REPO_URI = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/backend"
DIGEST = "sha256:" + "a" * 64
SIDECAR = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
STARTED = datetime(2025, 11, 26, 9, 15, tzinfo=UTC)
CREATED = datetime(2025, 11, 26, 9, 14, tzinfo=UTC)
SECTION = ServiceSection(cluster=CLUSTER, name=SERVICE)


# --------------------------------------------------------------------------- helpers


def task_arn(i: int) -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{i:032x}"


def wire_task(arn: str, status: str = "RUNNING") -> dict[str, Any]:
    """A DescribeTasks ``tasks[]`` entry as on the wire."""
    return {
        "taskArn": arn,
        "taskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/backend:7",
        "lastStatus": status,
        "desiredStatus": "RUNNING",
        "createdAt": CREATED.timestamp(),
        "startedAt": STARTED.timestamp(),
        "containers": [
            {
                "name": "app",
                "image": f"{REPO_URI}:latest",
                "imageDigest": DIGEST,
                "lastStatus": status,
            }
        ],
    }


class FakeEcs:
    """A fake of the AWS seam: recorded responses, optionally raising botocore errors."""

    def __init__(
        self,
        service: Mapping[str, Any] | None = None,
        pages: Sequence[Sequence[str]] = (),
        statuses: Mapping[str, str] | None = None,
        describe_services_error: Exception | None = None,
        list_error_after: int | None = None,
        describe_tasks_error: Exception | None = None,
        fail_chunk_with: str | None = None,
    ) -> None:
        self.service = service or recorded("ecs_describe_services.json")
        self.pages = pages
        self.statuses = statuses or {}
        self.describe_services_error = describe_services_error
        self.list_error_after = list_error_after
        self.describe_tasks_error = describe_tasks_error
        self.fail_chunk_with = fail_chunk_with
        self.chunks: list[list[str]] = []
        self.listed = 0
        self._lock = threading.Lock()

    def describe_service(self, cluster: str, name: str) -> Mapping[str, Any]:
        if self.describe_services_error is not None:
            raise self.describe_services_error
        return aws_response("ecs", "DescribeServices", self.service)

    def list_tasks(self, cluster: str, service: str, token: str | None) -> Mapping[str, Any]:
        number = 0 if token is None else int(token.removeprefix("token-"))
        if self.list_error_after is not None and number >= self.list_error_after:
            raise client_error("ThrottlingException", "Rate exceeded", "ListTasks")
        self.listed += 1
        body: dict[str, Any] = {"taskArns": list(self.pages[number]) if self.pages else []}
        if number + 1 < len(self.pages):
            body["nextToken"] = f"token-{number + 1}"
        return aws_response("ecs", "ListTasks", body)

    def describe_tasks(self, cluster: str, arns: Sequence[str]) -> Mapping[str, Any]:
        with self._lock:
            self.chunks.append(list(arns))
        if self.describe_tasks_error is not None and self.fail_chunk_with in arns:
            raise self.describe_tasks_error
        tasks = [wire_task(arn, self.statuses.get(arn, "RUNNING")) for arn in arns]
        return aws_response("ecs", "DescribeTasks", {"tasks": tasks, "failures": []})


# --------------------------------------------------------------------------- moto


def _moto_api(moto_server: str, action: str, body: Mapping[str, Any]) -> None:
    request = urllib.request.Request(  # noqa: S310 - loopback only
        f"{moto_server}/moto-api/state-manager/{action}",
        data=json.dumps(body).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()


@pytest.fixture
def ecs_world(moto_server: str, aws: AwsClients) -> Iterator[AwsClients]:
    """moto's ECS with tasks that stay RUNNING.

    moto advances a task one state (RUNNING -> DEACTIVATING -> ...) on every
    DescribeTasks by default; a "manual" transition that needs a million describes
    keeps tasks where the test puts them.
    """
    transition = {"progression": "manual", "times": 1_000_000}
    _moto_api(moto_server, "set-transition", {"model_name": "ecs::task", "transition": transition})
    yield aws
    _moto_api(moto_server, "unset-transition", {"model_name": "ecs::task"})


def start_service(aws: AwsClients, tasks: int, image: str = f"{REPO_URI}:latest") -> list[str]:
    """A cluster, a task definition, a service, and ``tasks`` running Fargate tasks; their ARNs."""
    aws.ecs.create_cluster(clusterName=CLUSTER)
    definition = aws.ecs.register_task_definition(
        family="backend",
        containerDefinitions=[{"name": "app", "image": image, "memory": 512}],
    )["taskDefinition"]["taskDefinitionArn"]
    aws.ecs.create_service(
        cluster=CLUSTER, serviceName=SERVICE, taskDefinition=definition, desiredCount=tasks
    )
    arns: list[str] = []
    while len(arns) < tasks:  # RunTask starts at most 10 tasks per call
        started = aws.ecs.run_task(
            cluster=CLUSTER,
            taskDefinition=definition,
            count=min(10, tasks - len(arns)),
            launchType="FARGATE",
            startedBy="ecs-svc/1234567890123456789",
            group=f"service:{SERVICE}",
        )
        arns.extend(t["taskArn"] for t in started["tasks"])
    return arns


def backend_task(arn: str) -> Any:
    """moto's in-process task object (to set what moto does not: startedAt, imageDigest...)."""
    return ecs_backends[ACCOUNT][REGION].tasks[CLUSTER][arn]


def test_service_with_many_tasks_is_described_in_chunks_of_100(ecs_world: AwsClients) -> None:
    arns = start_service(ecs_world, 130)
    ecs_world.ecs.stop_task(cluster=CLUSTER, task=arns[0], reason="replaced")
    backend_task(arns[1]).last_status = "PENDING"
    chunk_sizes: list[int] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        chunk_sizes.append(len(params["tasks"]))

    ecs_world.ecs.meta.events.register("provide-client-params.ecs.DescribeTasks", record)

    service = collect_service(Boto3Ecs(ecs_world.ecs), SECTION)

    assert service.found is True
    assert service.error is None
    assert service.tasks_error is None
    assert service.status == "ACTIVE"
    assert service.desired_count == 130
    assert service.task_definition == f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/backend:1"
    assert sorted(chunk_sizes) == [29, 100]  # the stopped task is not listed
    assert [t.arn for t in service.tasks] == sorted(arns[2:])
    assert {t.last_status for t in service.tasks} == {"RUNNING"}
    assert {t.desired_status for t in service.tasks} == {"RUNNING"}
    (deployment,) = service.deployments
    assert deployment.id.startswith("ecs-svc/")
    assert deployment.status == "PRIMARY"
    assert deployment.task_definition == service.task_definition
    assert deployment.desired_count == 130
    assert deployment.rollout_state == "IN_PROGRESS"
    assert deployment.created_at is not None
    assert deployment.created_at.tzinfo == UTC


def test_started_at_and_image_digests_of_every_container(ecs_world: AwsClients) -> None:
    (arn,) = start_service(ecs_world, 1)
    task = backend_task(arn)
    task.started_at = STARTED
    task.created_at = CREATED
    task.containers[0].image_digest = DIGEST
    task.containers[0].last_status = "RUNNING"
    sidecar = copy.copy(task.containers[0])
    sidecar.name, sidecar.image, sidecar.image_digest = "log-router", SIDECAR, "sha256:" + "b" * 64
    task.containers.append(sidecar)

    service = collect_service(Boto3Ecs(ecs_world.ecs), SECTION)

    (found,) = service.tasks
    assert found.arn == arn
    assert found.started_at == STARTED
    assert found.created_at == CREATED
    assert found.task_definition == f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/backend:1"
    assert found.containers == (
        ContainerEvidence(
            name="app",
            image=f"{REPO_URI}:latest",
            image_digest=DIGEST,
            digest_source="imageDigest",
            last_status="RUNNING",
        ),
        ContainerEvidence(
            name="log-router",
            image=SIDECAR,
            image_digest="sha256:" + "b" * 64,
            digest_source="imageDigest",
            last_status="RUNNING",
        ),
    )


def test_moto_task_without_started_at_or_digest_leaves_them_unknown(ecs_world: AwsClients) -> None:
    start_service(ecs_world, 1)

    service = collect_service(Boto3Ecs(ecs_world.ecs), SECTION)

    (task,) = service.tasks
    assert task.started_at is None
    assert task.containers[0].image_digest is None
    assert task.containers[0].digest_source is None


def test_digest_pinned_reference_gives_the_digest(ecs_world: AwsClients) -> None:
    start_service(ecs_world, 1, image=f"{REPO_URI}@{DIGEST}")

    service = collect_service(Boto3Ecs(ecs_world.ecs), SECTION)

    (container,) = service.tasks[0].containers
    assert container.image == f"{REPO_URI}@{DIGEST}"
    assert container.image_digest == DIGEST
    assert container.digest_source == "reference"


def test_missing_service_is_not_found(ecs_world: AwsClients) -> None:
    start_service(ecs_world, 2)

    service = collect_service(Boto3Ecs(ecs_world.ecs), ServiceSection(cluster=CLUSTER, name="nope"))

    assert service.found is False
    assert service.error is None
    assert service.not_found_reason == "service 'nope' not found in cluster 'prod'"
    assert service.tasks == ()


def test_missing_cluster_is_not_found(ecs_world: AwsClients) -> None:
    service = collect_service(Boto3Ecs(ecs_world.ecs), SECTION)

    assert service.found is False
    assert service.error is None
    assert service.not_found_reason == "cluster 'prod' not found"


def test_unreachable_ecs_is_an_error_not_an_exception() -> None:
    options = unreachable_options(REGION)

    service = collect_service(Boto3Ecs(make_clients(options).ecs), SECTION)

    assert service.found is False
    assert service.error is not None
    assert service.error.operation == "ecs:DescribeServices"
    assert service.error.code == "ConnectionError"


def test_boto3_describe_tasks_refuses_more_than_100_arns() -> None:
    client = boto3.client(
        "ecs", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )

    with pytest.raises(ValueError, match="at most 100"):
        Boto3Ecs(client).describe_tasks(CLUSTER, [task_arn(i) for i in range(101)])


# --------------------------------------------------------------------------- collect (fake seam)


def test_tasks_of_every_page_are_described_in_chunks_and_sorted() -> None:
    arns = [task_arn(i) for i in range(250)]
    pending = arns[7]
    pages = [arns[200:], arns[:100], [*arns[100:200], arns[0]]]  # unordered, one repeat
    api = FakeEcs(pages=pages, statuses={pending: "PENDING"})

    service = collect_service(api, SECTION)

    assert api.listed == 3
    assert sorted(len(c) for c in api.chunks) == [50, 100, 100]
    assert sorted(a for c in api.chunks for a in c) == arns
    assert [t.arn for t in service.tasks] == [a for a in arns if a != pending]
    assert service.tasks_error is None


def test_result_does_not_depend_on_thread_count() -> None:
    arns = [task_arn(i) for i in range(450)]
    pages = [arns[i : i + 100] for i in range(0, 450, 100)][::-1]

    serial = collect_service(FakeEcs(pages=pages), SECTION, workers=1)
    parallel = collect_service(FakeEcs(pages=pages), SECTION, workers=8)

    assert serial == parallel
    assert len(serial.tasks) == 450


def test_list_tasks_failure_keeps_the_service_and_the_tasks_listed_so_far() -> None:
    arns = [task_arn(i) for i in range(150)]
    api = FakeEcs(pages=[arns[:100], arns[100:]], list_error_after=1)

    service = collect_service(api, SECTION)

    assert service.found is True
    assert service.error is None
    assert service.desired_count == 2
    assert service.tasks_error is not None
    assert service.tasks_error.operation == "ecs:ListTasks"
    assert service.tasks_error.code == "ThrottlingException"
    assert [t.arn for t in service.tasks] == arns[:100]


def test_describe_tasks_failure_keeps_the_other_chunks() -> None:
    arns = [task_arn(i) for i in range(150)]
    error = client_error("AccessDeniedException", "not authorized", "DescribeTasks", 403)
    api = FakeEcs(pages=[arns], describe_tasks_error=error, fail_chunk_with=arns[120])

    service = collect_service(api, SECTION)

    assert service.found is True
    assert service.tasks_error is not None
    assert service.tasks_error.operation == "ecs:DescribeTasks"
    assert service.tasks_error.code == "AccessDeniedException"
    assert [t.arn for t in service.tasks] == arns[:100]


@pytest.mark.parametrize(
    "error",
    [
        client_error("AccessDeniedException", "not authorized", "DescribeServices", 403),
        ConnectTimeoutError(endpoint_url="https://ecs.us-east-1.amazonaws.com/"),
    ],
)
def test_describe_services_failure_is_an_error(error: Exception) -> None:
    api = FakeEcs(pages=[[task_arn(1)]], describe_services_error=error)

    service = collect_service(api, SECTION)

    assert service.found is False
    assert service.not_found_reason is None
    assert service.error is not None
    assert service.error.operation == "ecs:DescribeServices"
    assert service.tasks == ()
    assert api.listed == 0


def test_cluster_not_found_error_is_not_found() -> None:
    error = client_error("ClusterNotFoundException", "Cluster not found.", "DescribeServices")

    service = collect_service(FakeEcs(describe_services_error=error), SECTION)

    assert service.found is False
    assert service.error is None
    assert service.not_found_reason == "cluster 'prod' not found"


def test_missing_service_lists_no_tasks() -> None:
    body = {"services": [], "failures": [{"arn": "arn:aws:ecs:::service/x", "reason": "MISSING"}]}
    api = FakeEcs(service=body, pages=[[task_arn(1)]])

    service = collect_service(api, SECTION)

    assert service.found is False
    assert api.listed == 0


def test_no_running_task_is_an_empty_list() -> None:
    api = FakeEcs(pages=[[]])

    assert collect_tasks(api, CLUSTER, SERVICE) == TaskAccount()
    assert api.chunks == []


# --------------------------------------------------------------------------- parsing


def test_parse_recorded_describe_services() -> None:
    response = aws_response("ecs", "DescribeServices", recorded("ecs_describe_services.json"))
    section = ServiceSection(cluster="prod-cluster", name="backend-service")

    service = parse_service(response, section)

    assert service.found is True
    assert service.error is None
    assert service.status == "ACTIVE"
    assert (service.desired_count, service.running_count, service.pending_count) == (2, 3, 0)
    assert (
        service.task_definition == "arn:aws:ecs:us-east-1:012345678910:task-definition/backend:42"
    )
    primary, old = service.deployments
    assert primary.model_dump() == {
        "id": "ecs-svc/1234567890123456789",
        "status": "PRIMARY",
        "task_definition": "arn:aws:ecs:us-east-1:012345678910:task-definition/backend:42",
        "desired_count": 2,
        "running_count": 1,
        "pending_count": 0,
        "rollout_state": "IN_PROGRESS",
        "rollout_state_reason": "ECS deployment ecs-svc/1234567890123456789 in progress.",
        "created_at": datetime(2025, 11, 26, 9, 0, 0, 123000, tzinfo=UTC),
        "updated_at": datetime(2025, 11, 26, 9, 5, 0, 456000, tzinfo=UTC),
    }
    assert (old.status, old.rollout_state, old.running_count) == ("ACTIVE", "COMPLETED", 2)
    assert service.tasks == ()


def test_service_is_found_by_arn_as_well_as_name() -> None:
    response = aws_response("ecs", "DescribeServices", recorded("ecs_describe_services.json"))
    arn = "arn:aws:ecs:us-east-1:012345678910:service/prod-cluster/backend-service"

    assert parse_service(response, ServiceSection(cluster="prod-cluster", name=arn)).found is True


@pytest.mark.parametrize("status", ["INACTIVE", "DRAINING"])
def test_inactive_or_draining_service_is_found_with_its_status(status: str) -> None:
    body = recorded("ecs_describe_services.json")
    body["services"][0]["status"] = status

    service = parse_service(aws_response("ecs", "DescribeServices", body), SECTION)

    assert service.found is True
    assert service.status == status


@pytest.mark.parametrize(
    "body",
    [
        {
            "services": [],
            "failures": [{"arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/x", "reason": "MISSING"}],
        },
        {"failures": [{"arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/x", "reason": "MISSING"}]},
        {"services": [], "failures": []},
    ],
)
def test_missing_service_is_not_found_in_the_response(body: dict[str, Any]) -> None:
    service = parse_service(aws_response("ecs", "DescribeServices", body), SECTION)

    assert service.found is False
    assert service.error is None
    assert service.not_found_reason == "service 'backend-service' not found in cluster 'prod'"


def test_other_failure_reason_is_an_error() -> None:
    failure = {"arn": "arn:aws:ecs:::service/x", "reason": "AccessDenied", "detail": "not allowed"}
    body = {"services": [], "failures": [failure]}

    service = parse_service(aws_response("ecs", "DescribeServices", body), SECTION)

    assert service.found is False
    assert service.error is not None
    assert (service.error.operation, service.error.code) == ("ecs:DescribeServices", "AccessDenied")
    assert service.error.message == "not allowed"


def test_response_without_services_is_a_missing_field() -> None:
    service = parse_service(aws_response("ecs", "DescribeServices", {}), SECTION)

    assert service.error is not None
    assert service.error.code == "MissingField"


def test_deployment_without_id_is_a_missing_field() -> None:
    body = recorded("ecs_describe_services.json")
    del body["services"][0]["deployments"][1]["id"]
    section = ServiceSection(cluster="prod-cluster", name="backend-service")

    service = parse_service(aws_response("ecs", "DescribeServices", body), section)

    assert service.error is not None
    assert service.error.code == "MissingField"
    assert "deployments[].id" in service.error.message


def test_rollout_reason_is_one_visible_line() -> None:
    body = recorded("ecs_describe_services.json")
    body["services"][0]["deployments"][0]["rolloutStateReason"] = "failed:\n\x1b[31mboom"
    section = ServiceSection(cluster="prod-cluster", name="backend-service")

    service = parse_service(aws_response("ecs", "DescribeServices", body), section)

    assert service.deployments[0].rollout_state_reason == "failed:\\x0a\\x1b[31mboom"


def test_parse_recorded_describe_tasks() -> None:
    response = aws_response("ecs", "DescribeTasks", recorded("ecs_describe_tasks.json"))

    described = parse_tasks(response)

    assert described.error is None  # the MISSING failure is a task that stopped in between
    assert described.failures == (
        TaskFailure(
            arn="arn:aws:ecs:us-east-1:012345678910:task/prod-cluster/cccc3333cccc3333cccc3333cccc3333",
            reason="MISSING",
        ),
    )
    running, pending = described.tasks
    assert running.group == "service:backend-service"
    assert running.started_by == "ecs-svc/9876543210987654321"
    assert running.arn.endswith("/bbbb2222bbbb2222bbbb2222bbbb2222")
    assert (
        running.task_definition == "arn:aws:ecs:us-east-1:012345678910:task-definition/backend:41"
    )
    assert (running.last_status, running.desired_status) == ("RUNNING", "RUNNING")
    assert running.started_at == datetime(2025, 11, 25, 9, 1, 55, 379000, tzinfo=UTC)
    assert running.created_at == datetime(2025, 11, 25, 9, 1, 30, 644000, tzinfo=UTC)
    backend, log_router = running.containers
    assert backend == ContainerEvidence(
        name="backend",
        image="012345678910.dkr.ecr.us-east-1.amazonaws.com/content-marketing-swarm-backend:latest",
        image_digest="sha256:" + "1" * 64,
        digest_source="imageDigest",
        last_status="RUNNING",
    )
    assert (log_router.image_digest, log_router.digest_source) == (
        "sha256:" + "2" * 64,
        "reference",
    )
    assert pending.last_status == "PENDING"
    assert pending.started_at is None
    assert pending.containers[0].image_digest is None


def test_other_describe_tasks_failures_are_errors() -> None:
    body = recorded("ecs_describe_tasks.json")
    body["failures"] = [{"arn": task_arn(9), "reason": "ACCESS_DENIED", "detail": "denied"}]

    described = parse_tasks(aws_response("ecs", "DescribeTasks", body))
    error = described.error

    assert len(described.tasks) == 2
    assert described.failures == (
        TaskFailure(arn=task_arn(9), reason="ACCESS_DENIED", detail="denied"),
    )
    assert error is not None
    assert (error.operation, error.code) == ("ecs:DescribeTasks", "ACCESS_DENIED")
    assert error.message == f"{task_arn(9)}: denied"


def test_describe_tasks_without_tasks_or_arn_is_a_missing_field() -> None:
    no_tasks = parse_tasks(aws_response("ecs", "DescribeTasks", {"failures": []})).error
    body = recorded("ecs_describe_tasks.json")
    del body["tasks"][1]["taskArn"]
    described = parse_tasks(aws_response("ecs", "DescribeTasks", body))

    assert no_tasks is not None
    assert no_tasks.code == "MissingField"
    assert described.error is not None
    assert described.error.code == "MissingField"
    assert len(described.tasks) == 1


def test_image_digest_wins_over_the_pinned_reference() -> None:
    container = parse_container(
        {"name": "app", "image": f"{REPO_URI}@sha256:{'3' * 64}", "imageDigest": DIGEST}
    )

    assert (container.image_digest, container.digest_source) == (DIGEST, "imageDigest")


@pytest.mark.parametrize(
    ("image", "digest"),
    [
        (f"{REPO_URI}@sha256:{'a' * 64}", "sha256:" + "a" * 64),
        (f"{REPO_URI}:latest@sha256:{'0123456789abcdef' * 4}", "sha256:" + "0123456789abcdef" * 4),
        (f"{REPO_URI}:latest", None),
        (f"{REPO_URI}@sha256:{'a' * 63}", None),
        (f"{REPO_URI}@sha256:{'A' * 64}", None),
        (f"{REPO_URI}@sha512:{'a' * 128}", None),
        ("", None),
        (None, None),
    ],
)
def test_pinned_digest(image: str | None, digest: str | None) -> None:
    assert pinned_digest(image) == digest


# --------------------------------------------------------------------------- replayed AWS

REC_CLUSTER = "prod-cluster"
REC_SECTION = ServiceSection(cluster=REC_CLUSTER, name="backend-service")
PRIMARY = "ecs-svc/1234567890123456789"
ACTIVE = "ecs-svc/9876543210987654321"


@dataclass(frozen=True)
class Replayed:
    """The replay server's app and an ECS seam whose client talks to it over HTTP."""

    replay: Replay
    api: Boto3Ecs
    client: Any


@pytest.fixture(scope="module")
def replay_endpoint() -> Iterator[tuple[str, Replay]]:
    with replay_server() as served:
        yield served


@pytest.fixture
def replayed(replay_endpoint: tuple[str, Replay]) -> Iterator[Replayed]:
    url, replay = replay_endpoint
    replay.clear()
    client = make_clients(replay_options(url)).ecs
    yield Replayed(replay, Boto3Ecs(client), client)
    replay.clear()


def rolling(replay: Replay, tasks: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Script the recorded rolling deployment (PRIMARY with 1 task, ACTIVE with 2, two
    ListTasks pages); returns the DescribeTasks body it answers (``tasks`` overrides)."""
    body = dict(tasks) if tasks is not None else recorded("ecs_rolling_describe_tasks.json")
    replay.answer("DescribeServices", recorded("ecs_describe_services.json"))
    replay.answer(
        "ListTasks",
        pages(
            [recorded("ecs_rolling_list_tasks_1.json"), recorded("ecs_rolling_list_tasks_2.json")]
        ),
    )
    replay.answer("DescribeTasks", body)
    return body


def rolling_arns() -> list[str]:
    return sorted(t["taskArn"] for t in recorded("ecs_rolling_describe_tasks.json")["tasks"])


def describe_asked(request: dict[str, Any]) -> dict[str, Any]:
    """DescribeTasks as AWS answers it: each asked ARN described, RUNNING."""
    return {"tasks": [wire_task(arn) for arn in request.get("tasks", [])], "failures": []}


def listing(arns: Sequence[str], token: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"taskArns": list(arns)}
    if token is not None:
        body["nextToken"] = token
    return body


def test_tasks_of_every_deployment_on_every_page_count(replayed: Replayed) -> None:
    """AWS's shape: ListTasks(serviceName) returns the old deployment's tasks with the new one's."""
    rolling(replayed.replay)

    service = collect_service(replayed.api, REC_SECTION)

    assert service.error is None
    assert service.tasks_error is None
    assert service.listed_tasks == tuple(rolling_arns())
    assert [t.arn for t in service.tasks] == rolling_arns()
    assert {t.started_by for t in service.tasks} == {PRIMARY, ACTIVE}
    assert {t.group for t in service.tasks} == {"service:backend-service"}
    assert {d.id for d in service.deployments} == {PRIMARY, ACTIVE}
    assert (service.task_failures, service.undescribed, service.other_tasks) == ((), (), ())
    first, second = replayed.replay.requests("ListTasks")
    expected = {
        "cluster": REC_CLUSTER,
        "serviceName": "backend-service",
        "desiredStatus": "RUNNING",
        "maxResults": 100,
    }
    assert first == expected
    assert second == {
        **expected,
        "nextToken": recorded("ecs_rolling_list_tasks_1.json")["nextToken"],
    }


def test_service_given_by_arn_lists_its_tasks_by_name(replayed: Replayed) -> None:
    rolling(replayed.replay)
    arn = "arn:aws:ecs:us-east-1:012345678910:service/prod-cluster/backend-service"

    service = collect_service(replayed.api, ServiceSection(cluster=REC_CLUSTER, name=arn))

    assert len(service.tasks) == 3
    assert {r["serviceName"] for r in replayed.replay.requests("ListTasks")} == {"backend-service"}


def test_a_missing_task_is_a_failure_not_dropped(replayed: Replayed) -> None:
    body = recorded("ecs_rolling_describe_tasks.json")
    gone = body["tasks"].pop(1)["taskArn"]
    body["failures"] = [{"arn": gone, "reason": "MISSING"}]
    rolling(replayed.replay, body)

    service = collect_service(replayed.api, REC_SECTION)

    assert service.tasks_error is None  # a task that stopped in between: the checks count it
    assert service.task_failures == (TaskFailure(arn=gone, reason="MISSING"),)
    assert service.listed_tasks == tuple(rolling_arns())
    assert [t.arn for t in service.tasks] == [a for a in rolling_arns() if a != gone]
    assert service.undescribed == ()


def test_other_failure_reasons_are_errors_and_kept(replayed: Replayed) -> None:
    body = recorded("ecs_rolling_describe_tasks.json")
    gone = body["tasks"].pop(0)["taskArn"]
    body["failures"] = [{"arn": gone, "reason": "ACCESS_DENIED", "detail": "no\naccess"}]
    rolling(replayed.replay, body)

    service = collect_service(replayed.api, REC_SECTION)

    assert service.task_failures == (
        TaskFailure(arn=gone, reason="ACCESS_DENIED", detail="no\\x0aaccess"),
    )
    assert service.tasks_error is not None
    assert (service.tasks_error.operation, service.tasks_error.code) == (
        "ecs:DescribeTasks",
        "ACCESS_DENIED",
    )
    assert len(service.tasks) == 2


def test_a_listed_task_describe_tasks_left_out_is_undescribed(replayed: Replayed) -> None:
    body = recorded("ecs_rolling_describe_tasks.json")
    omitted = body["tasks"].pop(2)["taskArn"]
    rolling(replayed.replay, body)

    service = collect_service(replayed.api, REC_SECTION)

    assert service.tasks_error is None
    assert service.undescribed == (omitted,)
    assert service.task_failures == ()
    assert len(service.tasks) == 2
    assert service.running_count == 3  # what the checks compare the 2 described tasks with


def test_a_describe_tasks_call_that_fails_leaves_its_tasks_undescribed(replayed: Replayed) -> None:
    rolling(replayed.replay)
    replayed.replay.answer("DescribeTasks", AwsError("AccessDeniedException", "not authorized"))

    service = collect_service(replayed.api, REC_SECTION)

    assert service.tasks == ()
    assert service.undescribed == tuple(rolling_arns())
    assert service.tasks_error is not None
    assert service.tasks_error.code == "AccessDeniedException"


def test_a_task_not_asked_for_is_not_counted(replayed: Replayed) -> None:
    body = recorded("ecs_rolling_describe_tasks.json")
    stranger = copy.deepcopy(body["tasks"][0])
    stranger["taskArn"] = task_arn(77)
    body["tasks"].append(stranger)
    rolling(replayed.replay, body)

    service = collect_service(replayed.api, REC_SECTION)

    assert [t.arn for t in service.tasks] == rolling_arns()
    assert service.tasks_error is not None
    assert service.tasks_error.code == "MalformedResponse: tasks[3].taskArn"
    assert "was not asked for" in service.tasks_error.message


def test_one_task_described_twice_differently_is_ambiguous(replayed: Replayed) -> None:
    body = recorded("ecs_rolling_describe_tasks.json")
    twin = copy.deepcopy(body["tasks"][1])
    twin["containers"][0]["imageDigest"] = DIGEST
    body["tasks"].append(twin)
    rolling(replayed.replay, body)

    service = collect_service(replayed.api, REC_SECTION)

    assert twin["taskArn"] not in [t.arn for t in service.tasks]
    assert service.tasks_error is not None
    assert service.tasks_error.code == "MalformedResponse: tasks[3]"


def test_one_task_described_twice_alike_is_one_task(replayed: Replayed) -> None:
    body = recorded("ecs_rolling_describe_tasks.json")
    body["tasks"].append(copy.deepcopy(body["tasks"][1]))
    rolling(replayed.replay, body)

    service = collect_service(replayed.api, REC_SECTION)

    assert service.tasks_error is None
    assert [t.arn for t in service.tasks] == rolling_arns()


def test_paging_stops_at_a_token_seen_on_an_earlier_page(replayed: Replayed) -> None:
    rolling(replayed.replay)
    loop = [
        listing([task_arn(1)], "t1"),
        listing([task_arn(2)], "t2"),
        listing([task_arn(3)], "t1"),
    ]
    replayed.replay.answer("ListTasks", pages(loop))
    replayed.replay.answer("DescribeTasks", describe_asked)

    service = collect_service(replayed.api, REC_SECTION)

    sent = [r.get("nextToken") for r in replayed.replay.requests("ListTasks")]
    assert sent == [None, "t1", "t2"]
    assert service.tasks_error is not None
    assert (service.tasks_error.operation, service.tasks_error.code) == (
        "ecs:ListTasks",
        "RepeatedPageToken",
    )
    assert "repeated a page token on page 3" in service.tasks_error.message
    assert service.listed_tasks == (task_arn(1), task_arn(2), task_arn(3))
    assert [t.arn for t in service.tasks] == [task_arn(1), task_arn(2), task_arn(3)]


def test_paging_stops_at_a_token_repeated_at_once(replayed: Replayed) -> None:
    rolling(replayed.replay)
    replayed.replay.answer("ListTasks", listing([task_arn(1)], "same"))
    replayed.replay.answer("DescribeTasks", describe_asked)

    service = collect_service(replayed.api, REC_SECTION)

    assert [r.get("nextToken") for r in replayed.replay.requests("ListTasks")] == [None, "same"]
    assert service.tasks_error is not None
    assert service.tasks_error.code == "RepeatedPageToken"
    assert [t.arn for t in service.tasks] == [task_arn(1)]


def test_paging_that_never_ends_stops_at_the_budget(replayed: Replayed) -> None:
    rolling(replayed.replay)

    def endless(request: dict[str, Any]) -> dict[str, Any]:
        number = int(request.get("nextToken") or 0)
        return listing([task_arn(number)], str(number + 1))

    replayed.replay.answer("ListTasks", endless)
    replayed.replay.answer("DescribeTasks", describe_asked)

    service = collect_service(replayed.api, REC_SECTION)

    assert len(replayed.replay.requests("ListTasks")) == MAX_LIST_PAGES
    assert service.tasks_error is not None
    assert service.tasks_error.code == "TooManyPages"
    assert f"after {MAX_LIST_PAGES} pages" in service.tasks_error.message
    assert len(service.listed_tasks) == MAX_LIST_PAGES
    assert len(service.tasks) == MAX_LIST_PAGES  # what was seen is kept, and described
    assert sorted(len(r["tasks"]) for r in replayed.replay.requests("DescribeTasks")) == [100]


def test_an_empty_page_with_a_token_is_not_the_end(replayed: Replayed) -> None:
    rolling(replayed.replay)
    replayed.replay.answer(
        "ListTasks", pages([listing([], "t1"), listing([], "t2"), listing([task_arn(5)], None)])
    )
    replayed.replay.answer("DescribeTasks", describe_asked)

    service = collect_service(replayed.api, REC_SECTION)

    assert service.tasks_error is None
    assert service.listed_tasks == (task_arn(5),)


@dataclass(frozen=True)
class Malformation:
    """One field of one recorded answer set to a value AWS never sends."""

    operation: str
    path: tuple[str | int, ...]
    value: Any

    @property
    def field(self) -> str:
        """The field the error names (``MalformedResponse: <field>``): ``tasks[0].startedAt``."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else f".{part}"
        return text.removeprefix(".")

    @property
    def error_on(self) -> str:
        """Where the error lands: ``error`` (DescribeServices) or ``tasks_error``."""
        return "error" if self.operation == "DescribeServices" else "tasks_error"

    @property
    def name(self) -> str:
        return f"{self.operation}-{self.field}={self.value!r}"[:80]


MALFORMATIONS = (
    Malformation("DescribeTasks", ("tasks", 0, "startedAt"), 1e20),
    Malformation("DescribeTasks", ("tasks", 0, "startedAt"), "2025-11-26T09:00:00Z"),
    Malformation("DescribeTasks", ("tasks", 0, "startedAt"), True),
    Malformation("DescribeTasks", ("tasks", 0, "startedAt"), 0),
    Malformation("DescribeTasks", ("tasks", 1, "containers"), 5),
    Malformation("DescribeTasks", ("tasks", 1, "containers", 0, "imageDigest"), "sha256:xyz"),
    Malformation("DescribeTasks", ("tasks", 2, "lastStatus"), ["RUNNING"]),
    Malformation("DescribeTasks", ("tasks",), {"a": 1}),
    Malformation("DescribeTasks", ("failures",), "MISSING"),
    Malformation("ListTasks", ("taskArns",), 7),
    Malformation("ListTasks", ("taskArns", 0), 7),
    Malformation("ListTasks", ("nextToken",), 12),
    Malformation("DescribeServices", ("services", 0, "runningCount"), -1),
    Malformation("DescribeServices", ("services", 0, "desiredCount"), 1e30),
    Malformation("DescribeServices", ("services", 0, "pendingCount"), 2**40),
    Malformation("DescribeServices", ("services", 0, "deployments", 1, "createdAt"), "yesterday"),
    Malformation("DescribeServices", ("services", 0, "deployments"), "PRIMARY"),
)


def _set(body: Any, path: Sequence[str | int], value: Any) -> None:
    for key in path[:-1]:
        body = body[key]
    body[path[-1]] = value


@pytest.mark.parametrize("case", MALFORMATIONS, ids=[m.name for m in MALFORMATIONS])
def test_a_malformed_field_is_an_error_naming_it_and_the_rest_is_kept(
    case: Malformation, replayed: Replayed
) -> None:
    bodies = {
        "DescribeServices": recorded("ecs_describe_services.json"),
        "ListTasks": {"taskArns": rolling_arns()},
        "DescribeTasks": recorded("ecs_rolling_describe_tasks.json"),
    }
    _set(bodies[case.operation], case.path, case.value)
    for operation, body in bodies.items():
        replayed.replay.answer(operation, body)

    service = collect_service(replayed.api, REC_SECTION)

    error = getattr(service, case.error_on)
    assert error is not None
    assert error.code == f"MalformedResponse: {case.field}"
    assert error.operation == f"ecs:{case.operation}"
    assert service.found is True
    assert service.status == "ACTIVE"  # the service's well-formed facts are kept
    if case.operation != "ListTasks":
        assert service.listed_tasks == tuple(rolling_arns())
    if case.operation == "DescribeServices":
        assert [t.arn for t in service.tasks] == rolling_arns()  # tasks are still listed


def test_a_key_given_twice_is_ambiguous(replayed: Replayed) -> None:
    rolling(replayed.replay)
    body = json.dumps(recorded("ecs_rolling_describe_tasks.json"))
    started = '"startedAt": 1764147630.5'
    assert started in body
    replayed.replay.answer(
        "DescribeTasks", body.replace(started, f'{started}, "startedAt": 1764000000').encode()
    )

    service = collect_service(replayed.api, REC_SECTION)

    assert service.tasks_error is not None
    assert service.tasks_error.code == "MalformedResponse: tasks[0].startedAt"
    assert "given 2 times" in service.tasks_error.message
    starts = {t.arn.rsplit("/", 1)[1][:4]: t.started_at for t in service.tasks}
    assert starts["dddd"] is None  # the task whose startedAt was given twice
    assert starts["bbbb"] is not None
    assert starts["eeee"] is not None


@pytest.mark.parametrize("body", [b"<html>502 Bad Gateway</html>", b"[1, 2]", b'{"tasks": [1'])
def test_an_answer_that_is_not_a_json_object_is_malformed(replayed: Replayed, body: bytes) -> None:
    rolling(replayed.replay)
    replayed.replay.answer("DescribeTasks", body)

    service = collect_service(replayed.api, REC_SECTION)

    assert service.tasks_error is not None
    assert service.tasks_error.code == "MalformedResponse: (body)"
    assert service.undescribed == tuple(rolling_arns())


def test_botocore_parse_failures_are_caught_at_the_seam(replayed: Replayed) -> None:
    """The backstop: a client without the shape checks, whose parser raises on the answer."""
    raw_client = make_clients(replay_options(replayed.client.meta.endpoint_url)).ecs
    replayed.replay.answer("DescribeTasks", {"tasks": [{"startedAt": 1e20}]})

    with pytest.raises(UnparsableResponse) as caught:
        parsed(lambda: raw_client.describe_tasks(cluster=REC_CLUSTER, tasks=[task_arn(1)]))

    error = aws_error("ecs:DescribeTasks", caught.value)
    assert error.code == "MalformedResponse: (body)"
    assert "botocore could not parse the answer" in error.message


def test_cancel_before_the_first_call_sends_nothing(replayed: Replayed) -> None:
    rolling(replayed.replay)
    cancel = threading.Event()
    cancel.set()

    with pytest.raises(Cancelled):
        collect_service(replayed.api, REC_SECTION, cancel=cancel)

    assert replayed.replay.requests() == []


def test_cancel_while_paging_stops_and_leaves_no_thread(replayed: Replayed) -> None:
    rolling(replayed.replay)
    cancel = threading.Event()

    def cancelled_on_page_3(request: dict[str, Any]) -> dict[str, Any]:
        number = int(request.get("nextToken") or 0)
        if number == 2:
            cancel.set()
        return listing([task_arn(number)], str(number + 1))

    replayed.replay.answer("ListTasks", cancelled_on_page_3)

    with pytest.raises(Cancelled):
        collect_service(replayed.api, REC_SECTION, cancel=cancel)

    assert len(replayed.replay.requests("ListTasks")) == 3
    assert replayed.replay.requests("DescribeTasks") == []
    assert not [t for t in threading.enumerate() if t.name.startswith("ecs-describe")]


def test_cancel_while_describing_stops_the_chunks_not_started(replayed: Replayed) -> None:
    rolling(replayed.replay)
    cancel = threading.Event()
    replayed.replay.answer("ListTasks", listing([task_arn(i) for i in range(1000)], None))

    def describe_and_cancel(request: dict[str, Any]) -> dict[str, Any]:
        cancel.set()
        return describe_asked(request)

    replayed.replay.answer("DescribeTasks", describe_and_cancel)

    with pytest.raises(Cancelled):
        collect_service(replayed.api, REC_SECTION, workers=1, cancel=cancel)

    assert len(replayed.replay.requests("DescribeTasks")) == 1  # 9 more chunks never sent
    assert not [t for t in threading.enumerate() if t.name.startswith("ecs-describe")]


# --------------------------------------------------------------------------- moto: serviceName


def test_moto_lists_every_task_of_the_cluster_and_only_the_service_s_count(
    ecs_world: AwsClients,
) -> None:
    """moto's shape: ListTasks ignores serviceName; tasks of another group are other_tasks."""
    ours = start_service(ecs_world, 2)
    definition = ecs_world.ecs.list_task_definitions()["taskDefinitionArns"][0]
    other = ecs_world.ecs.run_task(
        cluster=CLUSTER, taskDefinition=definition, launchType="FARGATE",
        startedBy="ecs-svc/5555555555555555555", group="service:worker-service",
    )["tasks"][0]["taskArn"]  # fmt: skip
    standalone = ecs_world.ecs.run_task(
        cluster=CLUSTER, taskDefinition=definition, launchType="FARGATE"
    )["tasks"][0]["taskArn"]

    service = collect_service(Boto3Ecs(ecs_world.ecs), SECTION)

    assert service.listed_tasks == tuple(sorted([*ours, other, standalone]))
    assert [t.arn for t in service.tasks] == sorted(ours)
    assert service.other_tasks == tuple(sorted([other, standalone]))
    assert service.undescribed == ()
    assert service.tasks_error is None
