"""The reference incident (INC-2025-1126), seeded into moto for ``reporter demo``.

What the emulator holds afterwards, as real AWS would report it:

- ECR ``content-marketing-swarm-backend``: one image tagged ``latest``, built
  2025-11-25T21:50:31Z from the pre-fix commit (its config's
  ``org.opencontainers.image.revision`` label; the config blob is pushed with ECR's
  layer-upload calls and served by the emulator's registry layer) and pushed
  2025-11-25T21:54:59.450Z, i.e. *before* the fixes (committed 2025-11-26T08:00Z, see
  :mod:`reporter.demo.history`);
- ECS ``content-marketing-swarm-dev-cluster`` / ``content-marketing-swarm-dev-backend-service``:
  desired 2, running 2, one ``PRIMARY`` deployment ``COMPLETED``; its two ``RUNNING``
  Fargate tasks started 2025-11-25T22:03:1xZ (after the push) and run exactly that image
  (``containers[].imageDigest``);
- CloudWatch Logs ``/ecs/content-marketing-swarm-dev``: one stream per task
  (``ecs/backend/<task id>``, as the ``awslogs`` driver names them) with the old code's
  lines on 2025-11-26 09:00-10:50Z, including the reference's excerpts, and none of the
  lines the fixed code would log.

Everything is created through boto3 over HTTP. Then the few things moto cannot be told
over its API are set on moto's in-process backend objects (the server runs in this
process): the push time (moto stamps "now") and size (moto reports the config's size),
the tasks' timestamps and image digests (moto has neither), the service's counts and
rollout (moto launches no tasks for a service), and log events older than 14 days
(``PutLogEvents`` refuses those, so they are appended to moto's log streams directly).

The tasks stay ``RUNNING`` only when moto's ``ecs::task`` transition is steady, which
:func:`reporter.demo.server.emulator` arranges.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reporter.collect.aws import AwsClients
from reporter.demo.history import DemoHistory, build_history, expected_history
from reporter.demo.registry_layer import push_blob, put_manifest

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_logs import CloudWatchLogsClient

DEMO_SPEC_NAME = "hotfix-verification-report.toml"

REPOSITORY = "content-marketing-swarm-backend"
TAG = "latest"
CLUSTER = "content-marketing-swarm-dev-cluster"
SERVICE = "content-marketing-swarm-dev-backend-service"
FAMILY = "content-marketing-swarm-dev-backend"
CONTAINER = "backend"
LOG_GROUP = "/ecs/content-marketing-swarm-dev"
LOG_STREAM_PREFIX = "ecs"
DESIRED_COUNT = 2

IMAGE_PUSHED_AT = datetime(2025, 11, 25, 21, 54, 59, 450000, tzinfo=UTC)
IMAGE_CREATED_AT = datetime(2025, 11, 25, 21, 50, 31, tzinfo=UTC)
"""When the image was built (its ``org.opencontainers.image.created`` label)."""
IMAGE_SOURCE = "https://github.com/content-marketing-swarm/content-marketing-swarm"
IMAGE_VERSION = "2025.11.25-2149"
"""The version the tasks log at start-up."""
SERVICE_CREATED_AT = datetime(2025, 11, 18, 14, 12, 7, 318000, tzinfo=UTC)
DEPLOYMENT_STARTED_AT = datetime(2025, 11, 25, 22, 2, 41, 87000, tzinfo=UTC)
DEPLOYMENT_COMPLETED_AT = datetime(2025, 11, 25, 22, 5, 52, 604000, tzinfo=UTC)
TASK_STARTED_AT = (
    datetime(2025, 11, 25, 22, 3, 12, 904000, tzinfo=UTC),
    datetime(2025, 11, 25, 22, 3, 17, 221000, tzinfo=UTC),
)
"""``startedAt`` of the service's two tasks: after the push, long before the fixes."""

