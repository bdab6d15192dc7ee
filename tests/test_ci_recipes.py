"""The CI recipes (docs/ci/, included verbatim in the README), tested as far as this
machine allows: the YAML parses and has the shape each CI system reads, the steps come in
the right order, and the ``reporter`` commands they run work against the emulator and
write the files the upload steps name."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from reporter.cli import main
from reporter.demo.seed import CLUSTER, SERVICE
from reporter.render import OutputFormat
from tests.specs import VERIFIED_SPEC

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / "docs" / "ci"
GITHUB = CI / "github-actions.yml"
GITLAB = CI / "gitlab-ci.yml"
NOW = "2025-11-26T10:50:00Z"


def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_readme_includes_each_recipe_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in sorted(CI.glob("*.yml")):
        marker = f"<!-- {path.relative_to(ROOT).as_posix()} -->"
        assert marker in readme, f"README has no block marked {marker}"
        block = readme.split(marker, 1)[1].lstrip("\n")
        match = re.match(r"```yaml\n(.*?)```\n", block, re.DOTALL)
        assert match is not None, f"no yaml block after {marker}"
        assert match.group(1) == path.read_text(encoding="utf-8"), path.name


def _reporter_commands(lines: list[str]) -> list[list[str]]:
    commands = []
    for text in lines:
        for line in str(text).splitlines():
            if line.strip().startswith("reporter "):
                commands.append(shlex.split(line.strip()))
    return commands


def _option(command: list[str], name: str) -> list[str]:
    return [command[i + 1] for i, word in enumerate(command) if word == name]


def test_github_job_deploys_then_waits_uploads_and_fails_on_a_bad_verdict() -> None:
    workflow = _load(GITHUB)
    assert workflow.get("on", workflow.get(True)) is not None  # YAML 1.1 reads `on` as True
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    runs = [str(step.get("run", "")) for step in steps]
    deploy = next(i for i, run in enumerate(runs) if "aws ecs update-service" in run)
    assert f"--cluster {CLUSTER}" in runs[deploy]
    assert f"--service {SERVICE}" in runs[deploy]
    verify = next(i for i, run in enumerate(runs) if run.startswith("reporter verify"))
    assert deploy < verify
    (command,) = _reporter_commands([runs[verify]])
    assert _option(command, "--wait") == ["15m"]
    assert {"pdf", "junit", "summary"} <= set(_option(command, "--format"))
    assert "continue-on-error" not in steps[verify]  # a non-zero exit fails the job
    assert "|| true" not in runs[verify]
    upload = steps[verify + 1]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["if"] == "${{ !cancelled() }}"  # the reports also when verify failed
    assert set(upload["with"]["path"].split()) == _written(command)
    checkout = steps[0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0


def test_gitlab_job_deploys_then_waits_and_reports_junit() -> None:
    pipeline = _load(GITLAB)
    assert pipeline["stages"] == ["deploy", "verify"]
    deploy = pipeline["deploy"]
    assert deploy["stage"] == "deploy"
    assert any("aws ecs update-service" in line for line in deploy["script"])
    job = pipeline["verify-hotfix"]
    assert job["stage"] == "verify"
    (command,) = _reporter_commands(job["script"])
    assert command[:2] == ["reporter", "verify"]
    assert _option(command, "--wait") == ["15m"]
    assert {"pdf", "junit"} <= set(_option(command, "--format"))
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    assert set(artifacts["paths"]) == _written(command)
    assert artifacts["reports"]["junit"] in _written(command)
    assert artifacts["reports"]["junit"].endswith(".junit.xml")
    assert str(job["variables"]["GIT_DEPTH"]) == "0"


def _written(command: list[str]) -> set[str]:
    """The report files the recipe keeps of what ``reporter verify`` writes for these
    options (the summary goes to the job's step summary instead)."""
    out = (_option(command, "--output-dir") or ["reports"])[0]
    stem = Path(command[2]).stem
    return {
        f"{out}/{stem}.{OutputFormat(fmt).extension}"
        for fmt in _option(command, "--format")
        if fmt != "summary"
    }


@pytest.fixture
def verified(seeded: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A CI workspace: the spec at its root (the seeded incident verifies it), credentials
    in the environment, the step summary file GitHub provides."""
    (tmp_path / "hotfix.toml").write_text(VERIFIED_SPEC.format(endpoint=seeded), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "step-summary.md"))
    return tmp_path


@pytest.mark.parametrize("recipe", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_the_recipe_commands_run_against_the_emulator(
    recipe: Path, verified: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _load(recipe)
    lines: list[str] = []
    if recipe == GITHUB:
        (job,) = data["jobs"].values()
        lines = [str(step.get("run", "")) for step in job["steps"]]
    else:
        lines = list(data["verify-hotfix"]["script"])
    commands = _reporter_commands(lines)
    assert commands
    for command in commands:
        code = main([*command[1:], "--now", NOW])
        out, err = capsys.readouterr()
        assert code == 0, out + err
        assert "Verdict: VERIFIED (exit 0)" in out
        for written in _written(command):
            assert (verified / written).is_file(), written
        if "summary" in _option(command, "--format"):  # appended to the job's step summary
            step = (verified / "step-summary.md").read_text(encoding="utf-8")
            assert "**✔ VERIFIED**" in step
