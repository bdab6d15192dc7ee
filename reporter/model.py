"""The facts `reporter` works with: collected evidence, checks, verdicts and the bundle.

Every type here is a frozen pydantic model, so that it serialises to the JSON evidence
bundle and loads back from it unchanged. Collectors build evidence, checks read it,
templates present it: nothing here talks to AWS or renders anything.

Evidence that could not be collected is never left out silently: each part carries an
``error`` (an :class:`EvidenceError`) that says which call failed and why, and the checks
turn it into ``unknown``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reporter.spec import Spec

BUNDLE_SCHEMA = "reporter.bundle/1"


class Frozen(BaseModel):
    """Base for all model types: immutable, and unknown keys are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class EvidenceError(Frozen):
    """Why a piece of evidence could not be collected.

    ``operation`` names the call (``ecr:DescribeImages``, ``git log``, ``read file``);
    ``code`` is the machine-readable cause (``AccessDeniedException``, ``ReadTimeout``,
    ``MissingField``); ``message`` is one line a person reads.
    """

    operation: str
    code: str
    message: str

    def line(self) -> str:
        """The error as one line: ``ecr:DescribeImages failed: AccessDenied (...)``."""
        return f"{self.operation} failed: {self.code} ({self.message})"


# --------------------------------------------------------------------------- ECR


class ImageEvidence(Frozen):
    """What the registry says about ``repository:tag`` (ECR DescribeImages)."""

    repository: str
    tag: str
    registry_id: str | None = None
    found: bool = False
    """True when the registry returned an image for the tag."""
    not_found_reason: str | None = None
    """Set when the registry answered that the repository or tag does not exist."""
    digest: str | None = None
    tags: tuple[str, ...] = ()
    pushed_at: datetime | None = None
    size_bytes: int | None = None
    media_type: str | None = None
    error: EvidenceError | None = None
    """Set when the registry could not be asked (denied, throttled, timed out...)."""


# --------------------------------------------------------------------------- ECS


class ContainerEvidence(Frozen):
    """One container of a running task."""

    name: str
    image: str | None = None
    """The image reference the container was started from (``repo:tag`` or ``repo@sha256:...``)."""
    image_digest: str | None = None
    """The digest the container runs: ``containers[].imageDigest``, else the pinned reference."""
    digest_source: Literal["imageDigest", "reference"] | None = None
    last_status: str | None = None


class TaskEvidence(Frozen):
    """One task of the service (ECS DescribeTasks)."""

    arn: str
    task_definition: str | None = None
    last_status: str | None = None
    desired_status: str | None = None
    started_at: datetime | None = None
    created_at: datetime | None = None
    containers: tuple[ContainerEvidence, ...] = ()


class DeploymentEvidence(Frozen):
    """One deployment of the service."""

    id: str
    status: str | None = None
    task_definition: str | None = None
    desired_count: int | None = None
    running_count: int | None = None
    pending_count: int | None = None
    rollout_state: str | None = None
    rollout_state_reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class TaskFailure(Frozen):
    """One ``failures`` entry of a DescribeTasks response: a task that was not described."""

    arn: str | None = None
    reason: str
    detail: str | None = None


class ServiceEvidence(Frozen):
    """The ECS service and its running tasks (DescribeServices, ListTasks, DescribeTasks)."""

    cluster: str
    name: str
    found: bool = False
    not_found_reason: str | None = None
    status: str | None = None
    desired_count: int | None = None
    running_count: int | None = None
    pending_count: int | None = None
    task_definition: str | None = None
    deployments: tuple[DeploymentEvidence, ...] = ()
    tasks: tuple[TaskEvidence, ...] = ()
    """The service's RUNNING tasks."""
    error: EvidenceError | None = None
    """DescribeServices could not be called."""
    tasks_error: EvidenceError | None = None
    """ListTasks or DescribeTasks could not be called: ``tasks`` is incomplete."""
    listed_tasks: tuple[str, ...] = ()
    """Every task ARN ListTasks returned (``desiredStatus=RUNNING``, every page), sorted."""
    task_failures: tuple[TaskFailure, ...] = ()
    """DescribeTasks ``failures`` entries (``MISSING`` included): tasks listed, not described."""
    undescribed: tuple[str, ...] = ()
    """Task ARNs ListTasks returned that DescribeTasks neither described nor named a failure for."""


# --------------------------------------------------------------------------- logs


class LogExcerpt(Frozen):
    """One log event, as shown in a report. ``message`` is already redacted and cut."""

    timestamp: datetime
    stream: str
    """The CloudWatch log stream, or ``file:line`` for local files."""
    message: str


MarkerKind = Literal["expected", "retired", "context"]


class UndatedExcerpt(Frozen):
    """A line holding a watched text whose time is not known (local files only)."""

    location: str
    """``file:line``."""
    message: str
    """Already redacted and cut."""


