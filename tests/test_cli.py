"""The CLI end to end, in-process: every command, exit codes, outputs, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reporter.cli import main

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
fixed_at = {fixed_at}
expect_logs = [{expect}]
retired_logs = [{retired}]
"""


def spec_file(
    tmp_path: Path,
    endpoint: str,
    *,
    fixed_at: str = "2025-11-26T08:00:00Z",
    expect: str = '"Requested platforms"',
    retired: str = "\", platform='linkedin'\"",
) -> Path:
    path = tmp_path / "hotfix.toml"
    path.write_text(
        SPEC.format(endpoint=endpoint, fixed_at=fixed_at, expect=expect, retired=retired),
        encoding="utf-8",
    )
    return path


def passing_spec_file(tmp_path: Path, endpoint: str) -> Path:
    """A spec whose every check passes against the seeded incident."""
    return spec_file(
        tmp_path,
        endpoint,
        fixed_at="2025-11-25T20:00:00Z",
        expect='"WebSocket client connected"',
        retired='"no such old text"',
    )


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_verify_not_deployed_writes_md_and_pdf(
    tmp_path: Path, seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = spec_file(tmp_path, seeded)
    out_dir = tmp_path / "out" / "deep"
    code, out, err = run(capsys, "verify", str(spec), "--output-dir", str(out_dir), "--now", NOW)
    assert code == 1, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["hotfix.md", "hotfix.pdf"]
    assert str(out_dir / "hotfix.md") in out
    assert "multi-platform-parsing  NOT_DEPLOYED" in out
    assert "Verdict: NOT_DEPLOYED (exit 1)" in out
    assert "FAIL     multi-platform-parsing.image_after_fix" in out
    assert (out_dir / "hotfix.pdf").read_bytes().startswith(b"%PDF")
    assert err == ""


def test_verify_verified_exits_0(
    tmp_path: Path, seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = passing_spec_file(tmp_path, seeded)
    code, out, err = run(
        capsys, "verify", str(spec), "-o", str(tmp_path), "--now", NOW, "--format", "json"
    )
    assert code == 0, out + err
    assert "Verdict: VERIFIED (exit 0)" in out
    bundle = json.loads((tmp_path / "hotfix.json").read_text(encoding="utf-8"))
    assert bundle["verdict"] == "VERIFIED"


def test_verify_inconclusive_exits_3(
    tmp_path: Path, seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = passing_spec_file(tmp_path, seeded)
    text = spec.read_text(encoding="utf-8").replace(
        'group = "/ecs/content-marketing-swarm-dev"', 'group = "/ecs/missing"'
    )
    spec.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "verify", str(spec), "-o", str(tmp_path), "--now", NOW, "-f", "md")
    assert code == 3
    assert "UNKNOWN  multi-platform-parsing.logs_expected" in out
    assert "ResourceNotFoundException" in out


def test_collect_then_render_offline_is_byte_identical(
    tmp_path: Path, seeded: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = spec_file(tmp_path, seeded)
    bundle_path = tmp_path / "nested" / "bundle.json"
    code, out, _ = run(capsys, "collect", str(spec), "--output", str(bundle_path), "--now", NOW)
    assert code == 1
    assert out.startswith(f"{bundle_path}\n")
    assert list(bundle_path.parent.iterdir()) == [bundle_path]
    data = json.loads(bundle_path.read_text(encoding="utf-8"))
    assert {"verdict", "generated_at", "hotfixes", "checks", "evidence", "spec"} <= set(data)
    assert data["generated_at"] == NOW
    assert data["hotfixes"][0]["checks"]
    assert {"id", "status", "summary"} <= set(data["checks"][0])

    # Offline: no credentials, no endpoint that answers.
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    outputs = []
    for n in (1, 2):
        out_dir = tmp_path / f"render{n}"
        code, _, err = run(
            capsys,
            "render",
            str(bundle_path),
            "-o",
            str(out_dir),
            "-f",
            "md",
            "-f",
            "html",
            "-f",
            "json",
            "-f",
            "pdf",
        )
        assert code == 0, err
        outputs.append({p.name: p.read_bytes() for p in out_dir.iterdir()})
    assert sorted(outputs[0]) == ["bundle.html", "bundle.json", "bundle.md", "bundle.pdf"]
    for name in ("bundle.md", "bundle.html", "bundle.json"):
        assert outputs[0][name] == outputs[1][name], name
    assert outputs[0]["bundle.json"] == bundle_path.read_bytes()


def test_init_writes_a_spec_that_loads_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reporter.spec import load_spec

    target = tmp_path / "hotfix.toml"
    code, out, _ = run(capsys, "init", str(target))
    assert code == 0
    assert out.splitlines() == [str(target), str(tmp_path / "spec.schema.json")]
    assert load_spec(target).spec.hotfixes[0].id == "multi-platform-parsing"
    code, _, err = run(capsys, "init", str(target))
    assert code == 2
    assert err == f"reporter: error: {target}: already exists; refusing to overwrite it\n"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["verify", "missing.toml"], "missing.toml: spec not found"),
        (["verify", "{spec}", "--now", "yesterday"], "--now: not an RFC 3339 datetime"),
        (["verify", "{spec}", "--now", "2025-11-26T10:50:00"], "--now"),
        (["verify", "{spec}", "--format", "docx"], "'docx' is not one of"),
        (["verify", "{spec}", "--bogus"], "No such option: --bogus"),
        (["verify", "{spec}", "--now", "2025-11-26T08:00:00Z"], "claimed_deployed_at"),
        (
            ["verify", "{spec}", "--profile", "no-such-profile-here", "--now", NOW],
            "AWS profile not found",
        ),
        (["render", "missing.json"], "missing.json"),
        (["collect", "{spec}"], "Missing option '--output'"),
        (["frobnicate"], "No such command 'frobnicate'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    fragment: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    spec = spec_file(tmp_path, "http://127.0.0.1:9")
    code, out, err = run(capsys, *[a.replace("{spec}", str(spec)) for a in args])
    assert code == 2, out + err
    assert err.startswith("reporter: error: ")
    assert err.count("\n") == 1, err
    assert fragment in err
    assert "Traceback" not in out + err


def test_unwritable_output_dir_is_bad_input(
    tmp_path: Path, seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = spec_file(tmp_path, seeded)
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    code, _, err = run(
        capsys, "verify", str(spec), "-o", str(blocker / "reports"), "--now", NOW, "-f", "md"
    )
    assert code == 2
    assert str(blocker / "reports") in err
    assert err.count("\n") == 1


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("verify", "collect", "render", "demo", "init"):
        assert command in out


def test_demo_writes_md_and_pdf_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    code, out, err = run(capsys, "demo", "--output-dir", str(tmp_path))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "hotfix-verification-report.md",
        "hotfix-verification-report.pdf",
    ]
    assert "Verdict: NOT_DEPLOYED" in out
    text = "".join(
        page.extract_text()
        for page in PdfReader(
            BytesIO((tmp_path / "hotfix-verification-report.pdf").read_bytes())
        ).pages
    )
    assert "Hotfix Verification Report" in text
    assert "NOT_DEPLOYED" in text


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{not json", "invalid JSON"),
        (b"{}", "bundle"),
        (b'{"verdict": "MAYBE"}', "verdict"),
        (b"\xff\xfe", "UTF-8"),
        (b"[]", "bundle"),
    ],
)
def test_render_of_a_malformed_bundle_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, fragment: str
) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(content)
    code, out, err = run(capsys, "render", str(bundle), "-o", str(tmp_path / "out"))
    assert (code, out) == (2, "")
    assert err.startswith(f"reporter: error: {bundle}")
    assert err.count("\n") == 1
    assert fragment in err, err
    assert not (tmp_path / "out").exists()


def test_bare_command_prints_help_and_version_prints_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from reporter import __version__

    code, out, err = run(capsys)
    assert code == 0
    assert out.startswith("Usage: reporter")
    assert err == ""
    code, out, _ = run(capsys, "--version")
    assert (code, out) == (0, f"reporter {__version__}\n")


def test_a_broken_template_override_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reporter.checks import judge, run_checks
    from reporter.render.json import dump_bundle
    from tests.render.conftest import make_not_deployed

    made = make_not_deployed()
    checks = tuple(run_checks(made.spec, made.evidence))  # judged, as render requires
    hotfixes, verdict = judge(made.spec, checks)
    made = made.model_copy(
        update={
            "checks": checks,
            "hotfixes": tuple(hotfixes),
            "verdict": verdict,
            "generated_at": made.evidence.collected_at,
        }
    )
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(dump_bundle(made))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "report.md.j2").write_text("{% if %}", encoding="utf-8")
    code, _, err = run(
        capsys, "render", str(bundle), "--template-dir", str(templates), "-o", str(tmp_path)
    )
    assert code == 2
    assert err.count("\n") == 1
    assert "template error in report.md.j2, line 1" in err