WEBSOCKET_CLIENT_ID = "cfeb53e0-c5c9-4b99-a5c0-81196b6df540"
REFERENCE_LINES = (
    f"WebSocket client connected: {WEBSOCKET_CLIENT_ID}",
    "Streaming generation request: CraftyAI: Physical AI Demo...",
    "Parsing remaining buffered content (18786 chars)",
    "Parsing final buffered content: length=18786, platform='linkedin'",
)
"""The log lines the reference report quotes, as CloudWatch holds them (message text only)."""

_MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
_LAYER_MEDIA_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"
_CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"
_LAYERS = (  # (what the layer holds, compressed size in bytes)
    ("debian:bookworm-slim rootfs", 28_231_874),
    ("python:3.11-slim runtime", 3_511_220),
    ("python:3.11-slim interpreter", 12_874_391),
    ("python:3.11-slim pip setup", 249),
    ("apt-get install libpq5 curl", 6_102_447),
    ("pip install -r requirements.txt", 118_406_935),
    ("COPY backend/ /app", 412_786),
)
_ALB_ADDRESSES = ("10.0.1.87", "10.0.2.143")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DemoSeedError(RuntimeError):
    """moto's state is not what seeding the demo needs (a moto change, most likely)."""


@dataclass(frozen=True)
class SeededImage:
    """The image the seed pushed."""

    account: str
    region: str
    digest: str
    uri: str
    """``<account>.dkr.ecr.<region>.amazonaws.com/<repository>``."""

    @property
    def reference(self) -> str:
        """The tagged reference the task definition names."""
        return f"{self.uri}:{TAG}"


# --------------------------------------------------------------------------- entry points


def seed_incident(clients: AwsClients, revision: str | None = None) -> None:
    """Create the reference incident in moto (over HTTP), then fix up what moto lacks.

    The image's config carries ``revision`` as its ``org.opencontainers.image.revision``
    label: the pre-fix commit of the demo history (by default the id
    :func:`~reporter.demo.history.expected_history` computes for the bundled code tree).
    """
    if revision is None:
        revision = expected_history(demo_spec_dir() / "code").pre_fix
    image = _seed_image(clients.ecr, revision)
    task_arns = _seed_service(clients.ecs, image)
    _seed_logs(clients.logs, image, [arn.rsplit("/", 1)[-1] for arn in task_arns])


