"""The source-code collector, against real files and real git repositories in tmp_path."""

from __future__ import annotations

import io
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reporter.checks import code_has_marker
from reporter.collect.code import (
    CHUNK_BYTES,
    LINE_TEXT_CHARS,
    MAX_LINE_NUMBERS,
    collect_code,
    scan_many,
    scan_stream,
)
from reporter.collect.git import GitSession
from reporter.model import CodeEvidence, CodeMarkerEvidence, FixCommit, Status
from reporter.redact import Redactor
from reporter.spec import HotfixSection
from tests.collect.gitrepo import commit, git, hotfix, init_repo, isolated_git, needs_git, write

pytestmark = [needs_git, pytest.mark.usefixtures("isolated_git")]

__all__ = ["isolated_git"]  # the fixture, imported for pytest

REDACTOR = Redactor()


# --------------------------------------------------------------------------- helpers


def only_marker(evidence: CodeEvidence) -> CodeMarkerEvidence:
    assert len(evidence.markers) == 1
    return evidence.markers[0]


def only_commit(evidence: CodeEvidence) -> FixCommit:
    assert len(evidence.fix_commits) == 1
    return evidence.fix_commits[0]


# --------------------------------------------------------------------------- markers

WEBSOCKET = """\
import logging

logger = logging.getLogger(__name__)


async def handle(platforms):
    logger.info(f"Requested platforms: {platforms}")
    return platforms
"""


def test_marker_found_with_line_number_and_text(tmp_path: Path) -> None:
    write(tmp_path / "backend/app/api/websocket.py", WEBSOCKET)
    fix = hotfix("multi", ("backend/app/api/websocket.py", "Requested platforms"))

    marker = only_marker(collect_code(tmp_path, [fix], (), REDACTOR))

    assert marker.hotfix == "multi"
    assert marker.path == "backend/app/api/websocket.py"
    assert marker.text == "Requested platforms"
    assert marker.found is True
    assert marker.file_exists is True
    assert marker.lines == (7,)
    assert marker.line_text == 'logger.info(f"Requested platforms: {platforms}")'
    assert marker.error is None


def test_several_occurrences_each_line_once(tmp_path: Path) -> None:
    write(tmp_path / "a.py", "x = 1  # MARK\nnothing\nMARK MARK MARK\n\nend MARK")
    marker = only_marker(collect_code(tmp_path, [hotfix("h", ("a.py", "MARK"))], (), REDACTOR))
    assert marker.found is True
    assert marker.lines == (1, 3, 5)
    assert marker.line_text == "x = 1  # MARK"


def test_markers_in_spec_order_across_hotfixes(tmp_path: Path) -> None:
    write(tmp_path / "a.py", "alpha\nbeta\n")
    fixes = [
        hotfix("one", ("a.py", "beta"), ("a.py", "alpha")),
        HotfixSection(id="no-code", expect_logs=("x",)),
        hotfix("two", ("a.py", "gamma")),
    ]
    evidence = collect_code(tmp_path, fixes, (), REDACTOR)
    got = [(m.hotfix, m.text, m.found, m.lines) for m in evidence.markers]
    assert got == [
        ("one", "beta", True, (2,)),
        ("one", "alpha", True, (1,)),
        ("two", "gamma", False, ()),
    ]


def test_missing_file(tmp_path: Path) -> None:
    write(tmp_path / "other.py", "x")
    marker = only_marker(
        collect_code(tmp_path, [hotfix("h", ("nope/missing.py", "x"))], (), REDACTOR)
    )
    assert marker.found is False
    assert marker.file_exists is False
    assert marker.error is None


def test_path_through_a_file_is_missing(tmp_path: Path) -> None:
    write(tmp_path / "a.py", "x")
    marker = only_marker(collect_code(tmp_path, [hotfix("h", ("a.py/b.py", "x"))], (), REDACTOR))
    assert marker.found is False
    assert marker.file_exists is False


def test_missing_text(tmp_path: Path) -> None:
    write(tmp_path / "a.py", WEBSOCKET)
    marker = only_marker(
        collect_code(tmp_path, [hotfix("h", ("a.py", "requested platforms"))], (), REDACTOR)
    )
    assert marker.found is False  # case-sensitive
    assert marker.file_exists is True
    assert marker.lines == ()
    assert marker.line_text is None
    assert marker.error is None


