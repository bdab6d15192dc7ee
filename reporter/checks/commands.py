"""The shell commands that re-run each check, built where the check is made.

Every command is one line a person pastes in the spec's folder: the aws CLI with the run's
region, profile and endpoint (:class:`~reporter.model.RunInfo`) and the log window in epoch
milliseconds, ``grep`` and ``git -C <code.root>`` for the checkout, ``zgrep``/``bzgrep``/
``xzgrep``/``zstdgrep`` for local log files as each file's recorded compression needs. Every
word taken from the spec or the evidence is shell-quoted. Nothing here judges: the commands
only ask the same sources the same questions again (they read; none changes anything).

Local log files are named once per run, not once per check: :func:`log_file_sets` gives the
lines that put them in bash arrays, one per tool, and each check's command refers to its
array (``"${ZGREP_FILES[@]}"``).
"""

from __future__ import annotations

import json
import posixpath
import shlex
from collections.abc import Sequence

from reporter.collect.insights import insights_command, plan_queries, stats_query
from reporter.collect.logs import epoch_ms_window, filter_patterns, pattern_for
from reporter.model import Evidence, FileStats, LogsEvidence, RunInfo
from reporter.spec import HotfixSection, Spec

TOOLS = {"none": "zgrep", "gzip": "zgrep", "bzip2": "bzgrep", "xz": "xzgrep", "zstd": "zstdgrep"}
"""The grep that reads a file of each compression (zgrep reads plain files too)."""
FILE_ARRAYS = {
    "zgrep": "ZGREP_FILES",
    "bzgrep": "BZGREP_FILES",
    "xzgrep": "XZGREP_FILES",
    "zstdgrep": "ZSTDGREP_FILES",
}
"""The bash array that holds the files each tool reads (:func:`log_file_sets`)."""
INSIGHTS_WAIT_SECONDS = 10
"""How long the pasted Logs Insights commands wait before asking for the results."""


def aws_words(run: RunInfo | None, spec: Spec) -> list[str]:
    """``--region``, ``--profile`` and ``--endpoint-url`` as the run used them.

    From the run's record when there is one, else from the spec's ``[aws]``; the demo's
    emulator is left out (the commands are shown as they run against AWS).
    """
    if run is None:
        region, profile, endpoint = spec.aws.region, spec.aws.profile, spec.aws.endpoint_url
    else:
        region, profile = run.region, run.profile
        endpoint = None if run.emulator else run.endpoint_url
    words: list[str] = []
    if region:
        words += ["--region", region]
    if profile:
        words += ["--profile", profile]
    if endpoint:
        words += ["--endpoint-url", endpoint]
    return words


def aws(run: RunInfo | None, spec: Spec, *words: str) -> str:
    """One aws CLI command line: ``aws <words> --region ... --profile ... --endpoint-url ...``."""
    return shlex.join(["aws", *words, *aws_words(run, spec)])


def _registry(spec: Spec, evidence: Evidence) -> list[str]:
    registry = evidence.image.registry_id or spec.image.registry_id
    return ["--registry-id", registry] if registry else []


def describe_image(spec: Spec, evidence: Evidence) -> str:
    """The tag's digest, push time and tags, from ECR."""
    return aws(
        evidence.run,
        spec,
        "ecr",
        "describe-images",
        "--repository-name",
        spec.image.repository,
        "--image-ids",
        f"imageTag={spec.image.tag}",
        *_registry(spec, evidence),
        "--query",
        "imageDetails[0].{digest:imageDigest,pushedAt:imagePushedAt,tags:imageTags}",
    )


def image_found(spec: Spec, evidence: Evidence) -> tuple[str, ...]:
    """``image.found``: ask ECR for the tag."""
    return (describe_image(spec, evidence),)


def service_stable(spec: Spec, evidence: Evidence) -> tuple[str, ...]:
    """``service.stable``: the service's counts and deployments."""
    if spec.service is None:
        return ()
    return (
        aws(
            evidence.run,
            spec,
            "ecs",
            "describe-services",
            "--cluster",
            spec.service.cluster,
            "--services",
            spec.service.name,
            "--query",
            "services[0].{status:status,desired:desiredCount,running:runningCount,"
            "deployments:deployments[].{id:id,status:status,rollout:rolloutState,"
            "running:runningCount}}",
        ),
    )