def demo_spec_dir() -> Path:
    """The bundled folder holding the demo spec (:data:`DEMO_SPEC_NAME`) and its ``code`` tree.

    From an installed package or a checkout this is the package's own ``data`` folder
    (read it, never change it: the demo works on :func:`demo_workspace`). When the
    package is not on the file system (imported from a zip), the folder is copied into a
    new temporary folder, removed when the process exits.
    """
    data = resources.files("reporter.demo").joinpath("data")
    if isinstance(data, Path) and data.is_dir():
        return data
    target = Path(tempfile.mkdtemp(prefix="reporter-demo-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    _copy_tree(data, target)
    return target


@dataclass(frozen=True)
class DemoWorkspace:
    """The demo's temporary copy of the spec and code tree, the code made a git checkout."""

    folder: Path
    spec_path: Path
    """The demo spec in ``folder`` (its ``[code] root`` is ``folder / "code"``)."""
    history: DemoHistory
    """The commits of ``code`` (or, without git, the ids they would have and why not)."""


@contextmanager
def demo_workspace() -> Iterator[DemoWorkspace]:
    """Copy the bundled spec and code tree into a temporary folder and give the code its history.

    The code tree becomes a git repository with the pre-fix and the fix commit
    (:func:`~reporter.demo.history.build_history`); without git it stays a plain folder
    and the history's ``note`` says so. The folder is removed when the block ends.
    """
    with tempfile.TemporaryDirectory(prefix="reporter-demo-", ignore_cleanup_errors=True) as name:
        folder = Path(name)
        _copy_tree(resources.files("reporter.demo").joinpath("data"), folder)
        history = build_history(folder / "code")
        yield DemoWorkspace(folder=folder, spec_path=folder / DEMO_SPEC_NAME, history=history)


def _copy_tree(source: Traversable, target: Path) -> None:
    """Copy a resource folder to ``target`` (which exists), without ``__pycache__`` folders."""
    for entry in source.iterdir():
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            (target / entry.name).mkdir()
            _copy_tree(entry, target / entry.name)
        else:
            (target / entry.name).write_bytes(entry.read_bytes())


# --------------------------------------------------------------------------- ECR


def image_config(revision: str) -> bytes:
    """The backend image's config blob (Docker image config, as ``docker build`` writes it).

    Its labels are what a build pipeline stamps (docker/metadata-action): the commit the
    image was built from (``revision``), the build time, the source, the version the
    tasks log at start-up.
    """
    created = IMAGE_CREATED_AT.strftime("%Y-%m-%dT%H:%M:%S")
    config = {
        "architecture": "amd64",
        "config": {
            "Env": [
                "PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=C.UTF-8",
                "PYTHON_VERSION=3.11.14",
            ],
            "Cmd": ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"],  # noqa: S104 - the image's CMD, not a bind here
            "WorkingDir": "/app",
            "ExposedPorts": {"8000/tcp": {}},
            "Labels": {
                "org.opencontainers.image.created": f"{created}Z",
                "org.opencontainers.image.revision": revision,
                "org.opencontainers.image.source": IMAGE_SOURCE,
                "org.opencontainers.image.title": REPOSITORY,
                "org.opencontainers.image.version": IMAGE_VERSION,
            },
        },
        "created": f"{created}.482913077Z",
        "history": [{"created": f"{created}Z", "created_by": f"/bin/sh -c #(nop) {name}"}
                    for name, _ in _LAYERS],
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [_fake_digest(f"diff: {n}") for n, _ in _LAYERS]},
    }  # fmt: skip
    return json.dumps(config, separators=(",", ":")).encode("utf-8")


def image_manifest(config: bytes) -> str:
    """A Docker image manifest (schema 2) for the backend image and ``config``, as ECR stores it."""
    layers = [
        {"mediaType": _LAYER_MEDIA_TYPE, "size": size, "digest": _fake_digest(name)}
        for name, size in _LAYERS
    ]
    manifest = {
        "schemaVersion": 2,
        "mediaType": _MANIFEST_MEDIA_TYPE,
        "config": {
            "mediaType": _CONFIG_MEDIA_TYPE,
            "size": len(config),
            "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
        },
        "layers": layers,
    }
    return json.dumps(manifest, indent=3)


def manifest_digest(manifest: str) -> str:
    """The image digest: the SHA-256 of the manifest's bytes, as registries compute it."""
    return "sha256:" + hashlib.sha256(manifest.encode("utf-8")).hexdigest()


IMAGE_SIZE_BYTES = sum(size for _, size in _LAYERS)
"""What ECR reports as ``imageSizeInBytes``: the compressed layers' sizes, summed."""


def _seed_image(ecr: ECRClient, revision: str) -> SeededImage:
    """Push the config blob (ECR's layer upload, as ``docker push`` does) and the manifest."""
    repository = ecr.create_repository(
        repositoryName=REPOSITORY,
        imageTagMutability="MUTABLE",
        imageScanningConfiguration={"scanOnPush": False},
    )["repository"]
    config = image_config(revision)
    push_blob(ecr, REPOSITORY, config)
    digest = put_manifest(ecr, REPOSITORY, image_manifest(config), _MANIFEST_MEDIA_TYPE, TAG)
    account = repository["registryId"]
    region = ecr.meta.region_name
    _backdate_image(account, region, digest)
    return SeededImage(
        account=account, region=region, digest=digest, uri=repository["repositoryUri"]
    )


def _backdate_image(account: str, region: str, digest: str) -> None:
    """moto stamps ``imagePushedAt`` with "now"; give it the incident's push time (and size)."""
    from moto.ecr.models import ecr_backends

    repository = ecr_backends[account][region].repositories[REPOSITORY]
    images = [image for image in repository.images if image.get_image_digest() == digest]
    if len(images) != 1:
        raise DemoSeedError(f"moto holds {len(images)} images with digest {digest}")
    # moto keeps epoch seconds; its serializer takes a datetime and keeps the milliseconds.
    setattr(images[0], "image_pushed_at", IMAGE_PUSHED_AT)  # noqa: B010 - moto types it int
    # moto reports the config's size as the image's; ECR sums the compressed layers.
    setattr(images[0], "get_image_size_in_bytes", lambda: IMAGE_SIZE_BYTES)  # noqa: B010


# --------------------------------------------------------------------------- ECS


@dataclass(frozen=True)
class _Network:
    """The default VPC's subnets (by availability zone) and security group."""

    subnets: dict[str, str]
    security_group: str


def _seed_service(ecs: ECSClient, image: SeededImage) -> list[str]:
    """Cluster, task definition, service and its two tasks; returns the task ARNs."""
    network = _default_network(image.account, image.region)
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.register_task_definition(**_task_definition(image))
    zones = sorted(network.subnets)[:DESIRED_COUNT]
    service = ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=FAMILY,
        desiredCount=DESIRED_COUNT,
        launchType="FARGATE",
        platformVersion="LATEST",
        networkConfiguration=_awsvpc([network.subnets[zone] for zone in zones], network),
    )["service"]
    deployment_id = service["deployments"][0]["id"]
    task_arns = []
    for zone in zones:
        started = ecs.run_task(
            cluster=CLUSTER,
            taskDefinition=FAMILY,
            count=1,
            launchType="FARGATE",
            platformVersion="LATEST",
            startedBy=deployment_id,
            group=f"service:{SERVICE}",
            networkConfiguration=_awsvpc([network.subnets[zone]], network),
        )
        task_arns.append(started["tasks"][0]["taskArn"])
    _settle_tasks(image, task_arns, zones)
    _settle_service(image, task_arns)
    return task_arns


