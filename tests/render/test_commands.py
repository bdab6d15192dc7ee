"""The commands that re-run every check: built with the check, from the spec, the evidence and
the run's record (region, profile, endpoint, the ``reporter verify --now`` that repeats it)."""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from html import unescape as html_unescape
from pathlib import Path

import pytest

from reporter.checks import run_checks
from reporter.checks.commands import log_collection
from reporter.collect.aws import AwsOptions
from reporter.model import (
    Bundle,
    Check,
    FileStats,
    LogExcerpt,
    LogMatch,
    LogsEvidence,
    RunInfo,
)
from reporter.pipeline import rejudge, run_info
from reporter.render import OutputFormat, render
from reporter.spec import LoadedSpec
from tests.render.conftest import at, incident_spec, judged, make_not_deployed, make_verified

NOW = datetime(2025, 11, 26, 10, 50, tzinfo=UTC)


def with_run(bundle: Bundle, run: RunInfo) -> Bundle:
    """``bundle`` collected with ``run``, its checks judged again (their commands with it)."""
    evidence = bundle.evidence.model_copy(update={"run": run})
    return judged(bundle.model_copy(update={"evidence": evidence}))


def commands_of(bundle: Bundle, check_id: str) -> tuple[str, ...]:
    check: Check = next(c for c in bundle.checks if c.id == check_id)
    return check.commands


RUN = RunInfo(
    region="eu-west-1",
    profile="ops",
    endpoint_url="http://127.0.0.1:4566",
    command="reporter verify hotfix.toml --now 2025-11-26T10:50:00Z --region eu-west-1",
)


def test_aws_commands_carry_the_runs_region_profile_and_endpoint() -> None:
    bundle = with_run(make_not_deployed(), RUN)
    for check in bundle.checks:
        for command in check.commands:
            words = shlex.split(command.split("|")[0].replace("$(", " ").replace(")", " "))
            if words[0] != "aws":
                continue
            assert command.count("--region eu-west-1") == command.count("aws ")
            assert command.count("--profile ops") == command.count("aws ")
            assert command.count("--endpoint-url http://127.0.0.1:4566") == command.count("aws ")


def test_the_demos_emulator_is_not_named() -> None:
    run = RunInfo(region="us-east-1", command="reporter demo", emulator=True)
    bundle = with_run(make_not_deployed(), run)
    every = [c for check in bundle.checks for c in check.commands]
    assert every
    assert not any("--endpoint-url" in c for c in every)
    assert "**Reproduce:** `reporter demo` (it runs its own AWS emulator" in render(
        bundle, OutputFormat.MD
    ).decode("utf-8")


def test_cloudwatch_log_checks_filter_the_window_in_epoch_milliseconds() -> None:
    bundle = with_run(make_not_deployed(), RUN)
    expected = commands_of(bundle, "multi-platform-parsing.logs_expected")
    assert expected == (
        "aws logs filter-log-events --log-group-name /ecs/content-marketing-swarm-dev "
        "--start-time 1764147600000 --end-time 1764154200000 "
        "--filter-pattern '\"Requested platforms\"' "
        "--query 'events[].[timestamp,logStreamName,message]' --output text "
        "--region eu-west-1 --profile ops --endpoint-url http://127.0.0.1:4566",
    )
    retired = commands_of(bundle, "force-task-restart.logs_retired")
    assert len(retired) == 2
    assert "--max-items 1" in retired[1]  # a silent source proves nothing: is it live?
    # Pasted into a shell, the pattern is the collector's, quotes included.
    assert shlex.split(retired[0])[shlex.split(retired[0]).index("--filter-pattern") + 1] == (
        "\", platform='linkedin'\""
    )


