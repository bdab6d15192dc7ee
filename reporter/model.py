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
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from reporter.redact import KEEP
from reporter.spec import Spec

BUNDLE_SCHEMA = "reporter.bundle/1"

Id = Annotated[str, KEEP]
"""A value checks compare (an identifier, a spec word echoed back, a status): never redacted.

Every other string of the evidence is free text, redacted before it is stored."""
Ids = Annotated[tuple[str, ...], KEEP]


class Frozen(BaseModel):
    """Base for all model types: immutable, and unknown keys are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class EvidenceError(Frozen):
    """Why a piece of evidence could not be collected.

    ``operation`` names the call (``ecr:DescribeImages``, ``git log``, ``read file``);
    ``code`` is the machine-readable cause (``AccessDeniedException``, ``ReadTimeout``,
    ``MissingField``); ``message`` is one line a person reads.
    """

    operation: Id
    code: Id
    message: str

    def line(self) -> str:
        """The error as one line: ``ecr:DescribeImages failed: AccessDenied (...)``."""
        return f"{self.operation} failed: {self.code} ({self.message})"


# --------------------------------------------------------------------------- ECR


class ImageEvidence(Frozen):
    """What the registry says about ``repository:tag`` (ECR DescribeImages)."""

    repository: Id
    tag: Id
    registry_id: Id | None = None
    found: bool = False
    """True when the registry returned an image for the tag."""
    not_found_reason: str | None = None
    """Set when the registry answered that the repository or tag does not exist."""
    digest: Id | None = None
    tags: tuple[str, ...] = ()
    pushed_at: datetime | None = None
    size_bytes: int | None = None
    media_type: Id | None = None
    error: EvidenceError | None = None
    """Set when the registry could not be asked (denied, throttled, timed out...)."""


# --------------------------------------------------------------------------- ECS


class ContainerEvidence(Frozen):
    """One container of a running task."""

    name: str
    image: Id | None = None
    """The image reference the container was started from (``repo:tag`` or ``repo@sha256:...``)."""
    image_digest: Id | None = None
    """The digest the container runs: ``containers[].imageDigest``, else the pinned reference."""
    digest_source: Literal["imageDigest", "reference"] | None = None
    last_status: Id | None = None


class TaskEvidence(Frozen):
    """One task of the service (ECS DescribeTasks)."""

    arn: Id
    task_definition: Id | None = None
    last_status: Id | None = None
    desired_status: Id | None = None
    started_at: datetime | None = None
    created_at: datetime | None = None
    containers: tuple[ContainerEvidence, ...] = ()
    group: Id | None = None
    """The task's group: ``service:<name>`` for a service's tasks (``family:<name>`` for a
    standalone task)."""
    started_by: Id | None = None
    """Who started it: for a service's task, the id of its deployment (``ecs-svc/...``)."""


class DeploymentEvidence(Frozen):
    """One deployment of the service."""

    id: Id
    status: Id | None = None
    task_definition: Id | None = None
    desired_count: int | None = None
    running_count: int | None = None
    pending_count: int | None = None
    rollout_state: Id | None = None
    rollout_state_reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class TaskFailure(Frozen):
    """One ``failures`` entry of a DescribeTasks response: a task that was not described."""

    arn: Id | None = None
    reason: Id
    detail: str | None = None