def _task_definition(image: SeededImage) -> dict[str, Any]:
    role = f"arn:aws:iam::{image.account}:role/content-marketing-swarm-dev"
    return {
        "family": FAMILY,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "512",
        "memory": "1024",
        "executionRoleArn": f"{role}-ecs-execution",
        "taskRoleArn": f"{role}-ecs-task",
        "containerDefinitions": [
            {
                "name": CONTAINER,
                "image": image.reference,
                "essential": True,
                "cpu": 512,
                "memory": 1024,
                "portMappings": [{"containerPort": 8000, "hostPort": 8000, "protocol": "tcp"}],
                "environment": [
                    {"name": "ENVIRONMENT", "value": "dev"},
                    {"name": "LOG_LEVEL", "value": "INFO"},
                ],
                "healthCheck": {
                    "command": ["CMD-SHELL", "curl -fs http://localhost:8000/health || exit 1"],
                    "interval": 30,
                    "timeout": 5,
                    "retries": 3,
                    "startPeriod": 30,
                },
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": LOG_GROUP,
                        "awslogs-region": image.region,
                        "awslogs-stream-prefix": LOG_STREAM_PREFIX,
                    },
                },
            }
        ],
    }


def _awsvpc(subnets: list[str], network: _Network) -> Any:
    return {
        "awsvpcConfiguration": {
            "subnets": subnets,
            "securityGroups": [network.security_group],
            "assignPublicIp": "DISABLED",
        }
    }


def _default_network(account: str, region: str) -> _Network:
    """The default VPC moto creates in every region (read from its EC2 backend)."""
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account][region]
    vpc = ec2.get_default_vpc()
    group = ec2.get_security_group_from_name("default", vpc.id) if vpc is not None else None
    subnets = {zone: subnet.id for zone, subnet in ec2.get_default_subnets().items()}
    if group is None or len(subnets) < DESIRED_COUNT:
        raise DemoSeedError(f"moto has no default VPC with {DESIRED_COUNT} subnets in {region}")
    return _Network(subnets=subnets, security_group=group.id)