def test_empty_file(tmp_path: Path) -> None:
    write(tmp_path / "empty.py", b"")
    marker = only_marker(collect_code(tmp_path, [hotfix("h", ("empty.py", "x"))], (), REDACTOR))
    assert (marker.found, marker.file_exists, marker.lines) == (False, True, ())


def test_non_utf8_bytes_around_the_marker(tmp_path: Path) -> None:
    data = b"\xff\xfe junk\n\x80\x81 before Requested platforms after \xc3\x28\r\n\xfe"
    write(tmp_path / "bin.dat", data)
    marker = only_marker(
        collect_code(tmp_path, [hotfix("h", ("bin.dat", "Requested platforms"))], (), REDACTOR)
    )
    assert marker.found is True
    assert marker.lines == (2,)
    assert marker.line_text == "\\x80\\x81 before Requested platforms after \\xc3("


def test_non_ascii_marker_matches_utf8_bytes(tmp_path: Path) -> None:
    write(tmp_path / "a.py", "# ok\nprint('Plattformen für alle — ✓')\n")
    marker = only_marker(
        collect_code(tmp_path, [hotfix("h", ("a.py", "für alle — ✓"))], (), REDACTOR)
    )
    assert marker.lines == (2,)
    assert marker.line_text == "print('Plattformen für alle — ✓')"


def test_special_characters_in_text_and_path(tmp_path: Path) -> None:
    text = """-x "quoted" 'single' $HOME `tick` \\ ; | & * [a-z] {x} %s"""
    path = "src/we[ir]d *dir/file name?.py"
    write(tmp_path / path, f"first\n    call({text})\n")
    marker = only_marker(collect_code(tmp_path, [hotfix("h", (path, text))], (), REDACTOR))
    assert marker.found is True
    assert marker.lines == (2,)
    assert marker.line_text == f"call({text})"


def test_line_text_is_redacted_cut_and_visible(tmp_path: Path) -> None:
    secret = "AKIAIOSFODNN7EXAMPLE"
    long_tail = "y" * 1000
    write(
        tmp_path / "a.py",
        f"key = '{secret}'  # MARK\n\x1b[31mMARK2 <b>html</b>\nMARK3 {long_tail}\n",
    )
    fix = hotfix("h", ("a.py", "# MARK"), ("a.py", "MARK2"), ("a.py", "MARK3"))
    first, second, third = collect_code(tmp_path, [fix], (), REDACTOR).markers
    assert first.line_text == "key = '[REDACTED]'  # MARK"
    assert second.line_text == "\\x1b[31mMARK2 <b>html</b>"
    assert third.line_text is not None
    assert third.line_text.startswith("MARK3 yyy")
    assert "more characters cut" in third.line_text
    assert len(third.line_text) < LINE_TEXT_CHARS + 60


def test_multiline_text_counts_on_its_first_line(tmp_path: Path) -> None:
    write(tmp_path / "a.py", "one\ntwo\nthree\n")
    marker = only_marker(
        collect_code(tmp_path, [hotfix("h", ("a.py", "two\nthree"))], (), REDACTOR)
    )
    assert marker.lines == (2,)
    assert marker.line_text == "two"


def test_marker_straddling_chunks_in_a_long_line(tmp_path: Path) -> None:
    """A multi-MiB line: found across the chunk boundary, line text read back bounded."""
    marker_text = "Requested platforms"
    cut = CHUNK_BYTES - 5
    data = b"line one\n" + b"z" * cut + marker_text.encode() + b"z" * (2 * CHUNK_BYTES) + b"\nlast"
    write(tmp_path / "big.min.js", data)
    fix = hotfix("h", ("big.min.js", marker_text), ("big.min.js", "last"))
    big, last = collect_code(tmp_path, [fix], (), REDACTOR).markers
    assert big.lines == (2,)
    assert big.line_text is not None
    assert big.line_text.startswith("zzz")
    assert "more characters cut" in big.line_text
    assert last.lines == (3,)
    assert last.line_text == "last"


def test_line_numbers_are_capped(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "hit\n" * (MAX_LINE_NUMBERS + 50))
    marker = only_marker(collect_code(tmp_path, [hotfix("h", ("a.txt", "hit"))], (), REDACTOR))
    assert marker.found is True
    assert marker.lines == tuple(range(1, MAX_LINE_NUMBERS + 1))


