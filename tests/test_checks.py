"""Every check's pass, fail and unknown, and every verdict row of CONTRACT section 4."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reporter.checks import (
    FixTime,
    code_has_marker,
    fix_time,
    hotfix_verdict,
    image_after_fix,
    image_found,
    image_repository,
    judge,
    logs_expected,
    logs_retired,
    report_verdict,
    run_checks,
    service_restarted_after_push,
    service_runs_image,
    service_stable,
    span,
)
from reporter.model import (
    CodeEvidence,
    CodeMarkerEvidence,
    ContainerEvidence,
    DeploymentEvidence,
    Evidence,
    EvidenceError,
    FixCommit,
    HotfixVerdict,
    ImageEvidence,
    LogExcerpt,
    LogMatch,
    LogsEvidence,
    ServiceEvidence,
    Status,
    TaskEvidence,
    TaskFailure,
    UndatedExcerpt,
    Verdict,
)
from reporter.spec import HotfixSection, Spec

T0 = datetime(2025, 11, 25, 21, 54, 59, 450000, tzinfo=UTC)
FIX = datetime(2025, 11, 26, 8, 0, tzinfo=UTC)
DIGEST = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64
REF = "123456789012.dkr.ecr.us-east-1.amazonaws.com/backend:latest"
DENIED = EvidenceError(
    operation="ecs:DescribeServices", code="AccessDeniedException", message="not allowed"
)

P, F, U, M = Status.PASS, Status.FAIL, Status.UNKNOWN, Status.MANUAL


def image(**kw: Any) -> ImageEvidence:
    base: dict[str, Any] = {
        "repository": "backend",
        "tag": "latest",
        "found": True,
        "digest": DIGEST,
        "pushed_at": T0,
    }
    base.update(kw)
    return ImageEvidence(**base)


def task(
    n: int = 1,
    started: datetime | None = T0 + timedelta(minutes=8),
    digest: str | None = DIGEST,
    ref: str | None = REF,
) -> TaskEvidence:
    return TaskEvidence(
        arn=f"arn:aws:ecs:us-east-1:123456789012:task/c/{n:032x}",
        last_status="RUNNING",
        started_at=started,
        containers=(ContainerEvidence(name="backend", image=ref, image_digest=digest),),
    )


def service(**kw: Any) -> ServiceEvidence:
    base: dict[str, Any] = {
        "cluster": "c",
        "name": "s",
        "found": True,
        "status": "ACTIVE",
        "desired_count": 2,
        "running_count": 2,
        "deployments": (
            DeploymentEvidence(id="ecs-svc/1", status="PRIMARY", rollout_state="COMPLETED"),
        ),
        "tasks": (task(1), task(2)),
    }
    base.update(kw)
    if "running_count" not in kw:  # the tasks inspected account for the service by default
        base["running_count"] = len(base["tasks"])
    return ServiceEvidence(**base)


LIVE = LogExcerpt(timestamp=FIX, stream="ecs/app/1", message="GET /health 200")


def logs(
    matches: dict[str, int],
    error: EvidenceError | None = None,
    live: LogExcerpt | None = LIVE,
    live_error: EvidenceError | None = None,
    undated: dict[str, int] | None = None,
) -> LogsEvidence:
    undated = undated or {}
    return LogsEvidence(
        source="cloudwatch",
        group="/ecs/app",
        since=FIX,
        until=FIX + timedelta(hours=3),
        error=error,
        live_event=live,
        live_error=live_error,
        matches=tuple(
            LogMatch(
                text=t,
                kinds=("expected",),
                count=n,
                first_seen=FIX if n else None,
                last_seen=FIX if n else None,
                unknown_time=undated.get(t, 0),
                unknown_time_excerpts=tuple(
                    UndatedExcerpt(location=f"app.log:{i + 1}", message=t)
                    for i in range(undated.get(t, 0))
                ),
            )
            for t, n in matches.items()
        ),
    )


HOTFIX = HotfixSection.model_validate(
    {
        "id": "h",
        "expect_logs": ["new"],
        "retired_logs": ["old"],
        "code": [{"path": "a.py", "contains": "new"}],
    }
)


@pytest.mark.parametrize(
    ("evidence", "status", "words"),
    [
        (image(), P, "exists in ECR"),
        (
            image(found=False, not_found_reason="tag 'latest' not found"),
            F,
            "tag 'latest' not found",
        ),
        (image(found=False, error=DENIED), U, "AccessDeniedException"),
    ],
)
def test_image_found(evidence: ImageEvidence, status: Status, words: str) -> None:
    finding = image_found(evidence)
    assert finding.status is status
    assert words in finding.summary


@pytest.mark.parametrize(
    ("evidence", "status", "words"),
    [
        (service(), P, "runs 2/2 tasks"),
        (service(error=DENIED), U, "AccessDeniedException"),
        (service(found=False, not_found_reason="MISSING"), F, "not found"),
        (service(status="INACTIVE"), F, "INACTIVE"),
        (service(status=None), U, "no status"),
        (service(running_count=1), F, "runs 1 of 2"),
        (service(desired_count=0, running_count=0), F, "wants 0 tasks"),
        (service(running_count=None), U, "no desired/running counts"),
        (
            service(deployments=(DeploymentEvidence(id="1"), DeploymentEvidence(id="2"))),
            F,
            "2 deployments",
        ),
        (service(deployments=()), F, "0 deployments"),
        (
            service(deployments=(DeploymentEvidence(id="1", rollout_state="IN_PROGRESS"),)),
            F,
            "IN_PROGRESS",
        ),
        (
            service(
                deployments=(
                    DeploymentEvidence(
                        id="1", rollout_state="FAILED", rollout_state_reason="circuit breaker"
                    ),
                )
            ),
            F,
            "circuit breaker",
        ),
        (service(deployments=(DeploymentEvidence(id="1"),)), P, "state not reported"),
    ],
)
def test_service_stable(evidence: ServiceEvidence, status: Status, words: str) -> None:
    finding = service_stable(evidence)
    assert finding.status is status, finding
    assert words in finding.summary


@pytest.mark.parametrize(
    ("svc", "img", "status", "words"),
    [
        (service(), image(), P, "All 2 running tasks run sha256:aaaa"),
        (service(tasks=(task(1), task(2, digest=OTHER))), image(), F, "runs sha256:bbbb"),
        (service(tasks=(task(1, digest=None),)), image(), U, "no imageDigest"),
        (
            service(tasks=(task(1, ref="docker.io/library/nginx:1"),)),
            image(),
            F,
            "runs no image from backend",
        ),
        (service(tasks=(task(1, ref=None),)), image(), U, "no container image references"),
        (service(tasks=()), image(), F, "no running tasks"),
        (service(tasks_error=DENIED), image(), U, "Could not list the tasks"),
        (service(error=DENIED), image(), U, "Could not describe"),
        (service(found=False), image(), F, "not found"),
        (service(), image(digest=None, found=False), U, "No registry digest"),
        (
            service(tasks=(task(1, digest=OTHER), task(2, digest=None))),
            image(),
            F,
            "runs sha256:bbbb",
        ),
        # Every running task counts (issue: 2 running, 1 inspected, and it passed).
        (
            service(tasks=(task(1),), running_count=2),
            image(),
            U,
            "the service counts 2 running tasks but 1 was inspected",
        ),
        (
            service(
                tasks=(task(1),),
                running_count=2,
                listed_tasks=("arn:t/1", "arn:t/2"),
                task_failures=(TaskFailure(arn="arn:t/2", reason="MISSING"),),
            ),
            image(),
            U,
            "DescribeTasks did not describe 1 listed task (MISSING for 2)",
        ),
        (
            service(undescribed=("arn:aws:ecs:us-east-1:1:task/c/abc",)),
            image(),
            U,
            "DescribeTasks returned nothing for 1 listed task (abc)",
        ),
        (service(running_count=None), image(), U, "no runningCount"),
        (service(tasks=(), running_count=3), image(), U, "counts 3 running tasks but 0 were"),
        # A task running another digest is proof enough, whatever else is missing.
        (
            service(tasks=(task(1, digest=OTHER),), running_count=2),
            image(),
            F,
            "runs sha256:bbbb",
        ),
    ],
)
def test_service_runs_image(
    svc: ServiceEvidence, img: ImageEvidence, status: Status, words: str
) -> None:
    finding = service_runs_image(svc, img)
    assert finding.status is status, finding
    assert words in finding.summary


@pytest.mark.parametrize(
    ("svc", "img", "status", "words"),
    [
        (service(), image(), P, "started at or after the push"),
        (service(tasks=(task(1, started=T0),)), image(), P, "started at or after"),
        (
            service(tasks=(task(1, started=T0 - timedelta(hours=2)),)),
            image(),
            F,
            "2 h 0 min before the push",
        ),
        (service(tasks=(task(1, started=None),)), image(), U, "no startedAt"),
        (service(), image(pushed_at=None), U, "No push time"),
        (service(tasks=()), image(), F, "no running tasks"),
        (service(tasks=(task(1),), running_count=2), image(), U, "1 was inspected"),
        (
            service(task_failures=(TaskFailure(arn="arn:t/9", reason="MISSING"),)),
            image(),
            U,
            "MISSING for 9",
        ),
    ],
)
def test_service_restarted_after_push(
    svc: ServiceEvidence, img: ImageEvidence, status: Status, words: str
) -> None:
    finding = service_restarted_after_push(svc, img)
    assert finding.status is status, finding
    assert words in finding.summary


def marker(**kw: Any) -> CodeEvidence:
    base: dict[str, Any] = {
        "hotfix": "h",
        "path": "a.py",
        "text": "new",
        "found": True,
        "file_exists": True,
        "lines": (107,),
    }
    base.update(kw)
    return CodeEvidence(root="/src", markers=(CodeMarkerEvidence(**base),))


@pytest.mark.parametrize(
    ("code", "status", "words"),
    [
        (marker(), P, "at line 107"),
        (marker(found=False), F, "text not present"),
        (marker(found=False, file_exists=False), F, "does not exist"),
        (
            marker(
                found=None,
                error=EvidenceError(operation="read file", code="IsADirectory", message="a.py"),
            ),
            U,
            "IsADirectory",
        ),
        (
            CodeEvidence(
                root="/src", error=EvidenceError(operation="read", code="NotFound", message="x")
            ),
            U,
            "Could not read the checkout",
        ),
        (CodeEvidence(root="/src"), U, "not looked up"),
        (None, U, "No [code] section"),
    ],
)
def test_code_has_marker(code: CodeEvidence | None, status: Status, words: str) -> None:
    finding = code_has_marker(HOTFIX, code)
    assert finding.status is status, finding
    assert words in finding.summary


def spec(**kw: Any) -> Spec:
    base: dict[str, Any] = {
        "claimed_deployed_at": "2025-11-26T09:00:00Z",
        "image": {"repository": "backend"},
        "logs": {"group": "/ecs/app"},
        "hotfix": [
            {
                "id": "h",
                "expect_logs": ["new"],
                "retired_logs": ["old"],
                "code": [{"path": "a.py", "contains": "new"}],
            }
        ],
    }
    base.update(kw)
    return Spec.model_validate(base)


def test_fix_time_sources() -> None:
    commit = FixCommit(hotfix="h", commit="abcdef1234567", committed_at=FIX)
    code = CodeEvidence(root="/src", fix_commits=(commit,))
    s = spec()
    found = fix_time(s.hotfixes[0], s, code)
    assert (found.at, found.source) == (FIX, "git commit abcdef1234 that added the code markers")
    assert (found.fact.source, found.fact.commit, found.fact.at) == ("git", "abcdef1234567", FIX)
    merged = CodeEvidence(
        root="/src",
        fix_commits=(commit.model_copy(update={"via_merge": True, "introduced_by": "1111111111"}),),
    )
    found = fix_time(s.hotfixes[0], s, merged)
    assert found.source == "merge abcdef1234 that brought the code markers into the branch"
    assert found.fact.via_merge
    assert found.fact.introduced_by == "1111111111"
    s = spec(fixed_at="2025-11-26T07:00:00Z")
    assert fix_time(s.hotfixes[0], s, code).source == "fixed_at in the spec"
    h = s.hotfixes[0].model_copy(update={"fixed_at": FIX})
    assert fix_time(h, s, code).source == "fixed_at of hotfix h in the spec"
    s = spec()
    broken = CodeEvidence(
        root="/src",
        fix_commits=(
            FixCommit(
                hotfix="h",
                error=EvidenceError(operation="git log", code="NotCommitted", message="x"),
            ),
        ),
    )
    assert fix_time(s.hotfixes[0], s, broken).at is None
    assert "NotCommitted" in fix_time(s.hotfixes[0], s, broken).source
    assert fix_time(s.hotfixes[0], s, None).at is None
    assert fix_time(s.hotfixes[0].model_copy(update={"code": ()}), s, code).at is None


@pytest.mark.parametrize(
    ("fix", "img", "status", "words"),
    [
        (FixTime(FIX, "spec"), image(), F, "10 h 5 min before the fix"),
        (FixTime(T0, "spec"), image(), P, "at or after the fix"),
        (FixTime(None, "no fixed_at"), image(), U, "Fix time unknown"),
        (FixTime(FIX, "spec"), image(error=DENIED, found=False), U, "AccessDenied"),
        (FixTime(FIX, "spec"), image(found=False), U, "is not in ECR"),
        (FixTime(FIX, "spec"), image(pushed_at=None), U, "no imagePushedAt"),
    ],
)
def test_image_after_fix(fix: FixTime, img: ImageEvidence, status: Status, words: str) -> None:
    finding = image_after_fix(fix, img)
    assert finding.status is status, finding
    assert words in finding.summary


@pytest.mark.parametrize(
    ("evidence", "status", "words"),
    [
        (logs({"new": 3}), P, "'new' seen 3 times"),
        (logs({"new": 0}), F, "'new' never logged between"),
        (logs({}), U, "'new' not searched for"),
        (logs({"new": 0}, error=DENIED), U, "not read completely"),
        (logs({"new": 2}, error=DENIED), P, "seen 2 times"),
        # Seen only at an unknown time: shown, but no proof either way.
        (logs({"new": 0}, undated={"new": 1}), U, "only in lines with no known time (app.log:1)"),
        (logs({"new": 1}, undated={"new": 1}), P, "'new' seen 1 time"),
    ],
)
def test_logs_expected(evidence: LogsEvidence, status: Status, words: str) -> None:
    finding = logs_expected(HOTFIX, evidence)
    assert finding.status is status, finding
    assert words in finding.summary


@pytest.mark.parametrize(
    ("evidence", "status", "words"),
    [
        (logs({"old": 0}), P, "None of the 1 retired texts"),
        (logs({"old": 4}), F, "'old' still logged 4 times"),
        (logs({"old": 0}, error=DENIED), U, "not read completely"),
        (logs({"old": 1}, error=DENIED), F, "still logged"),
        # A silent source proves nothing (nothing logged at all in the window).
        (logs({"old": 0}, live=None), U, "a silent source proves nothing"),
        (logs({"old": 0}, live=None, live_error=DENIED), U, "could not tell whether"),
        # Any watched text seen in the window shows the source was live.
        (logs({"old": 0, "ctx": 2}, live=None), P, "None of the 1 retired texts"),
        # A retired text in a line with no known time is never silently passed.
        (logs({"old": 0}, undated={"old": 2}), U, "only in lines with no known time (app.log:1"),
        (logs({"old": 3}, undated={"old": 2}), F, "still logged 3 times"),
    ],
)
def test_logs_retired(evidence: LogsEvidence, status: Status, words: str) -> None:
    finding = logs_retired(HOTFIX, evidence)
    assert finding.status is status, finding
    assert words in finding.summary


def evidence(**kw: Any) -> Evidence:
    base: dict[str, Any] = {
        "collected_at": FIX + timedelta(hours=3),
        "image": image(),
        "service": service(),
        "logs": logs({"new": 1, "old": 0}),
        "code": marker(),
    }
    base.update(kw)
    return Evidence(**base)


def test_run_checks_ids_and_order() -> None:
    s = spec(
        service={"cluster": "c", "name": "s"},
        code={"root": "."},
        fixed_at="2025-11-25T20:00:00Z",
        checklist=[{"item": "a", "done": True}, {"item": "b"}],
    )
    checks = run_checks(s, evidence())
    assert [c.id for c in checks] == [
        "image.found",
        "service.stable",
        "service.runs_image",
        "service.restarted_after_push",
        "h.code_has_marker",
        "h.image_after_fix",
        "h.logs_expected",
        "h.logs_retired",
        "checklist.1",
        "checklist.2",
    ]
    assert [c.status for c in checks] == [P, P, P, P, P, P, P, P, P, M]
    results, verdict = judge(s, checks)
    assert verdict is Verdict.VERIFIED
    assert results[0].verdict is HotfixVerdict.DEPLOYED
    assert "checklist.2" not in results[0].checks  # checklist items never change a verdict
    assert "service.stable" in results[0].checks


def test_optional_checks_only_when_asked() -> None:
    s = spec(hotfix=[{"id": "h"}])
    checks = run_checks(s, evidence(service=None, code=None))
    assert [c.id for c in checks] == ["image.found", "h.image_after_fix"]
    _, verdict = judge(s, checks)
    assert verdict is Verdict.INCONCLUSIVE  # no fix time known: never optimistic


def test_a_failing_service_check_fails_every_hotfix() -> None:
    s = spec(service={"cluster": "c", "name": "s"}, fixed_at="2025-11-25T20:00:00Z")
    checks = run_checks(s, evidence(service=service(running_count=1)))
    results, verdict = judge(s, checks)
    assert results[0].verdict is HotfixVerdict.NOT_DEPLOYED
    assert verdict is Verdict.NOT_DEPLOYED


@pytest.mark.parametrize(
    ("statuses", "verdict"),
    [
        ([P, P], HotfixVerdict.DEPLOYED),
        ([P, F], HotfixVerdict.NOT_DEPLOYED),
        ([U, F], HotfixVerdict.NOT_DEPLOYED),
        ([P, U], HotfixVerdict.INCONCLUSIVE),
        ([], HotfixVerdict.INCONCLUSIVE),
    ],
)
def test_hotfix_verdict(statuses: list[Status], verdict: HotfixVerdict) -> None:
    assert hotfix_verdict(statuses) is verdict


D, N, INC = HotfixVerdict.DEPLOYED, HotfixVerdict.NOT_DEPLOYED, HotfixVerdict.INCONCLUSIVE


@pytest.mark.parametrize(
    ("verdicts", "verdict", "code"),
    [
        ([D, D], Verdict.VERIFIED, 0),
        ([D, N], Verdict.PARTIAL, 1),
        ([D, N, INC], Verdict.PARTIAL, 1),
        ([N, N], Verdict.NOT_DEPLOYED, 1),
        ([N, INC], Verdict.NOT_DEPLOYED, 1),
        ([D, INC], Verdict.INCONCLUSIVE, 3),
        ([INC, INC], Verdict.INCONCLUSIVE, 3),
    ],
)
def test_report_verdict_and_exit_code(
    verdicts: list[HotfixVerdict], verdict: Verdict, code: int
) -> None:
    assert report_verdict(verdicts) is verdict
    assert verdict.exit_code == code


@pytest.mark.parametrize(
    ("reference", "repository"),
    [
        (REF, "backend"),
        ("backend", "backend"),
        ("backend:1.2", "backend"),
        ("team/backend@sha256:" + "a" * 64, "team/backend"),
        ("localhost:5000/team/backend:v1", "team/backend"),
        ("123.dkr.ecr.us-east-1.amazonaws.com/team/backend", "team/backend"),
    ],
)
def test_image_repository(reference: str, repository: str) -> None:
    assert image_repository(reference) == repository


def test_span_words() -> None:
    assert span(timedelta(seconds=20)) == "under a minute"
    assert span(timedelta(minutes=3)) == "3 min"
    assert span(timedelta(days=2, hours=4)) == "2 d 4 h"


def test_logs_expected_with_several_texts_says_which_are_missing() -> None:
    fix = HotfixSection(id="h", expect_logs=("a", "b", "c", "d", "e"))
    some = logs_expected(fix, logs({"a": 1, "b": 0, "c": 0, "d": 0, "e": 0}))
    assert some.status is F
    assert some.summary.startswith("4 of 5 texts ('b', 'c', 'd', and 1 more) never logged between")
    none = logs_expected(fix, logs(dict.fromkeys("abcde", 0)))
    assert none.summary.startswith("None of the 5 texts ('a', 'b', 'c', and 2 more) logged between")
    unsure = logs_expected(fix, logs({"a": 1}, error=DENIED))
    assert unsure.status is U
    assert unsure.summary.startswith("4 of 5 texts")
    assert logs_expected(fix, logs(dict.fromkeys("abcde", 2))).status is P