def _ecs_backend(image: SeededImage) -> Any:
    from moto.ecs.models import ecs_backends

    return ecs_backends[image.account][image.region]


def _settle_tasks(image: SeededImage, task_arns: list[str], zones: list[str]) -> None:
    """Give each task what a real running Fargate task reports and moto leaves out."""
    tasks = _ecs_backend(image).tasks[CLUSTER]
    for arn, zone, started in zip(task_arns, zones, TASK_STARTED_AT, strict=True):
        task = tasks[arn]
        _set(
            task,
            created_at=started - timedelta(seconds=31.412),
            pull_started_at=started - timedelta(seconds=24.806),
            pull_stopped_at=started - timedelta(seconds=3.177),
            connectivity="CONNECTED",
            connectivity_at=started - timedelta(seconds=27.95),
            started_at=started,
            availability_zone=zone,
            platform_version="1.4.0",
            platform_family="Linux",
            cpu="512",
            memory="1024",
            health_status="HEALTHY",
            enable_execute_command=False,
            version=3,
        )
        _settle_container(task, image, arn)


def _settle_container(task: Any, image: SeededImage, task_arn: str) -> None:
    task_id = task_arn.rsplit("/", 1)[-1]
    container = task.containers[0]
    eni: dict[str, Any] = task.attachments[0] if task.attachments else {"id": "", "details": []}
    address = {d["name"]: d["value"] for d in eni["details"]}.get("privateIPv4Address", "")
    _set(
        container,
        container_arn=(
            f"arn:aws:ecs:{image.region}:{image.account}:container/{CLUSTER}/{task_id}/"
            f"{_stable_uuid(task_id + '/container')}"
        ),
        task_arn=task_arn,  # moto puts the task definition's ARN here
        image=image.reference,
        image_digest=image.digest,
        runtime_id=f"{task_id.replace('-', '')}-{_stable_number(task_id)}",
        last_status="RUNNING",
        exitCode=None,  # a running container has no exit code (moto says 0)
        health_status="HEALTHY",
        network_interfaces=[{"attachmentId": eni["id"], "privateIpv4Address": address}],
    )


def _settle_service(image: SeededImage, task_arns: list[str]) -> None:
    """A steady service: 2 of 2 running, its one deployment completed."""
    backend = _ecs_backend(image)
    service = backend.services[f"{CLUSTER}:{SERVICE}"]
    deployment = service.deployments[0]
    deployment.update(
        createdAt=DEPLOYMENT_STARTED_AT,
        updatedAt=DEPLOYMENT_COMPLETED_AT,
        desiredCount=DESIRED_COUNT,
        pendingCount=0,
        runningCount=DESIRED_COUNT,
        failedTasks=0,
        rolloutState="COMPLETED",
        rolloutStateReason=f"ECS deployment {deployment['id']} completed.",
        platformVersion="1.4.0",
        platformFamily="Linux",
    )
    _set(
        service,
        running_count=DESIRED_COUNT,
        pending_count=0,
        created_at=SERVICE_CREATED_AT,
        created_by=f"arn:aws:iam::{image.account}:role/content-marketing-swarm-dev-deployer",
        deployment_configuration={
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        },
        events=_service_events(deployment["id"], task_arns),
    )
    _set(backend.clusters[CLUSTER], running_tasks_count=DESIRED_COUNT, pending_tasks_count=0)


