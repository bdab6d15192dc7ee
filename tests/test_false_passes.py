"""The false passes that made ``VERIFIED`` a lie, each closed (issue "never a false pass").

Every test here builds the situation a skeptical SRE found, runs the real checks and
verdicts (through ``build_bundle``, which redacts exactly as a run does), and shows the
hotfix is not ``DEPLOYED``. The git, CloudWatch and ECS halves have their own tests next
to their collectors; these are the check-side halves.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporter.model import (
    Bundle,
    ContainerEvidence,
    DeploymentEvidence,
    Evidence,
    HotfixVerdict,
    ImageEvidence,
    LogExcerpt,
    LogMatch,
    LogsEvidence,
    ServiceEvidence,
    Status,
    TaskEvidence,
    Verdict,
)
from reporter.pipeline import build_bundle
from reporter.spec import LoadedSpec, Spec

PUSHED = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)
NOW = datetime(2025, 11, 26, 16, 0, tzinfo=UTC)
REGISTRY = "sha256:" + "1" * 12 + "a" * 52
OTHER = "sha256:" + "1" * 12 + "b" * 52
"""Two digests an author's hex pattern would both turn into ``sha256:[REDACTED]``."""
REF = "123456789012.dkr.ecr.us-east-1.amazonaws.com/backend:latest"


def loaded(tmp_path: Path, **kw: Any) -> LoadedSpec:
    data: dict[str, Any] = {
        "claimed_deployed_at": "2025-11-26T13:00:00Z",
        "fixed_at": "2025-11-26T10:00:00Z",
        "image": {"repository": "backend"},
        "service": {"cluster": "c", "name": "s"},
        "logs": {"group": "/ecs/app"},
        "hotfix": [{"id": "h"}],
    }
    data.update(kw)
    return LoadedSpec(spec=Spec.model_validate(data), path=tmp_path / "s.toml", base_dir=tmp_path)


def task(n: int, digest: str = REGISTRY, started: datetime = PUSHED) -> TaskEvidence:
    return TaskEvidence(
        arn=f"arn:aws:ecs:us-east-1:123456789012:task/c/{n:032x}",
        last_status="RUNNING",
        started_at=started + timedelta(minutes=5),
        containers=(ContainerEvidence(name="backend", image=REF, image_digest=digest),),
    )


def evidence(**kw: Any) -> Evidence:
    tasks = kw.pop("tasks", (task(1), task(2)))
    base: dict[str, Any] = {
        "collected_at": NOW,
        "image": ImageEvidence(
            repository="backend", tag="latest", found=True, digest=REGISTRY, pushed_at=PUSHED
        ),
        "service": ServiceEvidence(
            cluster="c",
            name="s",
            found=True,
            status="ACTIVE",
            desired_count=len(tasks),
            running_count=len(tasks),
            deployments=(
                DeploymentEvidence(id="ecs-svc/1", status="PRIMARY", rollout_state="COMPLETED"),
            ),
            tasks=tasks,
            listed_tasks=tuple(t.arn for t in tasks),
        ),
        "logs": LogsEvidence(
            source="cloudwatch",
            group="/ecs/app",
            since=PUSHED,
            until=NOW,
            live_event=LogExcerpt(timestamp=PUSHED, stream="s", message="GET /health"),
        ),
    }
    base.update(kw)
    return Evidence(**base)


def status(bundle: Bundle, check_id: str) -> Status:
    return next(c.status for c in bundle.checks if c.id == check_id)


def test_the_baseline_is_verified(tmp_path: Path) -> None:
    bundle = build_bundle(loaded(tmp_path), evidence())
    assert bundle.verdict is Verdict.VERIFIED
    assert bundle.hotfixes[0].observed_by == ("service.runs_image", "h.image_after_fix")


def test_a_redact_pattern_never_merges_two_digests(tmp_path: Path) -> None:
    """An author's pattern for long hex tokens turned both digests into
    ``sha256:[REDACTED]`` and ``service.runs_image`` passed."""
    spec = loaded(tmp_path, redact={"patterns": ["[0-9a-f]{12,}"]})
    bundle = build_bundle(spec, evidence(tasks=(task(1), task(2, digest=OTHER))))
    assert status(bundle, "service.runs_image") is Status.FAIL
    assert bundle.verdict is Verdict.NOT_DEPLOYED
    # The digests are evidence: kept in the bundle, whatever the author's patterns say.
    assert bundle.evidence.image.digest == REGISTRY
    assert bundle.evidence.service is not None
    assert bundle.evidence.service.tasks[1].containers[0].image_digest == OTHER


def test_two_running_one_inspected_is_not_a_pass(tmp_path: Path) -> None:
    """The service said 2 running, only 1 was described, and "All 1 running tasks" passed."""
    ev = evidence()
    assert ev.service is not None
    service = ev.service.model_copy(update={"tasks": ev.service.tasks[:1]})
    bundle = build_bundle(loaded(tmp_path), ev.model_copy(update={"service": service}))
    assert status(bundle, "service.runs_image") is Status.UNKNOWN
    assert status(bundle, "service.restarted_after_push") is Status.UNKNOWN
    assert bundle.verdict is Verdict.INCONCLUSIVE


def test_an_image_after_the_fix_alone_is_not_deployed(tmp_path: Path) -> None:
    """No ``[service]`` and no log texts: "image pushed after fixed_at" alone was VERIFIED."""
    spec = loaded(tmp_path, service=None)
    bundle = build_bundle(spec, evidence(service=None))
    assert [c.status for c in bundle.checks] == [Status.PASS, Status.PASS]
    assert bundle.hotfixes[0].verdict is HotfixVerdict.INCONCLUSIVE
    assert bundle.verdict is Verdict.INCONCLUSIVE
    missing = bundle.hotfixes[0].missing or ""
    assert "nothing shows production running this fix" in missing
    assert "[service]" in missing
    assert "expect_logs" in missing


