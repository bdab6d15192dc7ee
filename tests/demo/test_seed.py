"""The demo's emulator and seed: the reference incident, read back over HTTP with boto3."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reporter.collect.aws import AwsClients, make_clients
from reporter.collect.image_config import Boto3EcrConfig, collect_image_config
from reporter.demo.history import expected_history
from reporter.demo.seed import (
    CLUSTER,
    CONTAINER,
    DEMO_SPEC_NAME,
    IMAGE_CREATED_AT,
    IMAGE_PUSHED_AT,
    IMAGE_SIZE_BYTES,
    IMAGE_SOURCE,
    IMAGE_VERSION,
    LOG_GROUP,
    REFERENCE_LINES,
    REPOSITORY,
    SERVICE,
    TASK_STARTED_AT,
    _copy_tree,
    demo_spec_dir,
    image_config,
    image_manifest,
    log_lines,
    manifest_digest,
    seed_incident,
)
from reporter.demo.server import DEMO_ACCOUNT, DEMO_REGION, demo_options, emulator
from reporter.spec import ImageSection, load_spec

WINDOW_START = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
WINDOW_END = datetime(2025, 11, 26, 11, 0, tzinfo=UTC)
PRE_FIX = expected_history(demo_spec_dir() / "code").pre_fix
"""The commit the demo image was built from (its revision label)."""
NEW_MARKERS = (
    "Requested platforms",
    "requested_platforms=",
    "Found 3 platform sections in markdown",
)


@pytest.fixture(scope="module")
def seeded() -> Iterator[AwsClients]:
    """One emulator for the module, holding the seeded incident."""
    with emulator() as url:
        clients = make_clients(demo_options(url))
        seed_incident(clients)
        yield clients


def _ms(at: datetime) -> int:
    return int(at.timestamp()) * 1000


def _task_arns(clients: AwsClients) -> list[str]:
    arns: list[str] = []
    pages = clients.ecs.get_paginator("list_tasks").paginate(
        cluster=CLUSTER, serviceName=SERVICE, desiredStatus="RUNNING"
    )
    for page in pages:
        arns.extend(page["taskArns"])
    return arns


def _window_events(clients: AwsClients, pattern: str = "") -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    request: dict[str, Any] = {
        "logGroupName": LOG_GROUP,
        "startTime": _ms(WINDOW_START),
        "endTime": _ms(WINDOW_END),
        "filterPattern": pattern,
        "limit": 25,  # several pages
    }
    while True:
        page = clients.logs.filter_log_events(**request)
        events.extend(dict(event) for event in page["events"])
        if not page.get("nextToken"):
            return events
        request["nextToken"] = page["nextToken"]


def _image(clients: AwsClients) -> dict[str, Any]:
    details = clients.ecr.describe_images(
        repositoryName=REPOSITORY, imageIds=[{"imageTag": "latest"}]
    )["imageDetails"]
    assert len(details) == 1
    return dict(details[0])


# --------------------------------------------------------------------------- ECR


def test_image_was_pushed_before_the_fixes(seeded: AwsClients) -> None:
    image = _image(seeded)
    assert image["imagePushedAt"] == datetime(2025, 11, 25, 21, 54, 59, 450000, tzinfo=UTC)
    assert image["imagePushedAt"] == IMAGE_PUSHED_AT
    assert image["imageTags"] == ["latest"]
    assert image["imageManifestMediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", image["imageDigest"])
    assert image["imageDigest"] == manifest_digest(image_manifest(image_config(PRE_FIX)))
    assert image["imageSizeInBytes"] == IMAGE_SIZE_BYTES  # the layers, as ECR reports it


def test_manifest_is_a_docker_v2_manifest(seeded: AwsClients) -> None:
    images = seeded.ecr.batch_get_image(
        repositoryName=REPOSITORY, imageIds=[{"imageTag": "latest"}]
    )
    manifest = images["images"][0]["imageManifest"]
    assert manifest == image_manifest(image_config(PRE_FIX))
    assert '"mediaType": "application/vnd.docker.distribution.manifest.v2+json"' in manifest


def test_image_config_carries_the_pre_fix_revision(seeded: AwsClients) -> None:
    """The real collector reads the config over HTTP: BatchGetImage, the layer URL, the blob."""
    options = demo_options(seeded.ecr.meta.endpoint_url)
    api = Boto3EcrConfig.from_options(seeded.ecr, options)

    config = collect_image_config(api, ImageSection(repository=REPOSITORY))

    assert config.error is None
    assert config.revision == PRE_FIX
    assert config.created == IMAGE_CREATED_AT
    assert config.created < IMAGE_PUSHED_AT
    assert config.manifest_media_type == "application/vnd.docker.distribution.manifest.v2+json"
    assert config.manifest_digest == _image(seeded)["imageDigest"]
    assert config.labels == {
        "org.opencontainers.image.created": "2025-11-25T21:50:31Z",
        "org.opencontainers.image.revision": PRE_FIX,
        "org.opencontainers.image.source": IMAGE_SOURCE,
        "org.opencontainers.image.title": REPOSITORY,
        "org.opencontainers.image.version": "2025.11.25-2149",
    }


def test_image_version_is_what_the_tasks_log_at_start() -> None:
    starts = [line.message for line in log_lines() if "backend starting" in line.message]
    assert starts
    assert all(f"version={IMAGE_VERSION})" in message for message in starts)


# --------------------------------------------------------------------------- ECS


def test_service_lists_two_running_tasks(seeded: AwsClients) -> None:
    assert len(_task_arns(seeded)) == 2


def test_tasks_run_the_image_and_started_after_the_push(seeded: AwsClients) -> None:
    digest = _image(seeded)["imageDigest"]
    reference = (
        f"{DEMO_ACCOUNT}.dkr.ecr.{DEMO_REGION}.amazonaws.com/content-marketing-swarm-backend:latest"
    )
    arns = _task_arns(seeded)
    for _ in range(3):  # describing a task must not move it towards STOPPED
        tasks = seeded.ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]
        assert [task["lastStatus"] for task in tasks] == ["RUNNING", "RUNNING"]
    started = sorted(task["startedAt"] for task in tasks)
    assert started == list(TASK_STARTED_AT)
    for task in tasks:
        assert IMAGE_PUSHED_AT < task["startedAt"] < WINDOW_START
        assert task["startedAt"].strftime("%Y-%m-%dT%H:%M") == "2025-11-25T22:03"
        assert task["group"] == f"service:{SERVICE}"
        assert task["launchType"] == "FARGATE"
        (container,) = task["containers"]
        assert container["name"] == CONTAINER
        assert container["imageDigest"] == digest
        assert container["image"] == reference
        assert container["lastStatus"] == "RUNNING"
        assert container["taskArn"] == task["taskArn"]
        assert "exitCode" not in container


def test_service_is_steady_with_one_completed_deployment(seeded: AwsClients) -> None:
    (service,) = seeded.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
    assert (service["desiredCount"], service["runningCount"], service["pendingCount"]) == (2, 2, 0)
    (deployment,) = service["deployments"]
    assert deployment["status"] == "PRIMARY"
    assert deployment["rolloutState"] == "COMPLETED"
    assert deployment["runningCount"] == 2
    tasks = seeded.ecs.describe_tasks(cluster=CLUSTER, tasks=_task_arns(seeded))["tasks"]
    assert {task["startedBy"] for task in tasks} == {deployment["id"]}


# --------------------------------------------------------------------------- logs


def test_window_holds_the_reference_lines(seeded: AwsClients) -> None:
    events = _window_events(seeded)
    messages = [event["message"] for event in events]
    for line in REFERENCE_LINES:
        assert line in messages
    by_message = {event["message"]: event for event in events}
    connected = by_message[REFERENCE_LINES[0]]["timestamp"]
    final = by_message[REFERENCE_LINES[3]]["timestamp"]
    assert datetime.fromtimestamp(connected / 1000, UTC).isoformat()[:19] == "2025-11-26T10:48:36"
    assert datetime.fromtimestamp(final / 1000, UTC).isoformat()[:19] == "2025-11-26T10:49:43"
    assert all(_ms(WINDOW_START) <= event["timestamp"] <= _ms(WINDOW_END) for event in events)
    assert len(events) > 40  # health checks and access lines around the reference lines
    assert {event["logStreamName"].rsplit("/", 1)[-1] for event in events} == {
        arn.rsplit("/", 1)[-1] for arn in _task_arns(seeded)
    }


def test_window_holds_none_of_the_new_markers(seeded: AwsClients) -> None:
    messages = [event["message"] for event in _window_events(seeded)]
    for marker in NEW_MARKERS:
        assert not [m for m in messages if marker in m], marker
    assert [m for m in messages if ", platform='linkedin'" in m]


def test_quoted_filter_finds_the_old_log_format(seeded: AwsClients) -> None:
    events = _window_events(seeded, "\"platform='linkedin'\"")
    assert REFERENCE_LINES[3] in [event["message"] for event in events]


def test_messages_carry_no_timestamp_prefix() -> None:
    for line in log_lines():
        assert not re.match(r"\d{4}-\d{2}-\d{2}", line.message)


def test_events_older_than_14_days_are_kept(seeded: AwsClients) -> None:
    events = seeded.logs.filter_log_events(
        logGroupName=LOG_GROUP, startTime=_ms(TASK_STARTED_AT[0]), endTime=_ms(WINDOW_START)
    )["events"]
    assert "INFO:     Application startup complete." in [event["message"] for event in events]


# --------------------------------------------------------------------------- emulator


def test_emulator_writes_nothing_to_stdout_and_starts_empty(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with emulator() as url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        clients = make_clients(demo_options(url))
        assert clients.ecr.describe_repositories()["repositories"] == []
        assert clients.ecs.list_clusters()["clusterArns"] == []
    assert capfd.readouterr().out == ""


# --------------------------------------------------------------------------- spec and code tree


def test_demo_spec_loads_and_points_at_the_seeded_resources() -> None:
    loaded = load_spec(demo_spec_dir() / DEMO_SPEC_NAME)
    spec = loaded.spec
    assert spec.title == "Hotfix Verification Report"
    assert spec.incident == "INC-2025-1126"
    assert spec.claimed_deployed_at == WINDOW_START
    assert spec.fixed_at is None  # from git: the demo's copy of the code is a checkout
    assert spec.aws.region == DEMO_REGION
    assert (spec.image.repository, spec.image.tag) == (REPOSITORY, "latest")
    assert spec.service is not None
    assert (spec.service.cluster, spec.service.name) == (CLUSTER, SERVICE)
    assert (spec.logs.group, spec.logs.since) == (LOG_GROUP, WINDOW_START)
    assert [fix.id for fix in spec.hotfixes] == [
        "multi-platform-parsing",
        "force-task-restart",
        "parser-regex-fix",
    ]
    assert len(spec.checklist) == 1
    assert not any(item.done for item in spec.checklist)
    assert spec.notes.root_cause
    assert spec.notes.impact
    assert spec.notes.user_impact
    assert spec.notes.lessons


def test_code_markers_are_in_the_code_tree() -> None:
    loaded = load_spec(demo_spec_dir() / DEMO_SPEC_NAME)
    root = loaded.code_root
    assert root is not None
    assert root.is_dir()
    for fix in loaded.spec.hotfixes:
        for marker in fix.code:
            assert marker.contains in (root / marker.path).read_text(encoding="utf-8")
    lines = (root / "backend/app/api/websocket.py").read_text(encoding="utf-8").splitlines()
    assert lines[106] == '        logger.info(f"Requested platforms: {platforms}")'
    assert sum("Requested platforms" in line for line in lines) == 1


def test_seeded_logs_decide_every_log_text_of_the_spec() -> None:
    spec = load_spec(demo_spec_dir() / DEMO_SPEC_NAME).spec
    in_window = [line.message for line in log_lines() if WINDOW_START <= line.at <= WINDOW_END]
    for fix in spec.hotfixes:
        for text in fix.expect_logs:
            assert not [m for m in in_window if text in m], text
        for text in fix.retired_logs:
            assert [m for m in in_window if text in m], text
    for text in spec.logs.context:
        assert [m for m in in_window if text in m], text


def test_spec_folder_copies_out_of_a_zip(tmp_path: Path) -> None:
    """The fallback of demo_spec_dir() when the package is imported from a zip."""
    source = demo_spec_dir()
    archive = tmp_path / "demo.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(source.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                bundle.write(path, f"data/{path.relative_to(source).as_posix()}")
    target = tmp_path / "out"
    target.mkdir()
    _copy_tree(zipfile.Path(archive, "data/"), target)
    loaded = load_spec(target / DEMO_SPEC_NAME)
    assert loaded.code_root == (target / "code").resolve()
    websocket = target / "code/backend/app/api/websocket.py"
    assert websocket.read_bytes() == (source / "code/backend/app/api/websocket.py").read_bytes()


def test_demo_account_is_motos_default_account() -> None:
    from moto.core.models import DEFAULT_ACCOUNT_ID

    assert DEMO_ACCOUNT == DEFAULT_ACCOUNT_ID