class ServiceEvidence(Frozen):
    """The ECS service and its running tasks (DescribeServices, ListTasks, DescribeTasks)."""

    cluster: Id
    name: Id
    found: bool = False
    not_found_reason: str | None = None
    status: Id | None = None
    desired_count: int | None = None
    running_count: int | None = None
    pending_count: int | None = None
    task_definition: Id | None = None
    deployments: tuple[DeploymentEvidence, ...] = ()
    tasks: tuple[TaskEvidence, ...] = ()
    """The service's RUNNING tasks."""
    error: EvidenceError | None = None
    """DescribeServices could not be called, or answered a malformed field
    (``MalformedResponse: <field>``: that field is unset, the rest is kept)."""
    tasks_error: EvidenceError | None = None
    """ListTasks or DescribeTasks could not be called, answered a malformed field, a
    failure other than ``MISSING``, or paging did not end: ``tasks`` may be incomplete."""
    listed_tasks: Ids = ()
    """Every task ARN ListTasks returned (``desiredStatus=RUNNING``, every page), sorted."""
    task_failures: tuple[TaskFailure, ...] = ()
    """DescribeTasks ``failures`` entries (``MISSING`` included): tasks listed, not described."""
    undescribed: Ids = ()
    """Task ARNs ListTasks returned that DescribeTasks neither described nor named a failure for."""
    other_tasks: Ids = ()
    """Task ARNs ListTasks returned whose ``group`` names another service or a family: not
    this service's tasks, so not in ``tasks`` (AWS never lists them for ``serviceName``;
    an emulator that ignores that filter, like moto, does)."""


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

    text: Id
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
    format: Id | None = None
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
    group: Id | None = None
    """The CloudWatch group (the first of ``groups`` when there are several)."""
    groups: Ids = ()
    """Every CloudWatch group read."""
    engine: Literal["filter", "insights"] | None = None
    """CloudWatch: the engine that searched (FilterLogEvents or Logs Insights)."""
    queries: Ids = ()
    """CloudWatch Logs Insights: the query strings run."""
    files: tuple[str, ...] = ()
    since: datetime
    until: datetime
    filter_patterns: Ids = ()
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

    hotfix: Id
    path: Id
    text: Id
    found: bool | None = None
    """True/False when the file was read; None when it could not be read, or when the byte
    budget stopped the scan before the text was seen (``error`` code ``ScanBudget``)."""
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

    hotfix: Id
    commit: Id | None = None
    committed_at: datetime | None = None
    subject: str | None = None
    error: EvidenceError | None = None
    via_merge: bool = False
    """True when ``commit`` is a merge that brought the marker in from another branch."""
    introduced_by: Id | None = None
    """With ``via_merge``: the commit on the merged branch that first added the marker."""
    method: Id | None = None
    """How it was found, as the command that re-checks it, run in ``code.root``
    (``git log --first-parent -m ... -S<text> -- <path>``: the first-parent commits that
    changed how often the text occurs, newest first; the fix commit is the newest whose
    first parent lacks it)."""


class CodeEvidence(Frozen):
    """The source checkout under ``code.root``."""

    root: Id
    is_git: bool = False
    head: Id | None = None
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

    manifest_media_type: Id | None = None
    """Media type of the tag's manifest (an index or a single image manifest)."""
    platform: Id | None = None
    """With an index: the platform whose manifest was read (``linux/amd64``)."""
    manifest_digest: Id | None = None
    """The digest of the image manifest that was read (the platform's, for an index)."""
    config_digest: Id | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    """The config's ``config.Labels`` (values redacted and cut)."""
    revision_label: Id
    revision: Id | None = None
    """The value of ``revision_label``: the commit the image was built from."""
    created: datetime | None = None
    """``org.opencontainers.image.created`` (else the config's ``created``)."""
    error: EvidenceError | None = None
    labels_omitted: int = 0
    """Labels of the config not kept in ``labels`` (past the first 100 by name)."""


# --------------------------------------------------------------------------- revision


class FixInRevision(Frozen):
    """Whether one hotfix's fix commit is an ancestor of the image's revision."""

    hotfix: Id
    fix_commit: Id | None = None
    contains: bool | None = None
    """``git merge-base --is-ancestor FIX REVISION``: True, False, or None when unknown
    (no fix commit, a "no" in a shallow clone, git failing: see ``error``)."""
    error: EvidenceError | None = None


class RevisionEvidence(Frozen):
    """The commit the image was built from, looked up in the ``[code]`` checkout."""

    revision: Id | None = None
    """As the image label or the spec gives it."""
    source: Literal["label", "spec"] | None = None
    commit: Id | None = None
    """The full commit id it resolves to in the checkout."""
    committed_at: datetime | None = None
    subject: str | None = None
    fixes: tuple[FixInRevision, ...] = ()
    error: EvidenceError | None = None
    """The revision could not be looked up: ``InvalidRevision``, ``RevisionNotFound``,
    ``AmbiguousRevision``, ``ShallowClone``, ``Grafted``, ``NotGit``, ``Timeout``,
    ``GitError``... (repeated on every entry of ``fixes``)."""


