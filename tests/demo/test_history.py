"""The demo's git history: two commits with fixed ids, built on a copy, with or without git."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reporter.demo.history import (
    AUTHOR,
    BEFORE_FIX,
    FIX_COMMITTED_AT,
    PRE_FIX_AT,
    build_history,
    expected_history,
    tree_files,
)
from reporter.demo.seed import DEMO_SPEC_NAME, demo_spec_dir, demo_workspace
from reporter.spec import load_spec

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` with no user configuration; its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env |= {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, env=env, check=True, timeout=30
    )
    return done.stdout.decode("utf-8")


def markers() -> dict[str, list[str]]:
    """Each code marker of the demo spec, by the file it is in."""
    spec = load_spec(demo_spec_dir() / DEMO_SPEC_NAME).spec
    found: dict[str, list[str]] = {}
    for fix in spec.hotfixes:
        for marker in fix.code:
            found.setdefault(marker.path, []).append(marker.contains)
    return found


@pytest.fixture
def code_copy(tmp_path: Path) -> Path:
    target = tmp_path / "code"
    shutil.copytree(demo_spec_dir() / "code", target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@needs_git
def test_git_gives_the_ids_computed_without_it(code_copy: Path) -> None:
    expected = expected_history(code_copy)

    history = build_history(code_copy)

    assert history.git is True
    assert history.note is None
    assert (history.pre_fix, history.fix) == (expected.pre_fix, expected.fix)
    assert git(code_copy, "rev-parse", "HEAD").strip() == history.fix
    assert git(code_copy, "status", "--porcelain") == ""  # the fixed tree, all committed


@needs_git
def test_two_commits_with_fixed_dates_identity_and_branch(code_copy: Path) -> None:
    history = build_history(code_copy)

    log = git(code_copy, "log", "--format=%H|%an|%ae|%cn|%ce|%at|%ct|%s").splitlines()

    fix, pre_fix = (line.split("|") for line in log)
    assert fix[0] == history.fix
    assert pre_fix[0] == history.pre_fix
    for entry in (fix, pre_fix):
        assert entry[1:5] == [AUTHOR[0], AUTHOR[1], AUTHOR[0], AUTHOR[1]]
    assert datetime.fromtimestamp(int(fix[6]), UTC) == FIX_COMMITTED_AT
    assert datetime.fromtimestamp(int(pre_fix[6]), UTC) == PRE_FIX_AT
    assert int(fix[5]) < int(fix[6])  # authored before it was committed
    assert git(code_copy, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert git(code_copy, "rev-parse", "--show-object-format").strip() == "sha1"


@needs_git
def test_the_markers_arrive_with_the_fix_commit(code_copy: Path) -> None:
    history = build_history(code_copy)

    for path, texts in markers().items():
        assert path in BEFORE_FIX
        before = git(code_copy, "show", f"{history.pre_fix}:{path}")
        after = git(code_copy, "show", f"{history.fix}:{path}")
        for text in texts:
            assert text not in before, (path, text)
            assert text in after, (path, text)
    changed = git(code_copy, "diff", "--name-only", history.pre_fix, history.fix).split()
    assert sorted(changed) == sorted(BEFORE_FIX)


@needs_git
def test_the_image_revision_does_not_contain_the_fix(code_copy: Path) -> None:
    history = build_history(code_copy)

    def is_ancestor(ancestor: str, commit: str) -> bool:
        env = {
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "PATH": os.environ["PATH"],
        }
        done = subprocess.run(
            ["git", "-C", str(code_copy), "merge-base", "--is-ancestor", ancestor, commit],
            env=env, check=False, timeout=30,
        )  # fmt: skip
        return done.returncode == 0

    assert not is_ancestor(history.fix, history.pre_fix)
    assert is_ancestor(history.pre_fix, history.fix)


@needs_git
def test_no_user_configuration_is_read(code_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = code_copy.parent / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Someone Else\n\temail = else@example.com\n"
        "[commit]\n\tgpgsign = true\n[core]\n\tautocrlf = true\n\thooksPath = /nonexistent\n"
        "[init]\n\tdefaultBranch = trunk\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Environment Author")
    monkeypatch.setenv("GIT_DIR", str(home / "elsewhere.git"))

    history = build_history(code_copy)

    assert history.git is True
    assert (history.pre_fix, history.fix) == (
        expected_history(code_copy).pre_fix,
        expected_history(code_copy).fix,
    )
    assert not (home / "elsewhere.git").exists()


@pytest.fixture
def no_git_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``PATH`` holds only a folder without git."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_without_git_the_ids_are_computed_and_the_note_says_why(
    code_copy: Path, no_git_on_path: None
) -> None:
    before = tree_files(code_copy)

    history = build_history(code_copy)

    assert history.git is False
    assert history.note is not None
    assert "git is not on PATH" in history.note
    assert (history.pre_fix, history.fix) == (
        expected_history(code_copy).pre_fix,
        expected_history(code_copy).fix,
    )
    assert not (code_copy / ".git").exists()
    assert tree_files(code_copy) == before


def test_failing_git_leaves_the_fixed_tree_without_a_repository(
    code_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "fakebin"
    fake.mkdir()
    script = fake / "git"
    script.write_text("#!/bin/sh\necho 'fatal: disk on fire' >&2\nexit 128\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    before = tree_files(code_copy)

    history = build_history(code_copy)

    assert history.git is False
    assert history.note is not None
    assert "fatal: disk on fire" in history.note
    assert not (code_copy / ".git").exists()
    assert tree_files(code_copy) == before


def test_workspace_is_a_temporary_copy_removed_afterwards() -> None:
    bundled = demo_spec_dir()
    with demo_workspace() as workspace:
        folder = workspace.folder
        assert workspace.spec_path == folder / DEMO_SPEC_NAME
        loaded = load_spec(workspace.spec_path)
        assert loaded.code_root == (folder / "code").resolve()
        assert tree_files(folder / "code") == tree_files(bundled / "code")
        assert (folder / "code" / ".git").is_dir() == workspace.history.git
    assert not folder.exists()
    assert not (bundled / "code" / ".git").exists()


def test_the_demo_runs_without_git_and_its_git_checks_are_unknown(no_git_on_path: None) -> None:
    from reporter.demo import demo_bundle, demo_environment
    from reporter.model import Status

    with demo_environment() as demo:
        assert demo.history.git is False
        assert demo.history.note is not None

    bundle = demo_bundle()

    statuses = {check.id: check for check in bundle.checks}
    assert statuses["image.found"].status is Status.PASS
    for fix in ("multi-platform-parsing", "force-task-restart", "parser-regex-fix"):
        after_fix = statuses[f"{fix}.image_after_fix"]
        assert after_fix.status is Status.UNKNOWN, after_fix
        assert "git" in after_fix.summary
        assert statuses[f"{fix}.code_has_marker"].status is Status.PASS
    assert bundle.verdict.value == "NOT_DEPLOYED"  # the logs still show the old code
