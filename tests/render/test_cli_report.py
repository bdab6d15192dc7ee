"""The report's command-line options end to end: ``--format summary`` and the GitHub step
summary, ``--template``, and the run's record (the command that reproduces the report)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reporter.cli import main
from reporter.collect.aws import AwsClients, AwsOptions
from reporter.demo.seed import seed_incident
from reporter.render.summary import MAX_LINES, STEP_SUMMARY

NOW = "2025-11-26T10:50:00Z"
SPEC = """\
title = "Hotfix Verification Report"
incident = "INC-2025-1126"
claimed_deployed_at = 2025-11-26T09:00:00Z
[aws]
region = "us-east-1"
endpoint_url = "{endpoint}"
[image]
repository = "content-marketing-swarm-backend"
[service]
cluster = "content-marketing-swarm-dev-cluster"
name = "content-marketing-swarm-dev-backend-service"
[logs]
group = "/ecs/content-marketing-swarm-dev"
[[hotfix]]
id = "multi-platform-parsing"
title = "Multi-Platform Parsing"
fixed_at = 2025-11-26T08:00:00Z
expect_logs = ["Requested platforms"]
retired_logs = [", platform='linkedin'"]
"""


@pytest.fixture
def spec(
    tmp_path: Path, aws: AwsClients, aws_options: AwsOptions, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The reference incident seeded on moto's server, and a spec that reads it."""
    seed_incident(aws)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv(STEP_SUMMARY, raising=False)
    path = tmp_path / "hotfix.toml"
    path.write_text(SPEC.format(endpoint=aws_options.endpoint_url), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_verify_appends_the_summary_to_the_github_step_summary(
    spec: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    step = tmp_path / "step-summary.md"
    step.write_text("## Earlier step\n", encoding="utf-8")
    monkeypatch.setenv(STEP_SUMMARY, str(step))
    out_dir = tmp_path / "out"
    code, out, err = run(
        capsys, "verify", str(spec), "--now", NOW, "-o", str(out_dir), "-f", "summary", "-f", "md"
    )
    assert code == 1, err
    assert err == ""
    summary = (out_dir / "hotfix.summary.md").read_text(encoding="utf-8")
    assert len(summary.splitlines()) <= MAX_LINES
    assert summary.startswith("**✘ NOT_DEPLOYED** — the hotfix is not running in production")
    assert "Full report: `hotfix.md` · reproduce: `reporter verify " in summary
    appended = step.read_text(encoding="utf-8")
    assert appended == "## Earlier step\n" + summary + "\n"  # appended, never replaced
    assert str(out_dir / "hotfix.summary.md") in out


def test_without_the_variable_nothing_else_is_written(
    spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    code, _, err = run(capsys, "verify", str(spec), "--now", NOW, "-o", str(out_dir), "-f", "md")
    assert code == 1, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["hotfix.md"]


def test_an_unwritable_step_summary_is_a_warning_not_a_new_exit_code(
    spec: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(STEP_SUMMARY, str(tmp_path))  # a folder
    code, _, err = run(capsys, "verify", str(spec), "--now", NOW, "-o", str(tmp_path / "o"))
    assert code == 1
    assert err.startswith(f"reporter: warning: cannot append the summary to ${STEP_SUMMARY}: ")
    assert len(err.splitlines()) == 1
    assert (tmp_path / "o" / "hotfix.pdf").is_file()


def test_the_report_says_how_to_reproduce_it(
    spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], aws_options: AwsOptions
) -> None:
    out_dir = tmp_path / "out"
    code, _, err = run(
        capsys, "verify", str(spec), "--now", NOW, "-o", str(out_dir), "-f", "json", "-f", "md"
    )
    assert code == 1, err
    bundle = json.loads((out_dir / "hotfix.json").read_text(encoding="utf-8"))
    command = (
        f"reporter verify {spec} --now {NOW} --region us-east-1 "
        f"--endpoint-url {aws_options.endpoint_url}"
    )
    assert bundle["evidence"]["run"]["command"] == command
    assert f"**Reproduce:** `{command}`" in (out_dir / "hotfix.md").read_text(encoding="utf-8")
    image_found = next(c for c in bundle["checks"] if c["id"] == "image.found")
    assert image_found["commands"][0].endswith(
        f"--region us-east-1 --endpoint-url {aws_options.endpoint_url}"
    )


def test_render_with_the_postmortem_template(
    spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "bundle.json"
    code, _, err = run(capsys, "collect", str(spec), "--now", NOW, "-o", str(bundle))
    assert code == 1, err
    out_dir = tmp_path / "pm"
    code, _, err = run(
        capsys, "render", str(bundle), "-o", str(out_dir), "-f", "md", "--template", "postmortem"
    )
    assert code == 0, err
    text = (out_dir / "bundle.md").read_text(encoding="utf-8")
    assert text.startswith("# Postmortem: Hotfix Verification Report\n")
    for heading in ("Summary", "Impact", "Root Causes", "Trigger", "Resolution", "Detection"):
        assert f"\n## {heading}\n" in text


def test_an_unknown_template_set_is_bad_input(
    spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "verify", str(spec), "--now", NOW, "-o", str(tmp_path), "--template", "nope"
    )
    assert code == 2
    assert err == (
        "reporter: error: --template: unknown template set 'nope' (one of: report, postmortem)\n"
    )
    assert out == ""
    assert not (tmp_path / "hotfix.md").exists()