def test_the_runs_own_read_of_the_logs_is_in_appendix_b_and_in_the_html() -> None:
    """The filter pattern the run sent (every watched text, context ones too) re-reads what
    the report counted: numbered after the checks' commands in the Markdown and PDF, said
    once in the HTML's Appendix B."""
    bundle = with_run(make_not_deployed(), RUN)
    patterns = bundle.evidence.logs.filter_patterns
    assert len(patterns) == 1
    read = log_collection(bundle.spec, bundle.evidence)
    assert read == (
        "aws logs filter-log-events --log-group-name /ecs/content-marketing-swarm-dev "
        "--start-time 1764147600000 --end-time 1764154200000 "
        f"--filter-pattern {shlex.quote(patterns[0])} "
        "--query 'events[].[timestamp,logStreamName,message]' --output text "
        "--region eu-west-1 --profile ops --endpoint-url http://127.0.0.1:4566",
    )
    numbered = len({c for check in bundle.checks for c in check.commands})
    md = render(bundle, OutputFormat.MD).decode("utf-8")
    assert f"{numbered + 1}. `{read[0]}` (the run's own read: every watched text)" in md
    html = render(bundle, OutputFormat.HTML).decode("utf-8")
    assert "The run read the logs with" in html
    text = html_unescape(re.sub(r"<[^>]+>", "", html))  # <wbr> marks where ids may break
    assert text.count(read[0]) == 1


def test_local_files_and_insights_have_no_separate_read() -> None:
    verified = make_verified()
    assert verified.evidence.logs.files
    assert log_collection(verified.spec, verified.evidence) == ()
    bundle = make_not_deployed()
    logs = bundle.evidence.logs.model_copy(update={"engine": "insights", "filter_patterns": ()})
    evidence = bundle.evidence.model_copy(update={"logs": logs})
    assert log_collection(bundle.spec, evidence) == ()


def test_insights_log_checks_run_the_query_again() -> None:
    bundle = make_not_deployed()
    logs = bundle.evidence.logs.model_copy(
        update={"engine": "insights", "groups": ("/ecs/a", "/ecs/b"), "group": "/ecs/a"}
    )
    bundle = with_run(
        bundle.model_copy(update={"evidence": bundle.evidence.model_copy(update={"logs": logs})}),
        RUN,
    )
    started, results = commands_of(bundle, "multi-platform-parsing.logs_expected")
    assert started.startswith(
        "QUERY_ID=$(aws logs start-query --log-group-names /ecs/a /ecs/b "
        "--start-time 1764147600 --end-time 1764154200 --query-string "
    )
    assert 'strcontains(@message, "Requested platforms") as m0' in started
    assert "\n" not in started  # one line a person pastes
    assert started.endswith(
        "--query queryId --output text --region eu-west-1 --profile ops "
        "--endpoint-url http://127.0.0.1:4566)"
    )
    assert results.startswith('sleep 10; aws logs get-query-results --query-id "$QUERY_ID"')


def test_file_log_checks_use_the_grep_each_compression_needs_naming_the_files_once() -> None:
    bundle = make_verified()
    stats = (
        FileStats(path="logs/app-1.log", compression="none"),
        FileStats(path="logs/app-2.log.gz", compression="gzip"),
        FileStats(path="logs/app-3.log.bz2", compression="bzip2"),
        FileStats(path="logs/app-4.log.xz", compression="xz"),
        FileStats(path="logs/app 5.log.zst", compression="zstd"),
    )
    logs = bundle.evidence.logs.model_copy(
        update={"file_stats": stats, "files": tuple(s.path for s in stats)}
    )
    bundle = judged(
        bundle.model_copy(update={"evidence": bundle.evidence.model_copy(update={"logs": logs})})
    )
    expected = commands_of(bundle, "cart-total.logs_expected")
    assert expected == (
        "zgrep -F -e 'cart total rounded half-even' -- \"${ZGREP_FILES[@]}\" </dev/null",
        "bzgrep -F -e 'cart total rounded half-even' -- \"${BZGREP_FILES[@]}\" </dev/null",
        "xzgrep -F -e 'cart total rounded half-even' -- \"${XZGREP_FILES[@]}\" </dev/null",
        "zstdgrep -F -e 'cart total rounded half-even' -- \"${ZSTDGREP_FILES[@]}\" </dev/null",
    )
    md = render(bundle, OutputFormat.MD).decode("utf-8")
    assert "ZGREP_FILES=(logs/app-1.log logs/app-2.log.gz)\n" in md
    assert "ZSTDGREP_FILES=('logs/app 5.log.zst')\n" in md
    # Named in the per-file table and once in the commands, whatever the number of texts.
    assert md.count("logs/app-4.log.xz") == 2


def test_git_commands_run_in_the_checkout_from_the_specs_folder() -> None:
    spec = incident_spec(code={"root": "src/app"})
    bundle = make_not_deployed(spec=spec)
    marker = commands_of(bundle, "multi-platform-parsing.code_has_marker")
    assert marker == ("grep -nF -- 'Requested platforms' src/app/backend/app/api/websocket.py",)