# --------------------------------------------------------------------------- unreadable


def test_directory_instead_of_file(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "module.py").mkdir(parents=True)
    marker = only_marker(
        collect_code(tmp_path, [hotfix("h", ("pkg/module.py", "x"))], (), REDACTOR)
    )
    assert marker.found is None
    assert marker.file_exists is True
    assert marker.error is not None
    assert marker.error.operation == "read file"
    assert marker.error.code == "IsADirectory"
    assert "pkg/module.py" in marker.error.message


def test_dangling_symlink(tmp_path: Path) -> None:
    (tmp_path / "link.py").symlink_to(tmp_path / "gone.py")
    marker = only_marker(collect_code(tmp_path, [hotfix("h", ("link.py", "x"))], (), REDACTOR))
    assert marker.found is None
    assert marker.error is not None
    assert marker.error.operation == "read file"
    assert marker.error.code == "BrokenSymlink"


def test_symlink_inside_root_is_followed(tmp_path: Path) -> None:
    write(tmp_path / "real" / "a.py", "MARK\n")
    (tmp_path / "alias.py").symlink_to(Path("real") / "a.py")
    marker = only_marker(collect_code(tmp_path, [hotfix("h", ("alias.py", "MARK"))], (), REDACTOR))
    assert marker.found is True
    assert marker.lines == (1,)


def test_symlink_out_of_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    write(tmp_path / "outside.py", "SECRET MARK\n")
    (root / "escape.py").symlink_to(tmp_path / "outside.py")
    marker = only_marker(collect_code(root, [hotfix("h", ("escape.py", "MARK"))], (), REDACTOR))
    assert marker.found is None
    assert marker.line_text is None
    assert marker.error is not None
    assert marker.error.code == "OutsideRoot"


def test_fifo_is_not_a_file_and_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    marker = only_marker(collect_code(tmp_path, [hotfix("h", ("pipe.py", "x"))], (), REDACTOR))
    assert marker.found is None
    assert marker.error is not None
    assert marker.error.code == "NotAFile"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path / "secret.py", "MARK")
    path.chmod(0)
    try:
        marker = only_marker(
            collect_code(tmp_path, [hotfix("h", ("secret.py", "MARK"))], (), REDACTOR)
        )
    finally:
        path.chmod(0o600)
    assert marker.found is None
    assert marker.file_exists is True
    assert marker.error is not None
    assert marker.error.code == "PermissionDenied"


def test_root_missing(tmp_path: Path) -> None:
    root = tmp_path / "no-such-checkout"
    fixes = [hotfix("a", ("x.py", "x"), ("y.py", "y")), hotfix("b", ("z.py", "z"))]
    evidence = collect_code(root, fixes, {"a"}, REDACTOR)
    assert evidence.root == str(root)
    assert evidence.error is not None
    assert evidence.error.code == "NotFound"
    assert [(m.hotfix, m.path, m.found) for m in evidence.markers] == [
        ("a", "x.py", None),
        ("a", "y.py", None),
        ("b", "z.py", None),
    ]
    assert all(m.error == evidence.error for m in evidence.markers)
    assert [(c.hotfix, c.error) for c in evidence.fix_commits] == [("a", evidence.error)]
    assert evidence.is_git is False


def test_root_is_a_file(tmp_path: Path) -> None:
    root = write(tmp_path / "file", "x")
    evidence = collect_code(root, [hotfix("a", ("x.py", "x"))], (), REDACTOR)
    assert evidence.error is not None
    assert evidence.error.code == "NotADirectory"
    assert only_marker(evidence).found is None


# --------------------------------------------------------------------------- git


def test_newest_marker_commit_wins(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "app/ws.py", "base\n")
    commit(repo, "initial", "2025-11-20T10:00:00Z")
    write(repo / "app/ws.py", "base\nlogger.info('Requested platforms')\n")
    c2 = commit(repo, "log requested platforms", "2025-11-25T10:00:00Z")
    write(repo / "app/tasks.py", "force_restart = True\n")
    c3 = commit(repo, "fix: force task restart", "2025-11-26T07:30:00+02:00")
    write(repo / "README.md", "unrelated\n")
    c4 = commit(repo, "docs", "2025-11-27T10:00:00Z")

    fix = hotfix("h", ("app/ws.py", "Requested platforms"), ("app/tasks.py", "force_restart"))
    evidence = collect_code(repo.resolve(), [fix], {"h"}, REDACTOR)

    assert evidence.is_git is True
    assert evidence.head == c4
    assert evidence.error is None
    assert [m.found for m in evidence.markers] == [True, True]
    found = only_commit(evidence)
    assert found.error is None
    assert found.commit == c3 != c2
    assert found.committed_at == datetime(2025, 11, 26, 5, 30, tzinfo=UTC)
    assert found.committed_at is not None
    assert found.committed_at.utcoffset() is not None
    assert found.subject == "fix: force task restart"
    assert evidence.fix_commit("h") == found