def _describe_tasks(spec: Spec, evidence: Evidence) -> str:
    """The service's running tasks: each task's start and its containers' digests."""
    if spec.service is None:
        return ""
    listed = aws(
        evidence.run,
        spec,
        "ecs",
        "list-tasks",
        "--cluster",
        spec.service.cluster,
        "--service-name",
        spec.service.name,
        "--desired-status",
        "RUNNING",
        "--query",
        "taskArns",
        "--output",
        "text",
    )
    head = shlex.join(["aws", "ecs", "describe-tasks", "--cluster", spec.service.cluster])
    tail = shlex.join(
        [
            "--query",
            "tasks[].{task:taskArn,startedAt:startedAt,digests:containers[].imageDigest}",
            *aws_words(evidence.run, spec),
        ]
    )
    return f"{head} --tasks $({listed}) {tail}"


def service_tasks(spec: Spec, evidence: Evidence) -> tuple[str, ...]:
    """``service.runs_image``, ``service.restarted_after_push``: the running tasks (digests and
    starts) and the registry's digest and push time."""
    if spec.service is None:
        return ()
    return (_describe_tasks(spec, evidence), describe_image(spec, evidence))


def _in_checkout(spec: Spec, path: str) -> str:
    root = spec.code.root if spec.code is not None else "."
    return path if root in ("", ".") else posixpath.join(root, path)


def _git(spec: Spec, command: str) -> str:
    """``command`` (``git ...``, meant for ``code.root``) as run from the spec's folder."""
    root = spec.code.root if spec.code is not None else "."
    if not command.startswith("git ") or root in ("", "."):
        return command
    return f"git -C {shlex.quote(root)} {command[4:]}"


def code_has_marker(spec: Spec, hotfix: HotfixSection) -> tuple[str, ...]:
    """``<hotfix>.code_has_marker``: each code entry's text in its file."""
    return tuple(
        shlex.join(["grep", "-nF", "--", entry.contains, _in_checkout(spec, entry.path)])
        for entry in hotfix.code
    )


def image_after_fix(spec: Spec, evidence: Evidence, method: str | None) -> tuple[str, ...]:
    """``<hotfix>.image_after_fix``: the push time, and (git) the fix commit found again."""
    commands = [describe_image(spec, evidence)]
    if method:
        commands.append(_git(spec, method))
    return tuple(commands)


def image_contains_fix(
    spec: Spec, evidence: Evidence, fix_commit: str | None, revision: str | None
) -> tuple[str, ...]:
    """``<hotfix>.image_contains_fix``: the image's revision label, then the ancestry."""
    commands: list[str] = []
    rev = evidence.revision
    config = evidence.image_config
    if rev is not None and rev.source == "label":
        if config is not None and config.config_digest:
            url = aws(
                evidence.run,
                spec,
                "ecr",
                "get-download-url-for-layer",
                "--repository-name",
                spec.image.repository,
                "--layer-digest",
                config.config_digest,
                *_registry(spec, evidence),
                "--query",
                "downloadUrl",
                "--output",
                "text",
            )
            label = f".config.Labels[{json.dumps(spec.image.revision_label)}]"
            commands.append(f'curl -s "$({url})" | jq -r {shlex.quote(label)}')
        else:
            commands.append(
                aws(
                    evidence.run,
                    spec,
                    "ecr",
                    "batch-get-image",
                    "--repository-name",
                    spec.image.repository,
                    "--image-ids",
                    f"imageTag={spec.image.tag}",
                    *_registry(spec, evidence),
                    "--query",
                    "images[0].imageManifest",
                    "--output",
                    "text",
                )
            )
    if fix_commit and revision:
        ancestry = shlex.join(["git", "merge-base", "--is-ancestor", fix_commit, revision])
        commands.append(f"{_git(spec, ancestry)} && echo contains || echo 'does not contain'")
    return tuple(commands)


def _window(logs: LogsEvidence) -> tuple[str, str]:
    start, end = epoch_ms_window(logs.since, logs.until)
    return str(start), str(end)


def _group_option(group: str) -> list[str]:
    return ["--log-group-identifier" if group.startswith("arn:") else "--log-group-name", group]


def _groups(spec: Spec, logs: LogsEvidence) -> tuple[str, ...]:
    if logs.groups:
        return logs.groups
    if logs.group:
        return (logs.group,)
    return spec.logs.groups or ((spec.logs.group,) if spec.logs.group else ())


def _cloudwatch(spec: Spec, evidence: Evidence, texts: Sequence[str]) -> list[str]:
    logs = evidence.logs
    start, end = _window(logs)
    groups = _groups(spec, logs)
    if logs.engine == "insights":
        start_ms, end_ms = int(start), int(end)
        commands = []
        for part in plan_queries(texts, start_ms, end_ms):
            query = stats_query(part, start_ms, end_ms).replace("\n| ", " | ")
            started = insights_command(groups, start_ms, end_ms, query)
            options = shlex.join(["--query", "queryId", "--output", "text"])
            words = shlex.join(aws_words(evidence.run, spec))
            commands.append(f"QUERY_ID=$({started} {options}{' ' + words if words else ''})")
            results = aws(
                evidence.run, spec, "logs", "get-query-results", "--query-id", "QUERY_ID"
            ).replace("QUERY_ID", '"$QUERY_ID"')
            commands.append(f"sleep {INSIGHTS_WAIT_SECONDS}; {results}")
        return commands
    return _filter_commands(
        spec, evidence, groups, [pattern_for(p) for p in filter_patterns(texts)]
    )