def _service_events(deployment_id: str, task_arns: list[str]) -> list[dict[str, Any]]:
    """The service's event log, newest first, as ECS writes it."""
    tasks = " ".join(f"(task {arn.rsplit('/', 1)[-1]})" for arn in task_arns)
    entries = [
        (DEPLOYMENT_STARTED_AT + timedelta(seconds=6.2), f"has started 2 tasks: {tasks}."),
        (DEPLOYMENT_COMPLETED_AT, f"(deployment {deployment_id}) deployment completed."),
        (DEPLOYMENT_COMPLETED_AT + timedelta(seconds=0.4), "has reached a steady state."),
        (datetime(2025, 11, 26, 4, 6, 1, 512000, tzinfo=UTC), "has reached a steady state."),
    ]
    return [
        {
            "id": _stable_uuid(f"event/{at.isoformat()}"),
            "createdAt": at,
            "message": f"(service {SERVICE}) {text}",
        }
        for at, text in reversed(entries)
    ]


# --------------------------------------------------------------------------- CloudWatch Logs


@dataclass(frozen=True)
class LogLine:
    """One event for one task's stream."""

    task: int
    """Index of the task (0 or 1) whose stream holds the line."""
    at: datetime
    message: str


def log_lines() -> list[LogLine]:
    """Every event the demo log group holds, in time order (the old code's output)."""
    lines = [*_startup_lines(0), *_startup_lines(1), *_health_checks(), *_traffic()]
    return sorted(lines, key=lambda line: line.at)


def _seed_logs(logs: CloudWatchLogsClient, image: SeededImage, task_ids: list[str]) -> None:
    logs.create_log_group(logGroupName=LOG_GROUP, tags={"Project": "content-marketing-swarm"})
    logs.put_retention_policy(logGroupName=LOG_GROUP, retentionInDays=30)
    streams = [f"{LOG_STREAM_PREFIX}/{CONTAINER}/{task_id}" for task_id in task_ids]
    for stream in streams:
        logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
    _append_events(image, streams, log_lines())


def _append_events(image: SeededImage, streams: list[str], lines: list[LogLine]) -> None:
    """Append events straight to moto's streams: ``PutLogEvents`` refuses any older than 14 days."""
    from moto.logs.models import logs_backends

    group = logs_backends[image.account][image.region].groups[LOG_GROUP]
    for index, name in enumerate(streams):
        stream = group.streams[name]
        mine = [line for line in lines if line.task == index]
        stream.put_log_events(
            [{"timestamp": _ms(line.at), "message": line.message} for line in mine]
        )
        for event in stream.events:  # CloudWatch ingests an awslogs event within a second or so
            event.ingestion_time = event.timestamp + 180 + event.timestamp % 700
        last_ingested = _EPOCH + timedelta(milliseconds=stream.events[-1].ingestion_time)
        created = TASK_STARTED_AT[index] - timedelta(seconds=0.8)
        # moto's log streams keep naive UTC datetimes.
        _set(
            stream,
            last_ingestion_time=last_ingested.replace(tzinfo=None),
            creation_time=created.replace(tzinfo=None),
        )


def _startup_lines(task: int) -> list[LogLine]:
    """What uvicorn and the app print when a task starts (before the log window)."""
    start = TASK_STARTED_AT[task] + timedelta(seconds=1.6)
    messages = (
        "INFO:     Started server process [1]",
        "INFO:     Waiting for application startup.",
        "Content Marketing Swarm backend starting (environment=dev, version=2025.11.25-2149)",
        "Connected to database content_marketing_swarm (pool size 5)",
        "INFO:     Application startup complete.",
        "INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)",
    )
    return [
        LogLine(task, start + timedelta(milliseconds=37 * n * n + 4 * n), message)
        for n, message in enumerate(messages)
    ]


def _health_checks() -> list[LogLine]:
    """The load balancer's health checks, every 5 minutes per task, 09:00-10:50 on the 26th."""
    first = datetime(2025, 11, 26, 9, 0, 4, 118000, tzinfo=UTC)
    lines = []
    for n in range(23):
        for task in (0, 1):
            at = first + timedelta(minutes=5 * n, seconds=11.3 * task, milliseconds=97 * (n % 7))
            port = 30000 + (n * 7919 + task * 104729) % 30000
            lines.append(
                LogLine(
                    task,
                    at,
                    f'INFO:     {_ALB_ADDRESSES[task]}:{port} - "GET /health HTTP/1.1" 200 OK',
                )
            )
    return lines