def test_entry_order_does_not_matter(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "b.py", "SECOND\n")
    write(repo / "a.py", "")
    commit(repo, "b", "2025-11-25T10:00:00Z")
    write(repo / "a.py", "FIRST\n")
    c2 = commit(repo, "a", "2025-11-26T10:00:00Z")
    fix = hotfix("h", ("a.py", "FIRST"), ("b.py", "SECOND"))
    reversed_fix = hotfix("h", ("b.py", "SECOND"), ("a.py", "FIRST"))
    assert only_commit(collect_code(repo, [fix], {"h"}, REDACTOR)).commit == c2
    assert only_commit(collect_code(repo, [reversed_fix], {"h"}, REDACTOR)).commit == c2


def test_fix_commits_only_for_wanted_hotfixes_with_code(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "A\nB\n")
    c1 = commit(repo, "both", "2025-11-25T10:00:00Z")
    fixes = [
        hotfix("a", ("a.py", "A")),
        hotfix("b", ("a.py", "B")),
        HotfixSection(id="c", expect_logs=("x",)),
    ]
    evidence = collect_code(repo, fixes, {"b", "c"}, REDACTOR)
    assert [(c.hotfix, c.commit) for c in evidence.fix_commits] == [("b", c1)]
    assert evidence.fix_commit("a") is None


def test_marker_only_in_working_tree_is_not_committed(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "old\n")
    commit(repo, "initial", "2025-11-25T10:00:00Z")
    write(repo / "a.py", "old\nNEW MARKER\n")
    evidence = collect_code(repo, [hotfix("h", ("a.py", "NEW MARKER"))], {"h"}, REDACTOR)
    assert only_marker(evidence).found is True
    found = only_commit(evidence)
    assert found.commit is None
    assert found.committed_at is None
    assert found.error is not None
    assert found.error.operation == "git log"
    assert found.error.code == "NotCommitted"
    assert found.error.message.startswith("“NEW MARKER” in a.py ")


def test_untracked_file_is_not_committed(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "x\n")
    commit(repo, "initial", "2025-11-25T10:00:00Z")
    write(repo / "new.py", "MARK\n")
    found = only_commit(collect_code(repo, [hotfix("h", ("new.py", "MARK"))], {"h"}, REDACTOR))
    assert found.error is not None
    assert found.error.code == "NotCommitted"


def test_one_uncommitted_marker_makes_the_fix_uncommitted(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "DONE\n")
    commit(repo, "part one", "2025-11-25T10:00:00Z")
    write(repo / "b.py", "PENDING\n")
    fix = hotfix("h", ("a.py", "DONE"), ("b.py", "PENDING"))
    found = only_commit(collect_code(repo, [fix], {"h"}, REDACTOR))
    assert found.commit is None
    assert found.error is not None
    assert found.error.code == "NotCommitted"
    assert "b.py" in found.error.message


def test_a_commit_that_removed_the_marker_is_not_the_fix(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "MARK\n")
    commit(repo, "add", "2025-11-24T10:00:00Z")
    write(repo / "a.py", "gone\n")
    commit(repo, "revert", "2025-11-25T10:00:00Z")
    write(repo / "a.py", "MARK\n")  # back, but only in the working tree
    found = only_commit(collect_code(repo, [hotfix("h", ("a.py", "MARK"))], {"h"}, REDACTOR))
    assert found.commit is None
    assert found.error is not None
    assert found.error.code == "NotCommitted"


def test_repository_without_commits(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "MARK\n")
    evidence = collect_code(repo, [hotfix("h", ("a.py", "MARK"))], {"h"}, REDACTOR)
    assert evidence.is_git is True
    assert evidence.head is None
    found = only_commit(evidence)
    assert found.error is not None
    assert found.error.code == "NotCommitted"


