"""Hand-built bundles for the renderer tests.

- ``not_deployed``: the reference incident (image pushed 2025-11-25T21:54:59.450Z, three
  hotfixes claimed deployed the next morning, the old log line still logged, the new ones
  absent, the code present at line 107).
- ``verified``: the same fixes actually shipped (local log files, no git).
- ``inconclusive``: nothing could be read (access denied, timeouts), checks unknown.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from reporter.checks import judge, run_checks
from reporter.model import (
    Bundle,
    Check,
    CodeEvidence,
    CodeMarkerEvidence,
    ContainerEvidence,
    DeploymentEvidence,
    Evidence,
    EvidenceError,
    FixCommit,
    HotfixResult,
    HotfixVerdict,
    ImageEvidence,
    LogExcerpt,
    LogMatch,
    LogsEvidence,
    MarkerKind,
    ServiceEvidence,
    Status,
    TaskEvidence,
    Verdict,
)
from reporter.spec import Spec, parse_spec

DIGEST = "sha256:" + "4f" * 32
OLD_DIGEST = "sha256:" + "0a" * 32
REPO = "content-marketing-swarm-backend"
CLUSTER = "content-marketing-swarm-dev-cluster"
SERVICE = "content-marketing-swarm-dev-backend-service"
GROUP = "/ecs/content-marketing-swarm-dev"
RETIRED = ", platform='linkedin'"
RETIRED_LINE = "Parsing final buffered content: length=18786, platform='linkedin'"


def at(text: str) -> datetime:
    """A UTC datetime from ``2025-11-26T10:49:43`` (fraction allowed)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def incident_spec(**extra: object) -> Spec:
    """The reference incident's spec (as TOML would decode it)."""
    data: dict[str, object] = {
        "title": "Hotfix Verification Report",
        "incident": "INC-2025-1126",
        "claimed_deployed_at": "2025-11-26T09:00:00Z",
        "aws": {"region": "us-east-1"},
        "image": {"repository": REPO, "tag": "latest"},
        "service": {"cluster": CLUSTER, "name": SERVICE},
        "logs": {
            "group": GROUP,
            "since": "2025-11-26T09:00:00Z",
            "until": "2025-11-26T10:50:00Z",
            "context": ["WebSocket client connected", "Parsing remaining buffered content"],
        },
        "code": {"root": "."},
        "hotfix": [
            {
                "id": "multi-platform-parsing",
                "title": "Multi-Platform Parsing",
                "expect_logs": ["Requested platforms"],
                "code": [
                    {"path": "backend/app/api/websocket.py", "contains": "Requested platforms"}
                ],
            },
            {
                "id": "force-task-restart",
                "title": "Force Task Restart",
                "expect_logs": ["requested_platforms="],
                "retired_logs": [RETIRED],
            },
            {
                "id": "parser-regex-fix",
                "title": "Parser Regex Fix",
                "expect_logs": ["Found 3 platform sections in markdown"],
                "code": [{"path": "backend/app/agents/parser.py", "contains": "platform sections"}],
            },
        ],
        "checklist": [{"item": "User testing confirms all 3 platforms generate content"}],
        "notes": {
            "root_cause": "1. **Documentation created but deployment skipped.**\n"
            "2. **No verification after deployment.**",
            "lessons": "- Always check the logs after a deployment.",
        },
    }
    data.update(extra)
    return parse_spec(data, "incident.toml")


def _image(pushed: str, digest: str = DIGEST) -> ImageEvidence:
    return ImageEvidence(
        repository=REPO,
        tag="latest",
        registry_id="298717586028",
        found=True,
        digest=digest,
        tags=("latest",),
        pushed_at=at(pushed),
        size_bytes=327_550_000,
        media_type="application/vnd.docker.distribution.manifest.v2+json",
    )