def _traffic() -> list[LogLine]:
    """Two generation sessions (09:41 on task 1, 10:48 on task 0, the reference's) and API calls."""
    return [*_session_0941(), *_session_1048(), *_api_calls()]


def _session_0941() -> list[LogLine]:
    client = "6a1d2f4e-93b0-4c57-8e1a-0d5b7c2e91f3"
    base = datetime(2025, 11, 26, 9, 41, 5, 0, tzinfo=UTC)
    return _at(
        1,
        base,
        [
            (0.000, 'INFO:     10.0.2.143:51876 - "WebSocket /ws/generate" [accepted]'),
            (0.004, "INFO:     connection open"),
            (0.011, f"WebSocket client connected: {client}"),
            (0.312, "Streaming generation request: Q4 Launch Recap: Edge..."),
            (48.207, "Parsing remaining buffered content (9412 chars)"),
            (48.219, "Parsing final buffered content: length=9412, platform='linkedin'"),
            (48.233, "Generation complete: 1 content item(s) sent to client"),
            (52.870, f"WebSocket client disconnected: {client}"),
            (52.871, "INFO:     connection closed"),
        ],
    )


def _session_1048() -> list[LogLine]:
    base = datetime(2025, 11, 26, 10, 48, 36, 0, tzinfo=UTC)
    connected, request, remaining, final = REFERENCE_LINES
    return _at(
        0,
        base,
        [
            (0.104, 'INFO:     10.0.1.87:40212 - "WebSocket /ws/generate" [accepted]'),
            (0.107, "INFO:     connection open"),
            (0.113, connected),
            (0.468, request),
            (67.322, remaining),
            (67.336, final),
            (67.351, "Generation complete: 1 content item(s) sent to client"),
        ],
    )


def _api_calls() -> list[LogLine]:
    """The frontend's API calls through the load balancer (uvicorn's access log)."""
    calls = [  # (task, time on 2025-11-26, request line, status)
        (1, "09:17:42.631", "GET /api/content/history?limit=20", "200 OK"),
        (0, "09:40:58.092", "GET /api/brands/craftyai", "200 OK"),
        (1, "09:43:01.447", "GET /api/content/history?limit=20", "200 OK"),
        (0, "10:12:09.305", "GET /api/content/7f3c2b9e", "404 Not Found"),
        (0, "10:47:51.876", "GET /api/brands/craftyai", "200 OK"),
        (1, "10:50:02.118", "GET /api/content/history?limit=20", "200 OK"),
    ]
    lines = []
    for task, time, request, status in calls:
        at = datetime.fromisoformat(f"2025-11-26T{time}+00:00")
        client = f"{_ALB_ADDRESSES[task]}:{41000 + at.second * 97}"
        lines.append(LogLine(task, at, f'INFO:     {client} - "{request} HTTP/1.1" {status}'))
    return lines


def _at(task: int, base: datetime, lines: list[tuple[float, str]]) -> list[LogLine]:
    return [LogLine(task, base + timedelta(seconds=offset), message) for offset, message in lines]


# --------------------------------------------------------------------------- helpers


def _set(obj: object, **fields: object) -> None:
    """Set attributes on a moto model object (moto's serializer reads them by snake_case name)."""
    for name, value in fields.items():
        setattr(obj, name, value)


def _ms(at: datetime) -> int:
    """Epoch milliseconds, computed exactly (no float rounding)."""
    return (at - _EPOCH) // timedelta(milliseconds=1)


def _fake_digest(seed: str) -> str:
    return "sha256:" + hashlib.sha256(seed.encode("utf-8")).hexdigest()


def _stable_uuid(seed: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"reporter-demo:{seed}"))


def _stable_number(seed: str) -> int:
    return int(hashlib.sha256(seed.encode("utf-8")).hexdigest()[:8], 16) % 10**10