def test_root_is_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "backend/app/ws.py", "x\nMARK\n")
    c1 = commit(repo, "add marker", "2025-11-25T10:00:00Z")
    evidence = collect_code(
        (repo / "backend").resolve(), [hotfix("h", ("app/ws.py", "MARK"))], {"h"}, REDACTOR
    )
    assert evidence.is_git is True
    assert only_marker(evidence).lines == (2,)
    assert only_commit(evidence).commit == c1


def test_special_characters_with_git(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    text = """-S "quoted" 'single' $(echo no) `tick` ; | & * [a-z] %x00 --all"""
    path = "src/we[ir]d *dir/fïle name?.py"
    write(repo / "src/wei.py", f"{text}\n")  # would match the glob, must not be used
    write(repo / path, "nothing yet\n")
    commit(repo, "initial", "2025-11-24T10:00:00Z")
    write(repo / path, f"nothing yet\n{text}\n")
    c2 = commit(repo, "add 'marker' with \"quotes\"", "2025-11-25T10:00:00Z")
    write(repo / "src/wei.py", f"{text}\n{text}\n")
    commit(repo, "decoy", "2025-11-26T10:00:00Z")
    evidence = collect_code(repo, [hotfix("h", (path, text))], {"h"}, REDACTOR)
    assert only_marker(evidence).lines == (2,)
    found = only_commit(evidence)
    assert found.error is None
    assert found.commit == c2
    assert found.subject == "add 'marker' with \"quotes\""


def test_subject_is_redacted(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "MARK\n")
    commit(repo, "use key AKIAIOSFODNN7EXAMPLE \x1b[1m", "2025-11-25T10:00:00Z")
    found = only_commit(collect_code(repo, [hotfix("h", ("a.py", "MARK"))], {"h"}, REDACTOR))
    assert found.subject is not None
    assert "AKIA" not in found.subject
    assert "[REDACTED]" in found.subject


def test_not_a_git_checkout(tmp_path: Path) -> None:
    write(tmp_path / "plain/a.py", "MARK\n")
    evidence = collect_code(
        (tmp_path / "plain").resolve(), [hotfix("h", ("a.py", "MARK"))], {"h"}, REDACTOR
    )
    assert evidence.is_git is False
    assert evidence.head is None
    assert evidence.error is None
    assert only_marker(evidence).found is True
    found = only_commit(evidence)
    assert found.error is not None
    assert found.error.code == "NotGit"


def test_not_a_git_checkout_without_wanted_commits(tmp_path: Path) -> None:
    write(tmp_path / "a.py", "MARK\n")
    evidence = collect_code(tmp_path, [hotfix("h", ("a.py", "MARK"))], (), REDACTOR)
    assert evidence.is_git is False
    assert evidence.fix_commits == ()
    assert evidence.error is None


def test_git_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "MARK\n")
    commit(repo, "add", "2025-11-25T10:00:00Z")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    evidence = collect_code(repo, [hotfix("h", ("a.py", "MARK"))], {"h"}, REDACTOR)
    assert evidence.is_git is False
    assert evidence.error is None
    assert only_marker(evidence).found is True
    found = only_commit(evidence)
    assert found.error is not None
    assert found.error.code == "GitNotFound"


def test_git_failing_reports_its_stderr(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "MARK\n")
    commit(repo, "add", "2025-11-25T10:00:00Z")
    blob = git(repo, "rev-parse", "HEAD:a.py")
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # a corrupt repository
    evidence = collect_code(repo, [hotfix("h", ("a.py", "MARK"))], {"h"}, REDACTOR)
    assert evidence.is_git is True
    found = only_commit(evidence)
    assert found.commit is None
    assert found.error is not None
    assert found.error.code == "GitError"
    assert blob[:7] in found.error.message
    assert "\n" not in found.error.message


def slow_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hang_on: str) -> Path:
    """A `git` first on PATH that hangs on one subcommand and runs the real git otherwise.

    The hanging one writes its process id to the file returned before it sleeps.
    """
    real = shutil.which("git")
    assert real is not None
    bin_dir = tmp_path / "slow-bin"
    pid_file = tmp_path / "slow.pid"
    write(
        bin_dir / "git",
        f'#!/bin/sh\ncase "$*" in *" {hang_on} "*) echo $$ > {pid_file}; exec sleep 30;; esac\n'
        f'exec {real} "$@"\n',
    ).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return pid_file