def _service(started: str, digest: str = DIGEST, repository: str = REPO) -> ServiceEvidence:
    task = TaskEvidence(
        arn="arn:aws:ecs:us-east-1:298717586028:task/content-marketing-swarm-dev-cluster/"
        "9f1c2d3e4b5a69788796a5b4c3d2e1f0",
        task_definition="arn:aws:ecs:us-east-1:298717586028:task-definition/backend:41",
        last_status="RUNNING",
        desired_status="RUNNING",
        started_at=at(started),
        containers=(
            ContainerEvidence(
                name="backend",
                image=f"298717586028.dkr.ecr.us-east-1.amazonaws.com/{repository}:latest",
                image_digest=digest,
                digest_source="imageDigest",
                last_status="RUNNING",
            ),
        ),
    )
    return ServiceEvidence(
        cluster=CLUSTER,
        name=SERVICE,
        found=True,
        status="ACTIVE",
        desired_count=1,
        running_count=1,
        pending_count=0,
        task_definition="arn:aws:ecs:us-east-1:298717586028:task-definition/backend:41",
        deployments=(
            DeploymentEvidence(
                id="ecs-svc/1234567890123456789",
                status="PRIMARY",
                task_definition="arn:aws:ecs:us-east-1:298717586028:task-definition/backend:41",
                desired_count=1,
                running_count=1,
                pending_count=0,
                rollout_state="COMPLETED",
                created_at=at(started),
            ),
        ),
        tasks=(task,),
    )


def _excerpt(when: str, message: str, stream: str = "ecs/backend/9f1c2d3e") -> LogExcerpt:
    return LogExcerpt(timestamp=at(when), stream=stream, message=message)


def _match(
    text: str, kind: MarkerKind, *excerpts: LogExcerpt, count: int | None = None
) -> LogMatch:
    n = len(excerpts) if count is None else count
    return LogMatch(
        text=text,
        kinds=(kind,),
        count=n,
        first_seen=excerpts[0].timestamp if excerpts else None,
        last_seen=excerpts[-1].timestamp if excerpts else None,
        excerpts=excerpts,
    )


def _check(
    check_id: str, status: Status, summary: str, source: str, hotfix: str | None = None
) -> Check:
    kind = check_id.split(".", 1)[1] if hotfix else check_id
    if check_id.startswith("checklist."):
        kind = "checklist"
    return Check(
        id=check_id, status=status, summary=summary, source=source, hotfix=hotfix, kind=kind
    )


def judged(bundle: Bundle) -> Bundle:
    """``bundle`` with its checks, hotfix verdicts and verdict computed by the real checks
    from its spec and evidence, as every bundle reporter writes has them (the report shows
    the facts the checks computed, and ``render`` refuses a bundle that does not follow)."""
    checks = tuple(run_checks(bundle.spec, bundle.evidence))
    hotfixes, verdict = judge(bundle.spec, checks)
    return bundle.model_copy(
        update={
            "checks": checks,
            "hotfixes": tuple(hotfixes),
            "verdict": verdict,
            "generated_at": bundle.evidence.collected_at,
        }
    )