# --------------------------------------------------------------------------- the run


class RunInfo(Frozen):
    """How the run reached AWS, and the command that repeats it.

    The checks build the commands that re-run them from these (``Check.commands``), so a
    bundle judged again gives the same commands byte for byte.
    """

    region: Id | None = None
    """The AWS region the calls went to (command line, else ``[aws]``, else the environment)."""
    profile: Id | None = None
    """The AWS profile used, when one was named (command line, ``[aws]`` or ``AWS_PROFILE``)."""
    endpoint_url: str | None = None
    """Where the AWS calls went when not to AWS's own endpoints (``--endpoint-url``,
    ``[aws] endpoint_url`` or ``AWS_ENDPOINT_URL``)."""
    command: str = ""
    """The ``reporter`` command that repeats this run: ``reporter verify SPEC --now ...``."""
    emulator: bool = False
    """The calls went to ``reporter demo``'s in-process emulator (its URL changes from run to
    run, so it is not recorded): the commands are shown as they run against AWS."""


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
    run: RunInfo | None = None
    """How the run reached AWS and how to repeat it (None in bundles of older versions)."""


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


class Scope(StrEnum):
    """Whom a kind of check is about, which decides how it weighs on the verdicts."""

    SHARED = "shared"
    """One per run (``image.*``, ``service.*``): every hotfix's verdict rests on it."""
    HOTFIX = "hotfix"
    """One per hotfix (``<hotfix>.<kind>``): that hotfix's verdict rests on it."""
    CHECKLIST = "checklist"
    """One per checklist item (``checklist.<n>``): never changes a verdict."""


class CheckKind(StrEnum):
    """Every kind of check (CONTRACT section 3). The value is the bundle's ``kind``: the
    whole id of a shared check, the part after ``<hotfix>.`` of a hotfix's check."""

    IMAGE_FOUND = "image.found"
    SERVICE_STABLE = "service.stable"
    SERVICE_RUNS_IMAGE = "service.runs_image"
    SERVICE_RESTARTED_AFTER_PUSH = "service.restarted_after_push"
    CODE_HAS_MARKER = "code_has_marker"
    IMAGE_AFTER_FIX = "image_after_fix"
    IMAGE_CONTAINS_FIX = "image_contains_fix"
    LOGS_EXPECTED = "logs_expected"
    LOGS_RETIRED = "logs_retired"
    CHECKLIST = "checklist"

    @property
    def scope(self) -> Scope:
        """Shared, per hotfix, or a checklist item."""
        return _SCOPES[self]

    def check_id(self, owner: str | int | None = None) -> str:
        """The check's id: ``image.found``, ``<hotfix>.logs_expected``, ``checklist.<n>``."""
        if self.scope is Scope.SHARED:
            return self.value
        return f"{owner}.{self.value}" if self.scope is Scope.HOTFIX else f"checklist.{owner}"


_SCOPES = {
    CheckKind.IMAGE_FOUND: Scope.SHARED,
    CheckKind.SERVICE_STABLE: Scope.SHARED,
    CheckKind.SERVICE_RUNS_IMAGE: Scope.SHARED,
    CheckKind.SERVICE_RESTARTED_AFTER_PUSH: Scope.SHARED,
    CheckKind.CODE_HAS_MARKER: Scope.HOTFIX,
    CheckKind.IMAGE_AFTER_FIX: Scope.HOTFIX,
    CheckKind.IMAGE_CONTAINS_FIX: Scope.HOTFIX,
    CheckKind.LOGS_EXPECTED: Scope.HOTFIX,
    CheckKind.LOGS_RETIRED: Scope.HOTFIX,
    CheckKind.CHECKLIST: Scope.CHECKLIST,
}