def test_expected_logs_alone_observe_production(tmp_path: Path) -> None:
    spec = loaded(tmp_path, service=None, hotfix=[{"id": "h", "expect_logs": ["new"]}])
    seen = LogMatch(
        text="new", kinds=("expected",), count=1, first_seen=NOW, last_seen=NOW, excerpts=()
    )
    ev = evidence(service=None)
    ev = ev.model_copy(update={"logs": ev.logs.model_copy(update={"matches": (seen,)})})
    bundle = build_bundle(spec, ev)
    assert bundle.verdict is Verdict.VERIFIED
    assert bundle.hotfixes[0].observed_by == ("h.logs_expected",)


def test_a_silent_log_source_does_not_retire_anything(tmp_path: Path) -> None:
    spec = loaded(tmp_path, hotfix=[{"id": "h", "retired_logs": ["old"]}])
    match = LogMatch(text="old", kinds=("retired",))
    ev = evidence()
    logs = ev.logs.model_copy(update={"matches": (match,), "live_event": None})
    bundle = build_bundle(spec, ev.model_copy(update={"logs": logs}))
    assert status(bundle, "h.logs_retired") is Status.UNKNOWN
    assert bundle.verdict is Verdict.INCONCLUSIVE


AGGRESSIVE = [
    "[0-9a-f]{8,}",
    "sha256:[0-9a-f]+",
    "arn:[^ ]+",
    "[A-Za-z0-9]+",
    r"\w+",
    "RUNNING|ACTIVE|PRIMARY|COMPLETED",
    "backend|latest",
    ".+",
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    patterns=st.lists(st.sampled_from(AGGRESSIVE), min_size=1, max_size=3, unique=True),
    other=st.booleans(),
    one_inspected=st.booleans(),
    stale=st.booleans(),
)
def test_redaction_never_changes_a_status(
    tmp_path: Path, patterns: list[str], other: bool, one_inspected: bool, stale: bool
) -> None:
    """Checks judge what was collected: any author pattern leaves every status as it is."""
    tasks = (
        task(1),
        task(
            2,
            digest=OTHER if other else REGISTRY,
            started=PUSHED - timedelta(hours=3 if stale else 0),
        ),
    )
    ev = evidence(tasks=tasks)
    if one_inspected:
        assert ev.service is not None
        ev = ev.model_copy(update={"service": ev.service.model_copy(update={"tasks": tasks[:1]})})
    plain = build_bundle(loaded(tmp_path), ev)
    redacted = build_bundle(loaded(tmp_path, redact={"patterns": patterns}), ev)
    assert [(c.id, c.status) for c in redacted.checks] == [(c.id, c.status) for c in plain.checks]
    assert redacted.verdict is plain.verdict


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("title", "Report AKIAABCDEFGHIJKLMNOP"),
        ("incident", "INC token=s3cr3tvalue9"),
    ],
)
def test_the_spec_free_text_is_redacted_in_the_bundle(tmp_path: Path, key: str, value: str) -> None:
    spec = loaded(
        tmp_path,
        **{key: value},
        aws={"endpoint_url": "https://user:hunter2pass@vpce.example.com"},
        notes={"summary": "password=hunter2pass"},
        checklist=[{"item": "rotate AKIAABCDEFGHIJKLMNOP"}],
    )
    bundle = build_bundle(spec, evidence())
    dumped = bundle.model_dump_json()
    for secret in ("AKIAABCDEFGHIJKLMNOP", "s3cr3tvalue9", "hunter2pass"):
        assert secret not in dumped
    assert bundle.spec.aws.endpoint_url == "https://user:[REDACTED]@vpce.example.com"


def test_the_report_shows_what_the_check_compared_a_sidecar_included(tmp_path: Path) -> None:
    """With a sidecar, the task table said "✘ no" while ``service.runs_image`` passed."""
    from reporter.render import OutputFormat, render

    sidecar = ContainerEvidence(
        name="log-router",
        image="public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
        image_digest="sha256:" + "c" * 64,
    )
    one = task(1)
    tasks = (one.model_copy(update={"containers": (*one.containers, sidecar)}), task(2))
    bundle = build_bundle(loaded(tmp_path), evidence(tasks=tasks))
    runs = next(c for c in bundle.checks if c.id == "service.runs_image")
    assert runs.status is Status.PASS
    compared = {(c.container, c.from_repository, c.matches) for c in runs.facts.containers}
    assert compared == {("backend", True, True), ("log-router", False, None)}
    md = render(bundle, OutputFormat.MD).decode()
    row = next(line for line in md.splitlines() if "| log-router |" in line)
    assert "not compared" in row
    assert "✘" not in row
    compared_rows = [line for line in md.splitlines() if "| backend |" in line]
    assert len(compared_rows) == 2
    assert all("| ✔ yes |" in line for line in compared_rows)


def test_the_hotfix_table_counts_the_shared_checks_its_verdict_rests_on(tmp_path: Path) -> None:
    """The "Checks" column left out the image and service checks that decide the verdict."""
    from reporter.render import OutputFormat, render

    bundle = build_bundle(loaded(tmp_path), evidence(tasks=(task(1), task(2, digest=OTHER))))
    md = render(bundle, OutputFormat.MD).decode()
    assert "| 1 | h | ✘ NOT_DEPLOYED | F1 | 1 fail · 4 pass |" in md
