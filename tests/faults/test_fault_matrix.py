"""Never a false pass: every AWS call, every way it can fail, through collect and build_bundle.

The emulator holds the demo incident and the spec asks only what that incident proves, so
without faults the report is VERIFIED. Each case below breaks one operation (denied,
throttled past the retries, HTTP 500, read timeout, dropped connection, a field missing
from the answer) and checks that the checks that needed it are ``unknown`` and name the
cause, that the others keep their ``pass`` and their evidence, and that the report is
INCONCLUSIVE (exit 3), never VERIFIED, with no exception escaping.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from reporter.cli import main
from reporter.collect.aws import make_clients
from reporter.collect.ecs import parse_tasks
from reporter.collect.logs import Boto3Logs, collect_cloudwatch
from reporter.collect.matching import markers_for
from reporter.model import Bundle, EvidenceError, Status, Verdict
from reporter.pipeline import build_bundle
from reporter.redact import Redactor
from reporter.render.json import dump_bundle
from reporter.spec import LoadedSpec
from tests.faults.conftest import EXPECTED_TEXTS, HOTFIXES, NOW, Emulator, run
from tests.faults.middleware import Fault, FaultInjector, FieldPath, Kind

INCONCLUSIVE_EXIT = 3

IMAGE_CHECKS = ("image.found", "service.runs_image", "service.restarted_after_push")
TASK_CHECKS = ("service.runs_image", "service.restarted_after_push")
SERVICE_CHECKS = ("service.stable", *TASK_CHECKS)


def per_hotfix(*kinds: str) -> tuple[str, ...]:
    """``<hotfix>.<kind>`` for every hotfix of the spec."""
    return tuple(f"{fix}.{kind}" for fix in HOTFIXES for kind in kinds)


AFFECTED: dict[str, tuple[str, ...]] = {
    "DescribeImages": (*IMAGE_CHECKS, *per_hotfix("image_after_fix")),
    "DescribeServices": SERVICE_CHECKS,
    "ListTasks": TASK_CHECKS,
    "DescribeTasks": TASK_CHECKS,
    "FilterLogEvents": per_hotfix("logs_expected", "logs_retired"),
}
"""The checks that cannot pass when the operation fails outright."""

CAUSES: dict[Kind, str] = {
    Kind.ACCESS_DENIED: "AccessDeniedException",
    Kind.THROTTLED: "ThrottlingException",
    Kind.INTERNAL_ERROR: "InternalFailure",
    Kind.READ_TIMEOUT: "ReadTimeout",
    Kind.DROPPED: "ConnectionClosedError",
}
"""The error code the evidence records, and the summary of an affected check names, per fault."""


@dataclass(frozen=True)
class Missing:
    """A field removed from one operation's answer, the checks that then cannot pass, and why."""

    operation: str
    field: FieldPath
    affected: tuple[str, ...]
    cause: str

    @property
    def name(self) -> str:
        """``DescribeTasks-tasks.*.startedAt``."""
        return f"{self.operation}-{'.'.join(str(p) for p in self.field)}"


MISSING = (
    Missing("DescribeImages", ("imageDetails",), AFFECTED["DescribeImages"], "MissingField"),
    Missing(
        "DescribeImages",
        ("imageDetails", 0, "imageDigest"),
        ("image.found", "service.runs_image", *per_hotfix("image_after_fix")),
        "MissingField",
    ),
    Missing(
        "DescribeImages",
        ("imageDetails", 0, "imagePushedAt"),
        ("service.restarted_after_push", *per_hotfix("image_after_fix")),
        "imagePushedAt",
    ),
    Missing("DescribeServices", ("services",), SERVICE_CHECKS, "MissingField"),
    # Without runningCount the tasks inspected cannot be shown to be every running task.
    Missing("DescribeServices", ("services", 0, "runningCount"), SERVICE_CHECKS, "running"),
    Missing(
        "DescribeServices",
        ("services", 0, "desiredCount"),
        ("service.stable",),
        "desired/running count",
    ),
    Missing(
        "DescribeServices", ("services", 0, "deployments", 0, "id"), SERVICE_CHECKS, "MissingField"
    ),
    Missing("ListTasks", ("taskArns",), TASK_CHECKS, "MissingField"),
    Missing("DescribeTasks", ("tasks",), TASK_CHECKS, "MissingField"),
    Missing("DescribeTasks", ("tasks", "*", "taskArn"), TASK_CHECKS, "MissingField"),
    Missing("DescribeTasks", ("tasks", "*", "lastStatus"), TASK_CHECKS, "lastStatus"),
    Missing(
        "DescribeTasks", ("tasks", "*", "startedAt"), ("service.restarted_after_push",), "startedAt"
    ),
    Missing(
        "DescribeTasks", ("tasks", "*", "containers"), ("service.runs_image",), "no container image"
    ),
    Missing(
        "DescribeTasks",
        ("tasks", "*", "containers", "*", "image"),
        ("service.runs_image",),
        "no container image",
    ),
    Missing(
        "DescribeTasks",
        ("tasks", "*", "containers", "*", "imageDigest"),
        ("service.runs_image",),
        "imageDigest",
    ),
    Missing("FilterLogEvents", ("events",), AFFECTED["FilterLogEvents"], "MissingField"),
    Missing(
        "FilterLogEvents", ("events", "*", "message"), AFFECTED["FilterLogEvents"], "MissingField"
    ),
    Missing(
        "FilterLogEvents", ("events", "*", "timestamp"), AFFECTED["FilterLogEvents"], "MissingField"
    ),
)