def _incident_checks() -> tuple[Check, ...]:
    ecr = f"ECR DescribeImages {REPO}:latest"
    ecs = f"ECS DescribeServices/DescribeTasks {CLUSTER}/{SERVICE}"
    logs = f"CloudWatch Logs {GROUP}, 2025-11-26 09:00:00 UTC to 2025-11-26 10:50:00 UTC"
    fail, ok = Status.FAIL, Status.PASS
    return (
        _check("image.found", ok, f"{REPO}:latest exists (pushed 2025-11-25 21:54:59 UTC)", ecr),
        _check("service.stable", ok, "1 of 1 tasks running, one deployment, COMPLETED", ecs),
        _check("service.runs_image", ok, "the 1 running task runs the registry digest", ecs),
        _check(
            "service.restarted_after_push",
            ok,
            "the 1 running task started at 2025-11-25 22:01:10 UTC, after the push",
            ecs,
        ),
        _check(
            "multi-platform-parsing.code_has_marker",
            ok,
            "'Requested platforms' is in backend/app/api/websocket.py (line 107)",
            "checkout .",
            "multi-platform-parsing",
        ),
        _check(
            "multi-platform-parsing.image_after_fix",
            fail,
            "the image was pushed at 2025-11-25 21:54:59 UTC, "
            "before the fix (2025-11-26 08:12:40 UTC)",
            "git log -S 'Requested platforms'",
            "multi-platform-parsing",
        ),
        _check(
            "multi-platform-parsing.logs_expected",
            fail,
            "'Requested platforms' never appeared in the window",
            logs,
            "multi-platform-parsing",
        ),
        _check(
            "force-task-restart.image_after_fix",
            Status.UNKNOWN,
            "no fix time: no fixed_at and no code marker to find in git",
            "spec",
            "force-task-restart",
        ),
        _check(
            "force-task-restart.logs_expected",
            fail,
            "'requested_platforms=' never appeared in the window",
            logs,
            "force-task-restart",
        ),
        _check(
            "force-task-restart.logs_retired",
            fail,
            "\", platform='linkedin'\" (old code) was logged 1 time, "
            "last at 2025-11-26 10:49:43 UTC",
            logs,
            "force-task-restart",
        ),
        _check(
            "parser-regex-fix.code_has_marker",
            ok,
            "'platform sections' is in backend/app/agents/parser.py (line 58)",
            "checkout .",
            "parser-regex-fix",
        ),
        _check(
            "parser-regex-fix.image_after_fix",
            fail,
            "the image was pushed at 2025-11-25 21:54:59 UTC, "
            "before the fix (2025-11-26 08:40:02 UTC)",
            "git log -S 'platform sections'",
            "parser-regex-fix",
        ),
        _check(
            "parser-regex-fix.logs_expected",
            fail,
            "'Found 3 platform sections in markdown' never appeared in the window",
            logs,
            "parser-regex-fix",
        ),
        _check(
            "checklist.1",
            Status.MANUAL,
            "User testing confirms all 3 platforms generate content",
            "spec checklist",
        ),
    )


def make_not_deployed(retired_message: str = RETIRED_LINE, spec: Spec | None = None) -> Bundle:
    """The reference incident; ``retired_message`` is the old-code log line seen at 10:49:43."""
    spec = spec or incident_spec()
    logs = LogsEvidence(
        source="cloudwatch",
        group=GROUP,
        since=at("2025-11-26T09:00:00"),
        until=at("2025-11-26T10:50:00"),
        filter_patterns=(
            '?"Requested platforms" ?"requested_platforms="'
            ' ?"Found 3 platform sections in markdown"'
            ' ?", platform=\'linkedin\'" ?"WebSocket client connected"'
            ' ?"Parsing remaining buffered content"',
        ),
        events_scanned=4,
        pages=1,
        matches=(
            _match("Requested platforms", "expected"),
            _match("requested_platforms=", "expected"),
            _match("Found 3 platform sections in markdown", "expected"),
            _match(RETIRED, "retired", _excerpt("2025-11-26T10:49:43", retired_message)),
            _match(
                "WebSocket client connected",
                "context",
                _excerpt(
                    "2025-11-26T10:48:36",
                    "WebSocket client connected: cfeb53e0-c5c9-4b99-a5c0-81196b6df540",
                ),
            ),
            _match(
                "Parsing remaining buffered content",
                "context",
                _excerpt("2025-11-26T10:49:43", "Parsing remaining buffered content (18786 chars)"),
            ),
        ),
    )
    code = CodeEvidence(
        root="/home/dev/content-marketing-swarm",
        is_git=True,
        head="8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d",
        markers=(
            CodeMarkerEvidence(
                hotfix="multi-platform-parsing",
                path="backend/app/api/websocket.py",
                text="Requested platforms",
                found=True,
                file_exists=True,
                lines=(107,),
                line_text='logger.info(f"Requested platforms: {platforms}")',
            ),
            CodeMarkerEvidence(
                hotfix="parser-regex-fix",
                path="backend/app/agents/parser.py",
                text="platform sections",
                found=True,
                file_exists=True,
                lines=(58, 91),
                line_text='logger.info(f"Found {len(sections)} platform sections in markdown")',
            ),
        ),
        fix_commits=(
            FixCommit(
                hotfix="multi-platform-parsing",
                commit="abc1234def5678901234567890abcdef12345678",
                committed_at=at("2025-11-26T08:12:40"),
                subject="Log requested platforms",
            ),
            FixCommit(
                hotfix="parser-regex-fix",
                commit="fed9876cba5432109876543210fedcba98765432",
                committed_at=at("2025-11-26T08:40:02"),
                subject="Fix platform section regex",
            ),
        ),
    )
    evidence = Evidence(
        collected_at=at("2025-11-26T10:50:00"),
        image=_image("2025-11-25T21:54:59.450"),
        service=_service("2025-11-25T22:01:10"),
        logs=logs,
        code=code,
    )
    checks = _incident_checks()
    return judged(
        Bundle(
            verdict=Verdict.NOT_DEPLOYED,
            generated_at=at("2025-11-26T10:50:00"),
            hotfixes=tuple(
                HotfixResult(
                    id=fix.id,
                    title=fix.display_title,
                    verdict=HotfixVerdict.NOT_DEPLOYED,
                    checks=tuple(
                        c.id for c in checks if c.hotfix in (None, fix.id) and c.kind != "checklist"
                    ),
                )
                for fix in spec.hotfix
            ),
            checks=checks,
            evidence=evidence,
            spec=spec,
            tool_version="0.1.0",
            spec_path="hotfix.toml",
        )
    )