def _filter_commands(
    spec: Spec, evidence: Evidence, groups: Sequence[str], patterns: Sequence[str]
) -> list[str]:
    """One ``aws logs filter-log-events`` per group and filter pattern, in the window."""
    start, end = _window(evidence.logs)
    return [
        aws(
            evidence.run,
            spec,
            "logs",
            "filter-log-events",
            *_group_option(group),
            "--start-time",
            start,
            "--end-time",
            end,
            "--filter-pattern",
            pattern,
            "--query",
            "events[].[timestamp,logStreamName,message]",
            "--output",
            "text",
        )
        for group in groups
        for pattern in patterns
    ]


def log_collection(spec: Spec, evidence: Evidence) -> tuple[str, ...]:
    """The commands that read the CloudWatch logs as the run did: each filter pattern it
    sent (every watched text, context ones included, ORed) on each group. Empty for local
    files and for Logs Insights, whose queries are the log checks' own commands."""
    logs = evidence.logs
    if not logs.filter_patterns:
        return ()
    return tuple(_filter_commands(spec, evidence, _groups(spec, logs), logs.filter_patterns))


def _liveness(spec: Spec, evidence: Evidence) -> list[str]:
    """CloudWatch: any event at all in the window (a silent source proves nothing)."""
    logs = evidence.logs
    start, end = _window(logs)
    return [
        aws(
            evidence.run,
            spec,
            "logs",
            "filter-log-events",
            *_group_option(group),
            "--start-time",
            start,
            "--end-time",
            end,
            "--max-items",
            "1",
            "--query",
            "events[0].[timestamp,logStreamName]",
            "--output",
            "text",
        )
        for group in _groups(spec, logs)
    ]


def _file_tools(logs: LogsEvidence) -> list[str]:
    """The tools the run's files need, in a fixed order."""
    if not logs.file_stats:
        return ["zgrep"] if logs.files else []
    needed = {TOOLS[stats.compression] for stats in logs.file_stats}
    return [tool for tool in FILE_ARRAYS if tool in needed]


def _files(logs: LogsEvidence, texts: Sequence[str]) -> list[str]:
    patterns: list[str] = []
    for text in dict.fromkeys(texts):
        patterns += ["-e", text]
    return [
        f'{shlex.join([tool, "-F", *patterns, "--"])} "${{{FILE_ARRAYS[tool]}[@]}}" </dev/null'
        for tool in _file_tools(logs)
    ]


def log_file_sets(logs: LogsEvidence) -> tuple[str, ...]:
    """Local files: the bash arrays the log checks' commands read, each file named once.

    ``ZGREP_FILES=(a.log b.log.gz)``, one array per tool the files' compressions need.
    """
    if logs.source != "files":
        return ()
    by_tool: dict[str, list[str]] = {}
    stats: Sequence[FileStats | str] = logs.file_stats or logs.files
    for item in stats:
        if isinstance(item, str):
            by_tool.setdefault("zgrep", []).append(item)
        else:
            by_tool.setdefault(TOOLS[item.compression], []).append(item.path)
    return tuple(
        f"{FILE_ARRAYS[tool]}=({' '.join(shlex.quote(p) for p in by_tool[tool])})"
        for tool in FILE_ARRAYS
        if tool in by_tool
    )


def logs_expected(spec: Spec, evidence: Evidence, hotfix: HotfixSection) -> tuple[str, ...]:
    """``<hotfix>.logs_expected``: the events holding its expected texts, in the window."""
    if evidence.logs.source == "files":
        return tuple(_files(evidence.logs, hotfix.expect_logs))
    return tuple(_cloudwatch(spec, evidence, hotfix.expect_logs))


def logs_retired(spec: Spec, evidence: Evidence, hotfix: HotfixSection) -> tuple[str, ...]:
    """``<hotfix>.logs_retired``: the events holding its retired texts, and (CloudWatch)
    whether the source logged anything in the window."""
    if evidence.logs.source == "files":
        return tuple(_files(evidence.logs, hotfix.retired_logs))
    return (*_cloudwatch(spec, evidence, hotfix.retired_logs), *_liveness(spec, evidence))