class LogMatch(Frozen):
    """Everything seen for one literal text in the window."""

    text: str
    kinds: tuple[MarkerKind, ...]
    """Why the text was searched: expected by a hotfix, retired by one, or context."""
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    excerpts: tuple[LogExcerpt, ...] = ()
    """The latest few matching events, oldest first."""
    outside_window: int = 0
    """Matching events dated outside ``[since, until]``: read, not counted."""
    unknown_time: int = 0
    """Occurrences in lines whose time is not known (local files): not proof, never ignored."""
    unknown_time_excerpts: tuple[UndatedExcerpt, ...] = ()
    """The first few of those, with their file and line."""


class FileStats(Frozen):
    """What reading one local log file found."""

    path: str
    """As shown in the report: relative to the spec's folder, control characters escaped."""
    compression: Literal["none", "gzip", "bzip2", "xz", "zstd"] = "none"
    format: str | None = None
    """The line format recognised (``iso8601``, ``python-logging``, ``docker-json``...)."""
    bytes_read: int = 0
    """Bytes of the file as stored (compressed bytes for a compressed file)."""
    lines: int = 0
    events: int = 0
    """Events with a known time, whatever the window."""
    events_in_window: int = 0
    undated_lines: int = 0
    """Lines with no known time (neither a timestamp nor a continuation of a dated event)."""
    first_timestamp: datetime | None = None
    last_timestamp: datetime | None = None
    error: EvidenceError | None = None
    """The file could not be read to its end: what was read is kept."""


class LogsEvidence(Frozen):
    """What the logs show between ``since`` and ``until``."""

    source: Literal["cloudwatch", "files"]
    group: str | None = None
    """The CloudWatch group (the first of ``groups`` when there are several)."""
    groups: tuple[str, ...] = ()
    """Every CloudWatch group read."""
    engine: Literal["filter", "insights"] | None = None
    """CloudWatch: the engine that searched (FilterLogEvents or Logs Insights)."""
    queries: tuple[str, ...] = ()
    """CloudWatch Logs Insights: the query strings run."""
    files: tuple[str, ...] = ()
    since: datetime
    until: datetime
    filter_patterns: tuple[str, ...] = ()
    """The CloudWatch filter patterns sent (each ORs quoted texts)."""
    events_scanned: int = 0
    """Events read and classified (for CloudWatch: those the filter returned)."""
    pages: int = 0
    skipped_lines: int = 0
    """Lines of local files before their first event: they belong to no event."""
    matches: tuple[LogMatch, ...] = ()
    """One entry per searched text, in spec order."""
    error: EvidenceError | None = None
    outside_window: int = 0
    """Events the source returned that lie outside ``[since, until]``: not counted."""
    live_event: LogExcerpt | None = None
    """An event of any kind in the window: the source was live (None: none found or not asked)."""
    live_error: EvidenceError | None = None
    """The call that looks for such an event failed."""
    file_stats: tuple[FileStats, ...] = ()
    """Local files: one entry per file read, in reading order."""
    fallback: EvidenceError | None = None
    """CloudWatch, ``engine = "auto"``: why Logs Insights, though chosen, was not used (a
    StartQuery failed); FilterLogEvents searched instead."""

    def match(self, text: str) -> LogMatch | None:
        """The match record for ``text``, if that text was searched."""
        for m in self.matches:
            if m.text == text:
                return m
        return None


# --------------------------------------------------------------------------- code


class CodeMarkerEvidence(Frozen):
    """One ``code`` entry of one hotfix, looked up in the checkout."""

    hotfix: str
    path: str
    text: str
    found: bool | None = None
    """True/False when the file was read; None when it could not be read."""
    file_exists: bool | None = None
    lines: tuple[int, ...] = ()
    """1-based line numbers where the text occurs."""
    line_text: str | None = None
    """The first matching line, stripped (redacted and cut)."""
    error: EvidenceError | None = None


class FixCommit(Frozen):
    """The commit that brought a hotfix's code markers into the checked-out branch.

    Found on the branch's first-parent history: a merge commit when the fix came in from
    another branch, the commit itself for a direct or squashed one. Committer time, never
    author time.
    """

    hotfix: str
    commit: str | None = None
    committed_at: datetime | None = None
    subject: str | None = None
    error: EvidenceError | None = None
    via_merge: bool = False
    """True when ``commit`` is a merge that brought the marker in from another branch."""
    introduced_by: str | None = None
    """With ``via_merge``: the commit on the merged branch that first added the marker."""
    method: str | None = None
    """How it was found, as the command that re-checks it (``git log --first-parent -S...``)."""