def make_verified() -> Bundle:
    """The fixes really shipped: image after the fixes, tasks restarted, new logs seen."""
    spec = parse_spec(
        {
            "title": "Checkout Fix Verification",
            "claimed_deployed_at": "2025-11-26T09:00:00Z",
            "fixed_at": "2025-11-26T08:00:00Z",
            "image": {"repository": "shop-api", "tag": "v2.4.1"},
            "service": {"cluster": "shop", "name": "shop-api"},
            "logs": {"files": ["logs/*.log"], "until": "2025-11-26T12:00:00Z"},
            "hotfix": [
                {
                    "id": "cart-total",
                    "title": "Cart total rounding",
                    "expect_logs": ["cart total rounded half-even"],
                    "retired_logs": ["cart total rounded half-up"],
                }
            ],
            "checklist": [{"item": "Finance confirmed the totals", "done": True}],
        },
        "verified.toml",
    )
    logs = LogsEvidence(
        source="files",
        files=("logs/app-1.log", "logs/app-2.log"),
        since=at("2025-11-26T09:00:00"),
        until=at("2025-11-26T12:00:00"),
        events_scanned=18_230,
        matches=(
            _match(
                "cart total rounded half-even",
                "expected",
                _excerpt(
                    "2025-11-26T09:14:02",
                    "cart total rounded half-even: 10.125 -> 10.12",
                    "logs/app-1.log:88",
                ),
                _excerpt(
                    "2025-11-26T11:58:40",
                    "cart total rounded half-even: 3.335 -> 3.34",
                    "logs/app-2.log:4410",
                ),
                count=412,
            ),
            _match("cart total rounded half-up", "retired"),
        ),
    )
    src = "ECS shop/shop-api"
    checks = (
        _check("image.found", Status.PASS, "shop-api:v2.4.1 exists", "ECR shop-api:v2.4.1"),
        _check("service.stable", Status.PASS, "2 of 2 tasks running, COMPLETED", src),
        _check("service.runs_image", Status.PASS, "both tasks run the registry digest", src),
        _check(
            "service.restarted_after_push", Status.PASS, "both tasks started after the push", src
        ),
        _check(
            "cart-total.image_after_fix",
            Status.PASS,
            "pushed 30 min after the fix",
            "spec fixed_at",
            "cart-total",
        ),
        _check(
            "cart-total.logs_expected", Status.PASS, "seen 412 times", "log files", "cart-total"
        ),
        _check(
            "cart-total.logs_retired",
            Status.PASS,
            "not seen in the window",
            "log files",
            "cart-total",
        ),
        _check("checklist.1", Status.PASS, "Finance confirmed the totals", "spec checklist"),
    )
    service = _service("2025-11-26T08:41:00", repository="shop-api").model_copy(
        update={"cluster": "shop", "name": "shop-api"}
    )
    image = _image("2025-11-26T08:30:00").model_copy(
        update={"repository": "shop-api", "tag": "v2.4.1", "tags": ("v2.4.1", "latest")}
    )
    return judged(
        Bundle(
            verdict=Verdict.VERIFIED,
            generated_at=at("2025-11-26T12:00:00"),
            hotfixes=(
                HotfixResult(
                    id="cart-total",
                    title="Cart total rounding",
                    verdict=HotfixVerdict.DEPLOYED,
                    checks=tuple(c.id for c in checks if c.kind != "checklist"),
                ),
            ),
            checks=checks,
            evidence=Evidence(
                collected_at=at("2025-11-26T12:00:00"),
                image=image,
                service=service,
                logs=logs,
                code=None,
            ),
            spec=spec,
            tool_version="0.1.0",
        )
    )


