"""The run's glue: redaction of collected evidence, the log window, AWS option precedence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reporter.checks import logs_retired
from reporter.collect.aws import AwsOptions
from reporter.errors import InputError
from reporter.model import (
    Evidence,
    EvidenceError,
    ImageEvidence,
    LogExcerpt,
    LogMatch,
    LogsEvidence,
    Status,
)
from reporter.pipeline import aws_options, window
from reporter.redact import Redactor, redact_fields
from reporter.spec import HotfixSection, LoadedSpec, Spec

T = datetime(2025, 11, 26, 10, 0, tzinfo=UTC)


def spec(**logs: object) -> Spec:
    return Spec.model_validate(
        {
            "claimed_deployed_at": "2025-11-26T09:00:00Z",
            "image": {"repository": "r"},
            "logs": {"group": "/g", **logs},
            "hotfix": [{"id": "h"}],
            "aws": {"region": "eu-west-1", "profile": "p"},
        }
    )


def test_redaction_keeps_the_spec_words_checks_look_evidence_up_by() -> None:
    secret_text = "token=legacy-value"
    evidence = Evidence(
        collected_at=T,
        image=ImageEvidence(
            repository="r",
            tag="t",
            error=EvidenceError(
                operation="ecr:DescribeImages",
                code="AccessDenied",
                message="key AKIAABCDEFGHIJKLMNOP denied",
            ),
        ),
        logs=LogsEvidence(
            source="cloudwatch",
            group="/g",
            since=T,
            until=T,
            matches=(
                LogMatch(
                    text=secret_text,
                    kinds=("retired",),
                    count=1,
                    first_seen=T,
                    last_seen=T,
                    excerpts=(LogExcerpt(timestamp=T, stream="s", message=f"old {secret_text}"),),
                ),
            ),
        ),
    )
    clean = redact_fields(evidence, Redactor())
    assert clean.image.error is not None
    assert "AKIA" not in clean.image.error.message
    match = clean.logs.match(secret_text)
    assert match is not None
    assert "legacy-value" not in match.excerpts[0].message
    hotfix = HotfixSection(id="h", retired_logs=(secret_text,))
    assert logs_retired(hotfix, clean.logs).status is Status.FAIL


def test_window_defaults_and_refusal(tmp_path: Path) -> None:
    loaded = LoadedSpec(spec=spec(), path=tmp_path / "s.toml", base_dir=tmp_path)
    span = window(loaded, T)
    assert (span.since, span.until) == (datetime(2025, 11, 26, 9, 0, tzinfo=UTC), T)
    with pytest.raises(InputError, match=r"claimed_deployed_at.*--now"):
        window(loaded, datetime(2025, 11, 26, 8, 0, tzinfo=UTC))


def test_command_line_wins_over_spec_which_wins_over_environment() -> None:
    merged = aws_options(spec(), AwsOptions(region="us-west-2"))
    assert (merged.region, merged.profile, merged.endpoint_url) == ("us-west-2", "p", None)


def test_aws_region_is_read_from_the_environment_when_nothing_else_names_one() -> None:
    no_region = Spec.model_validate(
        {
            "claimed_deployed_at": "2025-11-26T09:00:00Z",
            "image": {"repository": "r"},
            "logs": {"group": "/g"},
            "hotfix": [{"id": "h"}],
        }
    )
    env = {"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "us-east-1"}
    assert aws_options(no_region, AwsOptions(), env).region == "eu-central-1"
    assert aws_options(spec(), AwsOptions(), env).region == "eu-west-1"  # the spec wins
    assert aws_options(no_region, AwsOptions(region="ap-south-1"), env).region == "ap-south-1"
    # Without AWS_REGION botocore's own chain (AWS_DEFAULT_REGION, the profile) decides.
    assert aws_options(no_region, AwsOptions(), {"AWS_DEFAULT_REGION": "x"}).region is None