@pytest.mark.parametrize(
    ("hang_on", "operation"), [("log", "git log"), ("cat-file", "git cat-file")]
)
def test_git_budget_ends_a_hanging_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hang_on: str, operation: str
) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "MARK\n")
    commit(repo, "add", "2025-11-25T10:00:00Z")
    pid_file = slow_git(tmp_path, monkeypatch, hang_on)
    with GitSession(repo, REDACTOR, budget_s=0.5) as session:
        evidence = collect_code(repo, [hotfix("h", ("a.py", "MARK"))], {"h"}, REDACTOR, git=session)
    assert evidence.is_git is True
    found = only_commit(evidence)
    assert found.error is not None
    assert (found.error.operation, found.error.code) == (operation, "Timeout")
    assert "0.5 s" in found.error.message
    with pytest.raises(ProcessLookupError):  # the hanging process was killed and reaped
        os.kill(int(pid_file.read_text()), 0)


def test_inherited_git_dir_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = init_repo(tmp_path / "other")
    write(other / "o.py", "o\n")
    commit(other, "other", "2025-11-20T10:00:00Z")
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "MARK\n")
    c1 = commit(repo, "add", "2025-11-25T10:00:00Z")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    evidence = collect_code(repo, [hotfix("h", ("a.py", "MARK"))], {"h"}, REDACTOR)
    assert evidence.head == c1
    assert only_commit(evidence).commit == c1


def test_evidence_round_trips_through_json(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "\xff MARK\n")
    commit(repo, "add", "2025-11-25T10:00:00+05:00")
    evidence = collect_code(repo, [hotfix("h", ("a.py", "MARK"), ("b.py", "x"))], {"h"}, REDACTOR)
    assert CodeEvidence.model_validate_json(evidence.model_dump_json()) == evidence


# --------------------------------------------------------------------------- scanning


def naive_lines(data: bytes, needle: bytes) -> list[int]:
    lines: list[int] = []
    start = data.find(needle)
    while start >= 0:
        line = data.count(b"\n", 0, start) + 1
        if not lines or lines[-1] != line:
            lines.append(line)
        start = data.find(needle, start + 1)
    return lines


def naive_line_start(data: bytes, needle: bytes) -> int | None:
    start = data.find(needle)
    return None if start < 0 else data.rfind(b"\n", 0, start) + 1


@settings(max_examples=400, deadline=None)
@given(
    data=st.lists(st.sampled_from([b"a", b"b", b"\n", b"ab", b"a\n", b"\xff"]), max_size=60).map(
        b"".join
    ),
    needle=st.lists(st.sampled_from([b"a", b"b", b"\n"]), min_size=1, max_size=4).map(b"".join),
    chunk_size=st.integers(min_value=1, max_value=9),
)
def test_scan_stream_matches_a_naive_search(data: bytes, needle: bytes, chunk_size: int) -> None:
    result = scan_stream(io.BytesIO(data).read, needle, chunk_size=chunk_size)
    assert result.lines == naive_lines(data, needle)
    assert result.first_line_start == naive_line_start(data, needle)


def test_scan_stream_stops_at_max_lines() -> None:
    result = scan_stream(io.BytesIO(b"x\nx\nx\nx\n").read, b"x", chunk_size=3, max_lines=2)
    assert result.lines == [1, 2]


def test_scan_stream_refuses_an_empty_needle() -> None:
    with pytest.raises(ValueError, match="empty"):
        scan_stream(io.BytesIO(b"x").read, b"")


# --------------------------------------------------------------------------- byte budgets