class ComparedContainer(Frozen):
    """One container of one running task, as ``service.runs_image`` saw it."""

    task: Id
    """The task's ARN."""
    container: str
    image: Id | None = None
    digest: Id | None = None
    from_repository: bool
    """Its image comes from ``[image] repository``: the check compared its digest."""
    matches: bool | None = None
    """Compared: its digest is the registry digest of the tag (None: a digest is unknown;
    always None for a container the check did not compare, such as a sidecar)."""


class TaskStart(Frozen):
    """One running task's start, as ``service.restarted_after_push`` saw it."""

    task: Id
    started_at: datetime | None = None
    after_push: bool | None = None
    """Started at or after the image was pushed (None: a time is unknown)."""


FixSource = Literal["hotfix", "spec", "git"]


class FixTimeFact(Frozen):
    """A hotfix's fix time and how it is known, as ``image_after_fix`` used it."""

    at: datetime | None = None
    source: FixSource | None = None
    """``fixed_at`` of the hotfix, of the spec, or the git commit that brought the fix in."""
    commit: Id | None = None
    subject: str | None = None
    via_merge: bool = False
    introduced_by: Id | None = None
    method: Id | None = None
    """The command that finds the commit again (git only)."""
    unknown_because: str | None = None
    """Why no fix time is known."""


class AncestryFact(Frozen):
    """Whether the image's revision holds the fix commit, as ``image_contains_fix`` found."""

    revision: Id | None = None
    """The commit the image was built from, as its label or the spec gives it."""
    source: Literal["label", "spec"] | None = None
    commit: Id | None = None
    """That revision resolved in the checkout (full id)."""
    committed_at: datetime | None = None
    fix_commit: Id | None = None
    contains: bool | None = None
    command: Id | None = None
    """The command that answers it again, in ``code.root``."""


TextOutcome = Literal["seen", "not_seen", "unknown_time", "not_read"]


class TextFact(Frozen):
    """One watched text, as a logs check judged it."""

    text: Id
    outcome: TextOutcome
    """``seen`` in the window; ``not_seen`` (the logs were read whole); ``unknown_time``
    (found only in lines whose time is not known); ``not_read`` (not found, but the logs
    were not read completely)."""
    count: int = 0
    """Occurrences in the window."""
    where: tuple[str, ...] = ()
    """Where it was found (log streams or files), the first few."""


class Facts(Frozen):
    """What a check computed on the way to its status, so the report shows the same facts.

    Each check fills only the parts it computes; the others stay empty.
    """

    containers: tuple[ComparedContainer, ...] = ()
    tasks: tuple[TaskStart, ...] = ()
    fix_time: FixTimeFact | None = None
    ancestry: AncestryFact | None = None
    texts: tuple[TextFact, ...] = ()
    accounted: bool | None = None
    """Service checks: the running tasks inspected account for the service's running count."""
    live: bool | None = None
    """``logs_retired``: the source logged something in the window (None: not known)."""


class Check(Frozen):
    """One check's result: a status, a sentence a person reads, and where it came from."""

    id: Id
    status: Status
    summary: str
    source: str = ""
    """The evidence the summary rests on, e.g. ``ECR DescribeImages backend:latest``."""
    hotfix: Id | None = None
    """The hotfix this check belongs to; None for image.*, service.* and checklist.*."""
    kind: CheckKind
    """What kind of check this is (``logs_expected``, ``image.found``...)."""
    facts: Facts = Field(default_factory=Facts)
    """What the check computed: the report shows these, it never recomputes them."""
    commands: tuple[str, ...] = ()
    """Shell commands a person pastes, in the spec's folder, to re-check it (aws CLI with the
    run's region, profile and endpoint, grep, git); built with the check, from the spec, the
    evidence and :class:`RunInfo`."""


class HotfixResult(Frozen):
    """A hotfix's verdict and the ids of the checks it rests on."""

    id: Id
    title: str
    verdict: HotfixVerdict
    checks: Ids = Field(default=())
    observed_by: Ids = ()
    """The checks that observed production running the fix (CONTRACT section 4)."""
    missing: str | None = None
    """INCONCLUSIVE: the evidence that is missing, in one sentence."""


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