@pytest.fixture(scope="module")
def baseline(emulator: Emulator, passing_spec: LoadedSpec) -> Bundle:
    """The bundle without any fault."""
    emulator.injector.disarm()
    return run(passing_spec, emulator.options())


# --------------------------------------------------------------------------- helpers


def statuses(bundle: Bundle) -> dict[str, Status]:
    """Each check's status by id."""
    return {check.id: check.status for check in bundle.checks}


def assert_inconclusive(
    bundle: Bundle, baseline: Bundle, affected: tuple[str, ...], cause: str
) -> None:
    """``affected`` are unknown and name ``cause``; every other check kept its status; exit 3."""
    summaries = {check.id: check.summary for check in bundle.checks}
    assert set(summaries) == set(statuses(baseline))
    for check_id in affected:
        assert statuses(bundle)[check_id] is Status.UNKNOWN, (check_id, summaries[check_id])
        assert cause in summaries[check_id], (check_id, summaries[check_id])
    kept = {k: v for k, v in statuses(baseline).items() if k not in affected}
    assert {k: statuses(bundle)[k] for k in kept} == kept, summaries
    assert bundle.verdict is Verdict.INCONCLUSIVE
    assert bundle.verdict.exit_code == INCONCLUSIVE_EXIT


def assert_kept(bundle: Bundle, baseline: Bundle, operation: str) -> None:
    """The evidence the faulty operation did not feed is exactly the fault-free evidence."""
    got, want = bundle.evidence, baseline.evidence
    assert got.code == want.code
    if operation != "DescribeImages":
        assert got.image == want.image
    if operation != "FilterLogEvents":
        assert got.logs == want.logs
    if operation == "DescribeImages":
        assert got.service == want.service
    if operation in ("ListTasks", "DescribeTasks"):
        assert got.service is not None
        assert want.service is not None
        facts = {"tasks", "tasks_error", "task_failures", "undescribed", "other_tasks"}
        if operation == "ListTasks":
            facts.add("listed_tasks")
        assert got.service.model_dump(exclude=facts) == want.service.model_dump(exclude=facts)
        assert got.service.running_count == got.service.desired_count == 2


def recorded_error(bundle: Bundle, operation: str) -> EvidenceError | None:
    """The error the evidence holds for the part ``operation`` feeds."""
    evidence = bundle.evidence
    if operation == "DescribeImages":
        return evidence.image.error
    if operation == "FilterLogEvents":
        return evidence.logs.error
    assert evidence.service is not None
    return (
        evidence.service.error if operation == "DescribeServices" else evidence.service.tasks_error
    )


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --------------------------------------------------------------------------- tests


def test_without_faults_every_check_passes(baseline: Bundle) -> None:
    assert baseline.verdict is Verdict.VERIFIED
    assert set(statuses(baseline).values()) == {Status.PASS}
    assert baseline.evidence.service is not None
    assert len(baseline.evidence.service.tasks) == 2


ERROR_KINDS = tuple(CAUSES)


@pytest.mark.parametrize("kind", ERROR_KINDS, ids=[k.value for k in ERROR_KINDS])
@pytest.mark.parametrize("operation", tuple(AFFECTED))
def test_failed_call_makes_its_checks_unknown(
    operation: str,
    kind: Kind,
    emulator: Emulator,
    injector: FaultInjector,
    passing_spec: LoadedSpec,
    baseline: Bundle,
) -> None:
    injector.arm(Fault(operation, kind))
    bundle = run(passing_spec, emulator.options())
    assert injector.injected >= 1
    assert_inconclusive(bundle, baseline, AFFECTED[operation], CAUSES[kind])
    assert_kept(bundle, baseline, operation)
    error = recorded_error(bundle, operation)
    assert error is not None
    assert error.operation.endswith(f":{operation}")
    assert error.code == CAUSES[kind]
    if kind is Kind.INTERNAL_ERROR:
        assert "HTTP 500" in error.message
    if kind in (Kind.THROTTLED, Kind.INTERNAL_ERROR):
        assert "(after 1 retries)" in error.message  # the retry budget was spent