def bytes_read_by_this_process() -> int:
    """``rchar`` of /proc/self/io: every byte this process read through a system call."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs /proc/self/io")
def test_sparse_file_costs_only_the_budget(tmp_path: Path) -> None:
    sparse = tmp_path / "big.py"
    with sparse.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024 * 1024)  # 64 GiB of holes
    budget = 4 * 1024 * 1024
    before = bytes_read_by_this_process()
    evidence = collect_code(
        tmp_path, [hotfix("h", ("big.py", "MARK"))], (), REDACTOR, file_budget=budget
    )
    read = bytes_read_by_this_process() - before
    assert read < 2 * budget  # not 64 GiB: the budget (plus a probe byte and small files)
    marker = only_marker(evidence)
    assert marker.found is None  # not known absent
    assert marker.file_exists is True
    assert marker.error is not None
    assert marker.error.code == "ScanBudget"
    assert "4 MiB of 64 GiB" in marker.error.message
    check = code_has_marker(hotfix("h", ("big.py", "MARK")), evidence)
    assert check.status is Status.UNKNOWN


def test_marker_before_the_cut_is_found(tmp_path: Path) -> None:
    write(tmp_path / "big.py", b"MARK\n" + b"x" * 300_000)
    evidence = collect_code(
        tmp_path, [hotfix("h", ("big.py", "MARK"))], (), REDACTOR, file_budget=100_000
    )
    marker = only_marker(evidence)
    assert (marker.found, marker.lines, marker.error) == (True, (1,), None)


def test_file_exactly_at_the_budget_is_read_whole(tmp_path: Path) -> None:
    write(tmp_path / "a.py", b"x" * 99_995 + b"MARK\n")
    marker = only_marker(
        collect_code(tmp_path, [hotfix("h", ("a.py", "MARK"))], (), REDACTOR, file_budget=100_000)
    )
    assert marker.found is True
    absent = only_marker(
        collect_code(tmp_path, [hotfix("h", ("a.py", "NOPE"))], (), REDACTOR, file_budget=100_000)
    )
    assert (absent.found, absent.error) == (False, None)


def test_total_budget_spans_every_file(tmp_path: Path) -> None:
    for name in ("a.py", "b.py", "c.py"):
        write(tmp_path / name, b"x" * 40_000 + b"\nMARK\n")
    fixes = [hotfix("h", ("a.py", "MARK"), ("b.py", "MARK"), ("c.py", "NOPE"))]
    evidence = collect_code(tmp_path, fixes, (), REDACTOR, total_budget=60_000)
    a, b, c = evidence.markers
    assert a.found is True
    assert b.found is None  # the run's budget ran out inside b.py
    assert b.error is not None
    assert b.error.code == "ScanBudget"
    assert "for all code files of the run" in b.error.message
    assert c.found is None
    assert c.error is not None
    assert c.error.code == "ScanBudget"


def test_one_read_per_file_for_several_markers(tmp_path: Path) -> None:
    write(tmp_path / "a.py", b"ALPHA\n" + b"x" * 50_000 + b"\nBETA\n")
    fixes = [hotfix("one", ("a.py", "ALPHA")), hotfix("two", ("a.py", "BETA"), ("a.py", "GAMMA"))]
    evidence = collect_code(tmp_path, fixes, (), REDACTOR, total_budget=60_000)
    assert [(m.hotfix, m.text, m.found) for m in evidence.markers] == [
        ("one", "ALPHA", True),
        ("two", "BETA", True),
        ("two", "GAMMA", False),
    ]


@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(st.sampled_from([b"a", b"b", b"\n", b"ab", b"ba\n"]), max_size=40).map(b"".join),
    needles=st.lists(
        st.lists(st.sampled_from([b"a", b"b", b"\n"]), min_size=1, max_size=3).map(b"".join),
        min_size=1,
        max_size=4,
    ),
    limit=st.integers(min_value=0, max_value=50),
    chunk_size=st.integers(min_value=1, max_value=7),
)
def test_scan_many_is_each_needle_over_the_first_limit_bytes(
    data: bytes, needles: list[bytes], limit: int, chunk_size: int
) -> None:
    outcome = scan_many(io.BytesIO(data).read, needles, limit=limit, chunk_size=chunk_size)
    seen = data[:limit]
    assert outcome.bytes_read == len(seen)
    assert outcome.cut == (len(data) > limit)
    for needle, result in zip(needles, outcome.results, strict=True):
        assert result.lines == naive_lines(seen, needle)


def test_empty_file_is_read_even_when_the_budget_is_spent(tmp_path: Path) -> None:
    write(tmp_path / "a.py", b"x" * 10)
    write(tmp_path / "empty.py", b"")
    fixes = [hotfix("h", ("a.py", "x"), ("empty.py", "MARK"))]
    evidence = collect_code(tmp_path, fixes, (), REDACTOR, total_budget=10)
    assert [(m.found, m.error) for m in evidence.markers] == [(True, None), (False, None)]