class CodeEvidence(Frozen):
    """The source checkout under ``code.root``."""

    root: str
    is_git: bool = False
    head: str | None = None
    markers: tuple[CodeMarkerEvidence, ...] = ()
    fix_commits: tuple[FixCommit, ...] = ()
    error: EvidenceError | None = None

    def fix_commit(self, hotfix: str) -> FixCommit | None:
        """The fix commit found for ``hotfix``, if git was asked."""
        for c in self.fix_commits:
            if c.hotfix == hotfix:
                return c
        return None


# --------------------------------------------------------------------------- image config


class ImageConfigEvidence(Frozen):
    """The image's config, read from the registry (BatchGetImage, GetDownloadUrlForLayer)."""

    manifest_media_type: str | None = None
    """Media type of the tag's manifest (an index or a single image manifest)."""
    platform: str | None = None
    """With an index: the platform whose manifest was read (``linux/amd64``)."""
    manifest_digest: str | None = None
    """The digest of the image manifest that was read (the platform's, for an index)."""
    config_digest: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    """The config's ``config.Labels`` (values redacted and cut)."""
    revision_label: str
    revision: str | None = None
    """The value of ``revision_label``: the commit the image was built from."""
    created: datetime | None = None
    """``org.opencontainers.image.created`` (else the config's ``created``)."""
    error: EvidenceError | None = None


# --------------------------------------------------------------------------- revision


class FixInRevision(Frozen):
    """Whether one hotfix's fix commit is an ancestor of the image's revision."""

    hotfix: str
    fix_commit: str | None = None
    contains: bool | None = None
    """``git merge-base --is-ancestor FIX REVISION``: True, False, or None when unknown."""
    error: EvidenceError | None = None


class RevisionEvidence(Frozen):
    """The commit the image was built from, looked up in the ``[code]`` checkout."""

    revision: str | None = None
    """As the image label or the spec gives it."""
    source: Literal["label", "spec"] | None = None
    commit: str | None = None
    """The full commit id it resolves to in the checkout."""
    committed_at: datetime | None = None
    subject: str | None = None
    fixes: tuple[FixInRevision, ...] = ()
    error: EvidenceError | None = None
    """The revision could not be looked up (not in the checkout, shallow clone, git error)."""


# --------------------------------------------------------------------------- all


class Evidence(Frozen):
    """Everything collected for one run."""

    collected_at: datetime
    """"Now" of the run (``--now``), also the report date."""
    image: ImageEvidence
    service: ServiceEvidence | None = None
    logs: LogsEvidence
    code: CodeEvidence | None = None
    image_config: ImageConfigEvidence | None = None
    revision: RevisionEvidence | None = None


# --------------------------------------------------------------------------- checks


class Status(StrEnum):
    """How a check ended."""

    PASS = "pass"  # noqa: S105 - a status, not a password
    FAIL = "fail"
    UNKNOWN = "unknown"
    MANUAL = "manual"


class HotfixVerdict(StrEnum):
    """Whether one hotfix is running."""

    DEPLOYED = "DEPLOYED"
    NOT_DEPLOYED = "NOT_DEPLOYED"
    INCONCLUSIVE = "INCONCLUSIVE"


class Verdict(StrEnum):
    """The report's verdict; each maps to an exit code."""

    VERIFIED = "VERIFIED"
    PARTIAL = "PARTIAL"
    NOT_DEPLOYED = "NOT_DEPLOYED"
    INCONCLUSIVE = "INCONCLUSIVE"

    @property
    def exit_code(self) -> int:
        """0 verified, 1 partial or not deployed, 3 inconclusive (2 is bad input)."""
        return {"VERIFIED": 0, "PARTIAL": 1, "NOT_DEPLOYED": 1, "INCONCLUSIVE": 3}[self.value]


class Check(Frozen):
    """One check's result: a status, a sentence a person reads, and where it came from."""

    id: str
    status: Status
    summary: str
    source: str = ""
    """The evidence the summary rests on, e.g. ``ECR DescribeImages backend:latest``."""
    hotfix: str | None = None
    """The hotfix this check belongs to; None for image.*, service.* and checklist.*."""
    kind: str = ""
    """The check's name without the hotfix prefix (``logs_expected``, ``found``...)."""


class HotfixResult(Frozen):
    """A hotfix's verdict and the ids of the checks it rests on."""

    id: str
    title: str
    verdict: HotfixVerdict
    checks: tuple[str, ...] = Field(default=())


class Bundle(Frozen):
    """The JSON evidence bundle (CONTRACT section 5): enough to re-render every report."""

    verdict: Verdict
    generated_at: datetime
    hotfixes: tuple[HotfixResult, ...]
    checks: tuple[Check, ...]
    evidence: Evidence
    spec: Spec
    schema_: str = Field(default=BUNDLE_SCHEMA, alias="schema")
    tool_version: str = ""
    spec_path: str = ""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