def test_the_fix_commit_command_is_the_git_method_run_in_the_checkout(tmp_path: Path) -> None:
    from reporter.demo import demo_bundle

    bundle = demo_bundle()
    after_fix = commands_of(bundle, "multi-platform-parsing.image_after_fix")
    assert after_fix[1] == (
        "git -C code log --first-parent -m '--format=%H %cI %s' '-SRequested platforms' "
        "-- backend/app/api/websocket.py"
    )
    contains = commands_of(bundle, "multi-platform-parsing.image_contains_fix")
    assert contains[0].startswith('curl -s "$(aws ecr get-download-url-for-layer ')
    assert contains[0].endswith("| jq -r '.config.Labels[\"org.opencontainers.image.revision\"]'")
    assert contains[1].startswith("git -C code merge-base --is-ancestor 81e3364c85b3")
    assert contains[1].endswith(" && echo contains || echo 'does not contain'")


def test_rejudging_the_bundle_gives_the_same_commands() -> None:
    bundle = with_run(make_not_deployed(), RUN)
    assert rejudge(bundle) is None
    edited = bundle.model_copy(
        update={
            "checks": tuple(
                c.model_copy(update={"commands": ("rm -rf /",)}) if c.id == "image.found" else c
                for c in bundle.checks
            )
        }
    )
    assert rejudge(edited) == "check 'image.found' reads differently from what its evidence gives"
    assert run_checks(bundle.spec, bundle.evidence) == list(bundle.checks)


@pytest.mark.parametrize(
    ("options", "environ", "command"),
    [
        (
            AwsOptions(region="us-east-1"),
            {},
            "reporter verify specs/hotfix.toml --now 2025-11-26T10:50:00Z --region us-east-1",
        ),
        (
            AwsOptions(region="us-east-1", profile="dev", endpoint_url="http://localhost:4566"),
            {},
            "reporter verify specs/hotfix.toml --now 2025-11-26T10:50:00Z --region us-east-1 "
            "--profile dev --endpoint-url http://localhost:4566",
        ),
        (
            AwsOptions(region="eu-west-1"),
            {"AWS_PROFILE": "ci", "AWS_ENDPOINT_URL": "https://vpce.example"},
            "reporter verify specs/hotfix.toml --now 2025-11-26T10:50:00Z --region eu-west-1 "
            "--profile ci --endpoint-url https://vpce.example",
        ),
    ],
)
def test_the_run_records_how_to_repeat_it(
    tmp_path: Path, options: AwsOptions, environ: dict[str, str], command: str
) -> None:
    loaded = LoadedSpec(
        spec=incident_spec(), path=Path("specs/hotfix.toml"), base_dir=tmp_path / "specs"
    )
    run = run_info(loaded, NOW, options, environ)
    assert run.command == command
    assert run.region == options.region
    assert shlex.split(run.command)[:5] == [
        "reporter",
        "verify",
        "specs/hotfix.toml",
        "--now",
        "2025-11-26T10:50:00Z",
    ]


def test_commands_of_words_from_the_evidence_are_shell_quoted() -> None:
    hostile = "'; rm -rf ~; echo '"
    bundle = make_not_deployed()
    logs: LogsEvidence = bundle.evidence.logs
    match = LogMatch(
        text=hostile,
        kinds=("expected",),
        count=1,
        first_seen=at("2025-11-26T10:00:00"),
        last_seen=at("2025-11-26T10:00:00"),
        excerpts=(LogExcerpt(timestamp=at("2025-11-26T10:00:00"), stream="s", message=hostile),),
    )
    spec = incident_spec(
        hotfix=[{"id": "h", "title": "H", "expect_logs": [hostile]}],
    )
    evidence = bundle.evidence.model_copy(
        update={"logs": logs.model_copy(update={"matches": (*logs.matches, match)})}
    )
    quoted = judged(bundle.model_copy(update={"spec": spec, "evidence": evidence}))
    (command,) = commands_of(quoted, "h.logs_expected")
    words = shlex.split(command)
    assert words[words.index("--filter-pattern") + 1] == f'"{hostile}"'
    assert "rm" not in words