def make_inconclusive() -> Bundle:
    """Nothing could be read: the registry denied access, the logs timed out."""
    spec = incident_spec(incident=None, notes={}, checklist=[])
    denied = EvidenceError(
        operation="ecr:DescribeImages",
        code="AccessDeniedException",
        message="User: arn:aws:iam::298717586028:user/ci is not authorized to perform: "
        "ecr:DescribeImages",
    )
    timeout = EvidenceError(
        operation="logs:FilterLogEvents", code="ReadTimeout", message="read timed out after 5 s"
    )
    tasks_denied = EvidenceError(
        operation="ecs:DescribeTasks", code="AccessDeniedException", message="not authorized"
    )
    git_missing = EvidenceError(operation="git log", code="NotAGitRepository", message="no .git")
    unknown = Status.UNKNOWN
    checks = (
        _check("image.found", unknown, denied.line(), "ECR DescribeImages"),
        _check("service.stable", Status.PASS, "1 of 1 tasks running", "ECS"),
        _check("service.runs_image", unknown, tasks_denied.line(), "ECS DescribeTasks"),
        _check("service.restarted_after_push", unknown, tasks_denied.line(), "ECS DescribeTasks"),
        *(
            _check(f"{fix.id}.logs_expected", unknown, timeout.line(), "CloudWatch Logs", fix.id)
            for fix in spec.hotfix
        ),
        _check(
            "force-task-restart.logs_retired",
            unknown,
            timeout.line(),
            "CloudWatch Logs",
            "force-task-restart",
        ),
    )
    service = _service("2025-11-25T22:01:10").model_copy(
        update={"tasks": (), "tasks_error": tasks_denied}
    )
    return judged(
        Bundle(
            verdict=Verdict.INCONCLUSIVE,
            generated_at=at("2025-11-26T10:50:00"),
            hotfixes=tuple(
                HotfixResult(id=fix.id, title=fix.display_title, verdict=HotfixVerdict.INCONCLUSIVE)
                for fix in spec.hotfix
            ),
            checks=checks,
            evidence=Evidence(
                collected_at=at("2025-11-26T10:50:00"),
                image=ImageEvidence(repository=REPO, tag="latest", error=denied),
                service=service,
                logs=LogsEvidence(
                    source="cloudwatch",
                    group=GROUP,
                    since=at("2025-11-26T09:00:00"),
                    until=at("2025-11-26T10:50:00"),
                    error=timeout,
                ),
                code=CodeEvidence(root=".", error=git_missing),
            ),
            spec=spec,
        )
    )


@pytest.fixture
def not_deployed() -> Bundle:
    """The reference incident (NOT_DEPLOYED)."""
    return make_not_deployed()


@pytest.fixture
def verified() -> Bundle:
    """A VERIFIED bundle read from local log files."""
    return make_verified()


@pytest.fixture
def inconclusive() -> Bundle:
    """An INCONCLUSIVE bundle: evidence errors and unknown checks."""
    return make_inconclusive()


@pytest.fixture
def with_retired_message() -> Callable[[str], Bundle]:
    """The reference incident with another old-code log line seen at 10:49:43."""
    return make_not_deployed


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - one list per server, set by the fixture

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def recording_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 recording the path of every request it gets: a report
    that fetched anything while rendering would show up in the list."""
    hits: list[str] = []
    handler = type("Recorder", (_Recorder,), {"hits": hits})
    httpd = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", hits
    httpd.shutdown()
    httpd.server_close()
    thread.join()