@pytest.mark.parametrize("missing", MISSING, ids=[m.name for m in MISSING])
def test_missing_field_makes_its_checks_unknown(
    missing: Missing,
    emulator: Emulator,
    injector: FaultInjector,
    passing_spec: LoadedSpec,
    baseline: Bundle,
) -> None:
    injector.arm(Fault(missing.operation, Kind.MISSING_FIELD, field=missing.field))
    bundle = run(passing_spec, emulator.options())
    assert injector.injected >= 1
    assert_inconclusive(bundle, baseline, missing.affected, missing.cause)
    assert_kept(bundle, baseline, missing.operation)


@pytest.mark.parametrize("operation", tuple(AFFECTED))
def test_throttling_that_clears_within_the_retries_changes_nothing(
    operation: str,
    emulator: Emulator,
    injector: FaultInjector,
    passing_spec: LoadedSpec,
    baseline: Bundle,
) -> None:
    injector.arm(Fault(operation, Kind.THROTTLED, times=1))
    bundle = run(passing_spec, emulator.options())
    assert injector.injected == 1
    assert dump_bundle(bundle) == dump_bundle(baseline)


def test_connection_refused_makes_every_aws_check_unknown(
    emulator: Emulator, injector: FaultInjector, passing_spec: LoadedSpec, baseline: Bundle
) -> None:
    bundle = run(passing_spec, emulator.options(f"http://127.0.0.1:{closed_port()}"))
    every_aws_check = tuple(dict.fromkeys(c for checks in AFFECTED.values() for c in checks))
    assert_inconclusive(bundle, baseline, every_aws_check, "ConnectionError")
    assert bundle.evidence.code == baseline.evidence.code
    assert injector.seen() == []


def test_logs_fault_on_page_two_keeps_page_one(
    emulator: Emulator, injector: FaultInjector, passing_spec: LoadedSpec, baseline: Bundle
) -> None:
    spec = passing_spec.spec
    assert spec.logs.group is not None
    assert spec.logs.since is not None
    markers = markers_for(
        [(f.expect_logs, f.retired_logs) for f in spec.hotfixes], spec.logs.context
    )
    api = Boto3Logs(make_clients(emulator.options()).logs, page_limit=30)
    # pages after the first (the liveness call, running alongside, never sends a token here)
    injector.arm(Fault("FilterLogEvents", Kind.THROTTLED, body='"nextToken"'))

    logs = collect_cloudwatch(api, spec.logs.group, spec.logs.since, NOW, markers, Redactor(()))

    assert injector.injected == 2  # page 2, tried twice
    assert logs.pages == 1
    assert logs.error is not None
    assert logs.error.code == "ThrottlingException"
    counts = {text: (match.count if (match := logs.match(text)) else 0) for text in EXPECTED_TEXTS}
    full = {
        text: (match.count if (match := baseline.evidence.logs.match(text)) else 0)
        for text in EXPECTED_TEXTS
    }
    assert all(count > 0 for count in counts.values()), counts
    assert sum(counts.values()) < sum(full.values()), (counts, full)

    bundle = build_bundle(passing_spec, baseline.evidence.model_copy(update={"logs": logs}))
    found = statuses(bundle)
    assert {found[c] for c in per_hotfix("logs_expected")} == {Status.PASS}  # seen on page 1
    assert_inconclusive(bundle, baseline, per_hotfix("logs_retired"), "ThrottlingException")


def test_cli_exits_3_without_traceback_on_a_denied_call(
    emulator: Emulator,
    injector: FaultInjector,
    passing_spec: LoadedSpec,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    injector.arm(Fault("DescribeTasks", Kind.ACCESS_DENIED))
    out = tmp_path / "out"

    code = main(
        ["verify", str(passing_spec.path), "--endpoint-url", emulator.url,
         "--now", NOW.isoformat(), "-f", "json", "-o", str(out)]
    )  # fmt: skip

    printed = capsys.readouterr()
    assert code == INCONCLUSIVE_EXIT, printed
    assert "Traceback" not in printed.err + printed.out
    assert "Verdict: INCONCLUSIVE (exit 3)" in printed.out
    assert injector.injected >= 1
    written = json.loads((out / "faults.json").read_text(encoding="utf-8"))
    assert written["verdict"] == "INCONCLUSIVE"
    runs_image = next(c for c in written["checks"] if c["id"] == "service.runs_image")
    assert runs_image["status"] == "unknown"
    assert "AccessDeniedException" in runs_image["summary"]


def test_a_task_without_last_status_is_a_missing_field_not_a_stopped_task() -> None:
    """DescribeTasks' shape (API reference), ``lastStatus`` left out: an error, the task kept."""
    arn = "arn:aws:ecs:us-east-1:123456789012:task/cluster/0b69d5c0d4a4467f8a4d7e1b5e2a9c31"
    response = {
        "tasks": [{"taskArn": arn, "desiredStatus": "RUNNING", "containers": []}],
        "failures": [],
    }

    described = parse_tasks(response)
    error = described.error

    assert [task.arn for task in described.tasks] == [arn]
    assert error is not None
    assert (error.operation, error.code) == ("ecs:DescribeTasks", "MissingField")
    assert "lastStatus" in error.message
