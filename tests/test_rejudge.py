"""``reporter render`` judges a bundle again and refuses one whose checks do not follow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reporter.cli import main
from tests.test_cli import NOW, passing_spec_file, run, spec_file


@pytest.fixture
def bundle_path(seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "out" / "bundle.json"
    code, _, _ = run(
        capsys, "collect", str(spec_file(tmp_path, seeded)), "-o", str(path), "--now", NOW
    )
    assert code == 1  # the reference incident: NOT_DEPLOYED
    return path


def edit(path: Path, change: Any) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_an_unedited_bundle_renders(bundle_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(
        capsys, "render", str(bundle_path), "-f", "md", "-o", str(bundle_path.parent)
    )
    assert (code, err) == (0, "")
    assert (bundle_path.parent / "bundle.md").is_file()


def _check(data: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(c for c in data["checks"] if c["id"] == check_id)


@pytest.mark.parametrize(
    ("name", "change", "words"),
    [
        (
            "a failed check turned into a pass",
            lambda d: _check(d, "multi-platform-parsing.logs_expected").update(status="pass"),
            "'multi-platform-parsing.logs_expected' is pass in the bundle, fail by its evidence",
        ),
        (
            "the verdict rewritten",
            lambda d: d.update(verdict="VERIFIED"),
            "the verdict is VERIFIED, its checks give NOT_DEPLOYED",
        ),
        (
            "a hotfix verdict rewritten",
            lambda d: d["hotfixes"][0].update(verdict="DEPLOYED"),
            "hotfix 'multi-platform-parsing''s verdict does not follow",
        ),
        (
            "the evidence edited under a passing check",
            lambda d: d["evidence"]["image"].update(digest="sha256:" + "f" * 64),
            "'service.runs_image' is pass in the bundle, fail by its evidence",
        ),
        (
            "a summary reworded",
            lambda d: _check(d, "image.found").update(summary="All good."),
            "'image.found' reads differently",
        ),
        (
            "a check removed",
            lambda d: d.update(checks=d["checks"][1:]),
            "'image.found' follows from the evidence but is missing from the bundle",
        ),
    ],
)
def test_an_edited_bundle_is_refused(
    bundle_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    change: Any,
    words: str,
) -> None:
    edit(bundle_path, change)
    out_dir = bundle_path.parent / "reports"
    code, _out, err = run(capsys, "render", str(bundle_path), "-f", "md", "-o", str(out_dir))
    assert code == 2, name
    assert words in err, err
    assert "the bundle was edited, or written by another version of reporter" in err
    assert err.count("\n") == 1
    assert not out_dir.exists()


def test_a_passing_bundle_renders_after_a_round_trip(
    seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "b.json"
    code, _, _ = run(
        capsys, "collect", str(passing_spec_file(tmp_path, seeded)), "-o", str(path), "--now", NOW
    )
    assert code == 0
    assert main(["render", str(path), "-f", "json", "-o", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "b.json").read_bytes() == path.read_bytes()
