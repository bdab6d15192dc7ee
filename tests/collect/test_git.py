"""Git evidence on real repositories: fix commits on the first-parent history, git with no
way out (partial clones, hostile configuration, one time budget, cancel), and ancestry of
the fix commit in the image's revision."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reporter.collect.code import collect_code
from reporter.collect.git import GitSession, collect_revision, git_argv, git_environment
from reporter.errors import Cancelled
from reporter.model import FixCommit, RevisionEvidence
from reporter.redact import Redactor
from tests.collect.gitrepo import (
    commit,
    git,
    head,
    hotfix,
    init_repo,
    isolated_git,
    merge,
    needs_git,
    switch,
    write,
)

pytestmark = [needs_git, pytest.mark.usefixtures("isolated_git")]

__all__ = ["isolated_git"]  # the fixture, imported for pytest

REDACTOR = Redactor()


def fix_of(
    repo: Path, *entries: tuple[str, str], git_session: GitSession | None = None
) -> FixCommit:
    """The fix commit of one hotfix with ``entries``, collected in ``repo``."""
    fixes = [hotfix("h", *entries)]
    if git_session is None:
        evidence = collect_code(repo, fixes, {"h"}, REDACTOR)
    else:
        evidence = collect_code(repo, fixes, {"h"}, REDACTOR, git=git_session)
    assert len(evidence.fix_commits) == 1
    return evidence.fix_commits[0]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --------------------------------------------------------------------------- first parent


def branch_merged_after_the_image(repo: Path) -> dict[str, str]:
    """The issue's case: fix on a branch at 10:00, main moves on at 12:00, merge at 15:00."""
    init_repo(repo)
    write(repo / "app/ws.py", "base\n")
    ids = {"base": commit(repo, "initial", "2025-11-24T09:00:00Z")}
    switch(repo, "fix", create=True)
    write(repo / "app/ws.py", "base\nlogger.info('Requested platforms')\n")
    ids["branch"] = commit(repo, "log requested platforms", "2025-11-25T10:00:00Z")
    write(repo / "app/other.py", "tidy\n")
    ids["branch_tip"] = commit(repo, "tidy up", "2025-11-25T11:00:00Z")
    switch(repo, "main")
    write(repo / "README.md", "built into the 12:00 image\n")
    ids["main"] = commit(repo, "docs", "2025-11-25T12:00:00Z")
    ids["merge"] = merge(repo, "fix", "Merge branch 'fix'", "2025-11-25T15:00:00Z")
    return ids


def test_no_ff_merge_dates_the_fix_by_the_merge(tmp_path: Path) -> None:
    ids = branch_merged_after_the_image(tmp_path / "repo")
    found = fix_of(tmp_path / "repo", ("app/ws.py", "Requested platforms"))
    assert found.error is None
    assert found.commit == ids["merge"]
    assert found.committed_at == utc("2025-11-25T15:00:00Z")
    assert found.subject == "Merge branch 'fix'"
    assert found.via_merge is True
    assert found.introduced_by == ids["branch"]  # the branch commit that added it, not the tip
    assert found.method == (
        "git log --first-parent -m '--format=%H %cI %s' '-SRequested platforms' -- app/ws.py"
    )


def test_method_reproduces_the_answer(tmp_path: Path) -> None:
    """The command in ``method``, run in code.root, lists the fix commit first."""
    ids = branch_merged_after_the_image(tmp_path / "repo")
    found = fix_of(tmp_path / "repo", ("app/ws.py", "Requested platforms"))
    assert found.method is not None
    import shlex

    argv = shlex.split(found.method)
    assert argv[0] == "git"
    listed = git(tmp_path / "repo", *argv[1:]).splitlines()
    assert listed[0].split()[0] == ids["merge"]


def test_fast_forward_dates_the_fix_by_its_own_commit(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "base\n")
    commit(repo, "initial", "2025-11-24T09:00:00Z")
    switch(repo, "fix", create=True)
    write(repo / "a.py", "base\nMARK\n")
    fixed = commit(repo, "fix", "2025-11-25T10:00:00Z")
    switch(repo, "main")
    merge(repo, "fix", "unused", "2025-11-25T15:00:00Z", "--ff-only")
    found = fix_of(repo, ("a.py", "MARK"))
    assert (found.commit, found.via_merge, found.introduced_by) == (fixed, False, None)
    assert found.committed_at == utc("2025-11-25T10:00:00Z")


def test_squash_merge_is_the_squash_commit(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "base\n")
    commit(repo, "initial", "2025-11-24T09:00:00Z")
    switch(repo, "fix", create=True)
    write(repo / "a.py", "base\nMARK\n")
    commit(repo, "fix part 1", "2025-11-25T10:00:00Z")
    write(repo / "b.py", "more\n")
    commit(repo, "fix part 2", "2025-11-25T11:00:00Z")
    switch(repo, "main")
    git(repo, "merge", "-q", "--squash", "fix")
    squashed = commit(repo, "Fix (#12)", "2025-11-25T15:00:00Z")
    found = fix_of(repo, ("a.py", "MARK"))
    assert (found.commit, found.via_merge) == (squashed, False)
    assert found.committed_at == utc("2025-11-25T15:00:00Z")


def test_rebased_commit_keeps_an_old_author_date_but_counts_by_committer(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "base\n")
    commit(repo, "initial", "2025-11-20T09:00:00Z")
    switch(repo, "fix", create=True)
    write(repo / "a.py", "base\nMARK\n")
    commit(repo, "fix", "2025-11-21T10:00:00Z")
    switch(repo, "main")
    write(repo / "b.py", "main moved\n")
    commit(repo, "main", "2025-11-24T09:00:00Z")
    switch(repo, "fix")
    git(repo, "rebase", "-q", "main", when="2025-11-25T15:00:00Z")
    rebased = head(repo)
    switch(repo, "main")
    merge(repo, "fix", "unused", "2025-11-25T16:00:00Z", "--ff-only")
    assert git(repo, "log", "-1", "--format=%aI", rebased) == "2025-11-21T10:00:00+00:00"
    found = fix_of(repo, ("a.py", "MARK"))
    assert found.commit == rebased
    assert found.committed_at == utc("2025-11-25T15:00:00Z")


def test_cherry_pick_counts_by_committer_time(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "base\n")
    commit(repo, "initial", "2025-11-20T09:00:00Z")
    switch(repo, "develop", create=True)
    write(repo / "a.py", "base\nMARK\n")
    original = commit(repo, "fix on develop", "2025-11-21T10:00:00Z")
    switch(repo, "main")
    git(repo, "cherry-pick", "-x", original, when="2025-11-25T15:00:00Z")
    picked = head(repo)
    found = fix_of(repo, ("a.py", "MARK"))
    assert found.commit == picked != original
    assert found.committed_at == utc("2025-11-25T15:00:00Z")
    assert found.via_merge is False


def test_latest_introduction_counts_not_the_latest_change(tmp_path: Path) -> None:
    """A later commit that adds a second occurrence does not move the fix time."""
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "base\n")
    commit(repo, "initial", "2025-11-20T09:00:00Z")
    write(repo / "a.py", "base\nMARK\n")
    added = commit(repo, "add", "2025-11-21T09:00:00Z")
    write(repo / "a.py", "base\nMARK\nMARK again\n")
    commit(repo, "use it twice", "2025-11-26T09:00:00Z")
    assert fix_of(repo, ("a.py", "MARK")).commit == added


def test_removed_and_re_added_marker_dates_from_the_re_addition(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "base\nMARK\n")
    commit(repo, "add", "2025-11-20T09:00:00Z")
    write(repo / "a.py", "base\n")
    commit(repo, "revert", "2025-11-21T09:00:00Z")
    switch(repo, "again", create=True)
    write(repo / "a.py", "base\nMARK\n")
    readded = commit(repo, "re-add", "2025-11-22T09:00:00Z")
    switch(repo, "main")
    write(repo / "b.py", "x\n")
    commit(repo, "unrelated", "2025-11-23T09:00:00Z")
    merged = merge(repo, "again", "merge again", "2025-11-24T09:00:00Z")
    write(repo / "a.py", "changed above\nbase\nMARK\n")
    commit(repo, "edit around it", "2025-11-25T09:00:00Z")
    found = fix_of(repo, ("a.py", "MARK"))
    assert (found.commit, found.introduced_by) == (merged, readded)
    assert found.committed_at == utc("2025-11-24T09:00:00Z")


def test_several_markers_fixed_when_the_last_arrived(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "base\n")
    commit(repo, "initial", "2025-11-20T09:00:00Z")
    switch(repo, "part2", create=True)
    write(repo / "b.py", "SECOND\n")
    second = commit(repo, "second part", "2025-11-21T09:00:00Z")
    switch(repo, "main")
    write(repo / "a.py", "base\nFIRST\n")
    commit(repo, "first part", "2025-11-22T09:00:00Z")
    merged = merge(repo, "part2", "merge part 2", "2025-11-23T09:00:00Z")
    found = fix_of(repo, ("a.py", "FIRST"), ("b.py", "SECOND"))
    assert (found.commit, found.via_merge, found.introduced_by) == (merged, True, second)
    assert found.method is not None
    assert "SECOND" in found.method  # the marker that arrived last


def test_merge_that_is_treesame_to_its_branch(tmp_path: Path) -> None:
    """git's default history simplification would follow the branch; the first parent rules."""
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "base\n")
    commit(repo, "initial", "2025-11-20T09:00:00Z")
    switch(repo, "fix", create=True)
    write(repo / "a.py", "base\nMARK\n")
    branch_commit = commit(repo, "fix", "2025-11-21T09:00:00Z")
    switch(repo, "main")
    merged = merge(repo, "fix", "merge", "2025-11-22T09:00:00Z")
    assert git(repo, "rev-parse", f"{merged}^{{tree}}") == git(
        repo, "rev-parse", f"{branch_commit}^{{tree}}"
    )
    assert fix_of(repo, ("a.py", "MARK")).commit == merged


def test_detached_head_walks_from_head(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    ids = branch_merged_after_the_image(repo)
    write(repo / "a.py", "later\n")
    commit(repo, "later on main", "2025-11-26T09:00:00Z")
    git(repo, "checkout", "-q", "--detach", ids["merge"])
    evidence = collect_code(
        repo, [hotfix("h", ("app/ws.py", "Requested platforms"))], {"h"}, REDACTOR
    )
    assert evidence.head == ids["merge"]
    assert evidence.fix_commits[0].commit == ids["merge"]


def test_detached_head_before_the_fix_is_not_committed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    ids = branch_merged_after_the_image(repo)
    git(repo, "checkout", "-q", "--detach", ids["main"])
    write(repo / "app/ws.py", "base\nlogger.info('Requested platforms')\n")  # uncommitted
    found = fix_of(repo, ("app/ws.py", "Requested platforms"))
    assert found.commit is None
    assert found.error is not None
    assert found.error.code == "NotCommitted"


def shallow_clone(src: Path, dest: Path, depth: int) -> Path:
    git(src.parent, "clone", "-q", f"--depth={depth}", src.as_uri(), str(dest))
    return dest


def test_shallow_clone_without_the_introduction_is_unknown(tmp_path: Path) -> None:
    ids = branch_merged_after_the_image(tmp_path / "src")
    clone = shallow_clone(tmp_path / "src", tmp_path / "clone", depth=1)
    found = fix_of(clone, ("app/ws.py", "Requested platforms"))
    assert found.commit is None
    assert found.committed_at is None
    assert found.error is not None
    assert found.error.code == "ShallowClone"
    assert "git fetch --unshallow" in found.error.message
    assert ids["merge"][:12] in found.error.message


def test_shallow_clone_deep_enough_still_answers(tmp_path: Path) -> None:
    ids = branch_merged_after_the_image(tmp_path / "src")
    clone = shallow_clone(tmp_path / "src", tmp_path / "clone", depth=3)
    found = fix_of(clone, ("app/ws.py", "Requested platforms"))
    assert found.error is None
    assert found.commit == ids["merge"]


def test_one_walk_dates_every_hotfix(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    ids = branch_merged_after_the_image(repo)
    fixes = [
        hotfix("ws", ("app/ws.py", "Requested platforms")),
        hotfix("base", ("app/ws.py", "base")),
        hotfix("docs", ("README.md", "12:00 image")),
    ]
    evidence = collect_code(repo, fixes, {"ws", "base", "docs"}, REDACTOR)
    got = {c.hotfix: (c.commit, c.via_merge) for c in evidence.fix_commits}
    assert got == {
        "ws": (ids["merge"], True),
        "base": (ids["base"], False),
        "docs": (ids["main"], False),
    }


# --------------------------------------------------------------------------- no way out

TRAPS = (
    "core.fsmonitor",
    "core.pager",
    "pager.log",
    "pager.cat-file",
    "core.editor",
    "sequence.editor",
    "core.askPass",
    "credential.helper",
    "core.sshCommand",
    "core.alternateRefsCommand",
    "core.gitProxy",
    "diff.external",
    "diff.trap.command",
    "diff.trap.textconv",
    "filter.trap.clean",
    "filter.trap.smudge",
    "filter.trap.process",
    "merge.trap.driver",
    "gpg.program",
    "gpg.ssh.program",
    "gpg.x509.program",
    "gpg.ssh.defaultKeyCommand",
    "uploadpack.packObjectsHook",
    "remote.origin.uploadpack",
    "remote.origin.receivepack",
    "trailer.trap.command",
    "browser.trap.cmd",
    "web.browser",
    "man.trap.cmd",
)
"""Configuration keys that name a program, each set to one that leaves a trace."""

HOOKS = (
    "pre-commit",
    "post-checkout",
    "post-merge",
    "reference-transaction",
    "post-index-change",
    "fsmonitor-watchman",
    "pre-auto-gc",
    "post-rewrite",
)


def arm_traps(repo: Path, traps: Path) -> Path:
    """Point every program-naming key of ``repo``'s config at a script leaving a trace."""
    traps.mkdir(parents=True, exist_ok=True)
    script = write(
        traps / "trap.sh",
        f'#!/bin/sh\necho "$0 $*" >> {traps / "ran.txt"}\ncat >/dev/null 2>&1 &\nexit 0\n',
    )
    script.chmod(0o755)
    for key in TRAPS:
        git(repo, "config", key, f"{script} {key}")
    hooks = traps / "hooks"
    for name in HOOKS:
        write(hooks / name, f"#!/bin/sh\necho hook {name} >> {traps / 'ran.txt'}\n").chmod(0o755)
    git(repo, "config", "core.hooksPath", str(hooks))
    git(repo, "config", "log.showSignature", "true")
    git(repo, "config", "protocol.file.allow", "always")
    git(repo, "config", "protocol.allow", "always")
    # Settings that would change what the walk shows, if they were obeyed.
    for key, value in {
        "log.follow": "true",
        "color.ui": "always",
        "diff.noprefix": "true",
        "log.showRoot": "false",
        "diff.relative": "true",
        "diff.renames": "copies",
        "log.decorate": "full",
        "format.pretty": "oneline",
        "core.abbrev": "7",
        "i18n.logOutputEncoding": "ISO-8859-1",
        "core.quotePath": "true",
        "log.date": "relative",
    }.items():
        git(repo, "config", key, value)
    include = write(traps / "included.cfg", f"[core]\n\tpager = {script} included\n")
    git(repo, "config", "include.path", str(include))
    write(repo / ".gitattributes", "* diff=trap filter=trap merge=trap\n")
    return traps / "ran.txt"


def test_trap_is_armed(tmp_path: Path) -> None:
    """The traps do run for ordinary git commands: their absence below means something."""
    repo = tmp_path / "repo"
    ids = branch_merged_after_the_image(repo)
    ran = arm_traps(repo, tmp_path / "traps")
    plain = ("-c", "filter.trap.process=")  # a process filter that fails would stop git
    git(repo, *plain, "status")
    git(repo, *plain, "log", "-p", "-1", ids["branch"])
    git(repo, *plain, "diff", ids["base"], ids["branch"])
    git(repo, *plain, "commit", "-q", "--allow-empty", "-m", "x")
    trace = ran.read_text()
    for trap in ("core.fsmonitor", "diff.trap.textconv", "diff.trap.command", "hook pre-commit"):
        assert trap in trace


def test_hostile_config_runs_nothing_and_changes_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    ids = branch_merged_after_the_image(repo)
    git(repo, "replace", ids["branch"], ids["base"])  # a replace ref would rewrite history
    ran = arm_traps(repo, tmp_path / "traps")
    with GitSession(repo, REDACTOR) as session:
        evidence = collect_code(
            repo,
            [hotfix("h", ("app/ws.py", "Requested platforms"))],
            {"h"},
            REDACTOR,
            git=session,
        )
        revision = collect_revision(session, ids["main"][:7], "label", {"h": ids["merge"]})
    assert not ran.exists(), ran.read_text()
    found = evidence.fix_commits[0]
    assert found.error is None
    assert (found.commit, found.introduced_by) == (ids["merge"], ids["branch"])
    assert found.committed_at == utc("2025-11-25T15:00:00Z")
    assert found.subject == "Merge branch 'fix'"
    assert revision.error is None
    assert revision.commit == ids["main"]
    assert revision.fixes[0].contains is False


def make_source(path: Path) -> Path:
    """A repository whose marker file changed twice since the marker came in."""
    src = init_repo(path)
    git(src, "config", "uploadpack.allowFilter", "true")
    git(src, "config", "uploadpack.allowAnySHA1InWant", "true")
    write(src / "a.py", "base\n")
    commit(src, "initial", "2025-11-20T09:00:00Z")
    write(src / "a.py", "base\nMARK\n")
    commit(src, "fix", "2025-11-21T09:00:00Z")
    write(src / "a.py", "base\nMARK\nmore\n")
    commit(src, "more", "2025-11-22T09:00:00Z")
    return src


def partial_clone(src: Path, dest: Path) -> Path:
    """A blob-less clone of ``src`` over file://, with HEAD's files checked out."""
    git(src.parent, "clone", "-q", "--filter=blob:none", src.as_uri(), str(dest))
    assert "?" in git(dest, "rev-list", "--objects", "--missing=print", "HEAD")
    return dest


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP socket listening on 127.0.0.1 that nothing should connect to."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def no_connection(server: socket.socket) -> bool:
    try:
        conn, _ = server.accept()
    except BlockingIOError:
        return True
    conn.close()
    return False


def test_plain_git_would_run_the_partial_clone_uploadpack(tmp_path: Path) -> None:
    """What the next test prevents: plain git -S fetches and runs remote.origin.uploadpack."""
    clone = partial_clone(make_source(tmp_path / "src"), tmp_path / "clone")
    ran = tmp_path / "ran.txt"
    git(clone, "config", "remote.origin.uploadpack", f"touch {ran}; git-upload-pack")
    git(clone, "log", "-SMARK", "--format=%H", "--", "a.py")
    assert ran.exists()


@pytest.mark.parametrize("remote", ["file", "http", "ssh", "git", "ext", "helper"])
def test_partial_clone_fetches_nothing_and_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listener: socket.socket, remote: str
) -> None:
    clone = partial_clone(make_source(tmp_path / "src"), tmp_path / "clone")
    ran = arm_traps(clone, tmp_path / "traps")
    port = listener.getsockname()[1]
    script = tmp_path / "traps" / "trap.sh"
    url = {
        "file": (tmp_path / "src").as_uri(),
        "http": f"http://127.0.0.1:{port}/repo.git",
        "ssh": f"ssh://git@127.0.0.1:{port}/repo.git",
        "git": f"git://127.0.0.1:{port}/repo.git",
        "ext": f"ext::{script} ext",
        "helper": "trap::whatever",
    }[remote]
    git(clone, "config", "remote.origin.url", url)
    helpers = tmp_path / "helpers"
    write(helpers / "git-remote-trap", f"#!/bin/sh\necho helper >> {ran}\n").chmod(0o755)
    monkeypatch.setenv("PATH", f"{helpers}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("GIT_SSH_COMMAND", f"{script} GIT_SSH_COMMAND")  # dropped by the session
    before = git(clone, "rev-list", "--objects", "--missing=print", "HEAD")

    found = fix_of(clone, ("a.py", "MARK"))

    assert not ran.exists(), ran.read_text()
    assert no_connection(listener)
    assert git(clone, "rev-list", "--objects", "--missing=print", "HEAD") == before
    assert found.commit is None
    assert found.error is not None
    assert found.error.code == "MissingObject"
    assert "partial clone" in found.error.message
    assert "git log --first-parent" in found.error.message  # how to let git fetch it


def test_partial_clone_marker_check_stays_exact(tmp_path: Path) -> None:
    """HEAD's files are there: the markers are read from the work tree as usual."""
    clone = partial_clone(make_source(tmp_path / "src"), tmp_path / "clone")
    evidence = collect_code(clone, [hotfix("h", ("a.py", "MARK"))], (), REDACTOR)
    assert evidence.markers[0].found is True


def test_environment_closes_every_way_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_DIR", "/elsewhere")
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", "/bin/false")
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.pager'='evil'")
    env = git_environment()
    assert env["GIT_NO_LAZY_FETCH"] == "1"
    assert env["GIT_ALLOW_PROTOCOL"] == ""
    assert env["GIT_NO_REPLACE_OBJECTS"] == "1"
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    for name in ("GIT_DIR", "GIT_EXTERNAL_DIFF", "GIT_CONFIG_PARAMETERS"):
        assert name not in env
    argv = git_argv(Path("/x"), "log")
    assert argv[:4] == ["git", "--no-pager", "--literal-pathspecs", "--no-replace-objects"]
    assert "protocol.allow=never" in argv
    assert argv[-3:] == ["-C", "/x", "log"]


# --------------------------------------------------------------------------- budget, cancel


def fake_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """A ``git`` first on PATH: logs each call to calls.txt, runs ``body``, then the real git."""
    real = shutil.which("git")
    assert real is not None
    calls = tmp_path / "calls.txt"
    write(
        tmp_path / "bin" / "git",
        f'#!/bin/sh\necho "$*" >> {calls}\n{body}\nexec {real} "$@"\n',
    ).chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    return calls


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its parent to reap it does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def dies(pid: int) -> bool:
    """Whether ``pid`` is gone within a few seconds (SIGKILL is delivered asynchronously)."""
    done = threading.Event()
    for _ in range(100):
        if not alive(pid):
            return True
        done.wait(0.05)
    return not alive(pid)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_nothing_git_started_outlives_the_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    branch_merged_after_the_image(repo)
    pids = tmp_path / "pids.txt"
    fake_git(tmp_path, monkeypatch, f"sleep 30 &\necho $! >> {pids}")
    found = fix_of(repo, ("app/ws.py", "Requested platforms"))
    assert found.error is None
    started = [int(p) for p in pids.read_text().split()]
    assert started
    assert all(dies(pid) for pid in started)


def test_one_budget_for_all_git_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    ids = branch_merged_after_the_image(repo)
    calls = fake_git(tmp_path, monkeypatch, 'case "$*" in *" log "*) exec sleep 30;; esac')
    with GitSession(repo, REDACTOR, budget_s=0.5) as session:
        found = fix_of(repo, ("app/ws.py", "Requested platforms"), git_session=session)
        assert found.error is not None
        assert found.error.code == "Timeout"
        count = len(calls.read_text().splitlines())
        revision = collect_revision(session, ids["main"], "spec", {"h": ids["merge"]})
        again = fix_of(repo, ("app/ws.py", "Requested platforms"), git_session=session)
    assert len(calls.read_text().splitlines()) == count  # no git started once it is used up
    assert revision.error is not None
    assert revision.error.code == "Timeout"
    assert again.error is not None
    assert again.error.code == "Timeout"
    assert session.used_s() >= 0.5


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_cancel_stops_git_and_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    branch_merged_after_the_image(repo)
    pid_file = tmp_path / "hung.pid"
    fake_git(
        tmp_path, monkeypatch, f'case "$*" in *" log "*) echo $$ > {pid_file}; exec sleep 30;; esac'
    )
    cancel = threading.Event()
    session = GitSession(repo, REDACTOR, cancel=cancel)

    def cancel_once_hung() -> None:
        for _ in range(400):
            if pid_file.exists() and pid_file.read_text().strip():
                break
            threading.Event().wait(0.05)
        cancel.set()

    helper = threading.Thread(target=cancel_once_hung)
    helper.start()
    with pytest.raises(Cancelled):
        fix_of(repo, ("app/ws.py", "Requested platforms"), git_session=session)
    helper.join()
    assert not alive(int(pid_file.read_text()))
    with pytest.raises(Cancelled):  # the session stays cancelled
        collect_revision(session, "abcd", "spec", {})


def test_cancel_before_start_runs_no_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    branch_merged_after_the_image(repo)
    calls = fake_git(tmp_path, monkeypatch, "")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        fix_of(repo, ("app/ws.py", "x"), git_session=GitSession(repo, REDACTOR, cancel=cancel))
    assert not calls.exists()


# --------------------------------------------------------------------------- revision


def revision_of(
    repo: Path, revision: str, fixes: dict[str, str | None], source: str = "label"
) -> RevisionEvidence:
    assert source in ("label", "spec")
    with GitSession(repo, REDACTOR) as session:
        return collect_revision(session, revision, "label" if source == "label" else "spec", fixes)


def test_fix_in_and_not_in_the_revision(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    ids = branch_merged_after_the_image(repo)
    later = commit(repo, "after the merge", "2025-11-26T09:00:00Z")
    fixes: dict[str, str | None] = {"merged": ids["merge"], "branch": ids["branch"]}
    before = revision_of(repo, ids["main"], fixes)
    assert before.error is None
    assert (before.revision, before.source, before.commit) == (ids["main"], "label", ids["main"])
    assert before.committed_at == utc("2025-11-25T12:00:00Z")
    assert before.subject == "docs"
    assert [(f.hotfix, f.fix_commit, f.contains, f.error) for f in before.fixes] == [
        ("merged", ids["merge"], False, None),
        ("branch", ids["branch"], False, None),
    ]
    after = revision_of(repo, later, fixes, source="spec")
    assert after.source == "spec"
    assert [f.contains for f in after.fixes] == [True, True]
    itself = revision_of(repo, ids["merge"], {"merged": ids["merge"]})
    assert itself.fixes[0].contains is True


def test_abbreviated_revision_resolves(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    ids = branch_merged_after_the_image(repo)
    found = revision_of(repo, ids["merge"][:7].upper(), {"h": ids["branch"]})
    assert found.error is None
    assert found.commit == ids["merge"]
    assert found.fixes[0].contains is True


def test_revision_not_in_the_checkout(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    ids = branch_merged_after_the_image(repo)
    found = revision_of(repo, "9f1c2e7", {"h": ids["merge"]})
    assert found.commit is None
    assert found.error is not None
    assert found.error.code == "RevisionNotFound"
    assert "git fetch" in found.error.message
    assert [(f.contains, f.error) for f in found.fixes] == [(None, found.error)]


def test_longer_than_any_id_is_not_found(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    ids = branch_merged_after_the_image(repo)
    found = revision_of(repo, ids["merge"] + "ab", {"h": ids["merge"]})
    assert found.error is not None
    assert found.error.code == "RevisionNotFound"


@pytest.mark.parametrize("value", ["main", "v1.2.3", "", "9f1c2e7\n", "g123456"])
def test_revision_that_is_not_a_commit_id(tmp_path: Path, value: str) -> None:
    repo = tmp_path / "repo"
    ids = branch_merged_after_the_image(repo)
    found = revision_of(repo, value, {"h": ids["merge"]})
    if value == "9f1c2e7\n":  # surrounding whitespace is not part of the id
        assert found.error is not None
        assert found.error.code == "RevisionNotFound"
        return
    assert found.error is not None
    assert found.error.code == "InvalidRevision"
    assert found.fixes[0].contains is None


def test_ambiguous_abbreviation(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    lines = []
    for n in range(1, 1201):
        lines += [
            "commit refs/heads/main",
            f"committer C <c@example.com> {1764000000 + n} +0000",
            f"data {len(f'c{n}')}",
            f"c{n}",
        ]
    import subprocess

    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=repo,
        input=("\n".join(lines) + "\n").encode(),
        check=True,
        env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull},
    )
    commits = git(repo, "rev-list", "--all").split()
    by_prefix: dict[str, list[str]] = {}
    for c in commits:
        by_prefix.setdefault(c[:4], []).append(c)
    prefix, clash = next((p, cs) for p, cs in sorted(by_prefix.items()) if len(cs) > 1)
    found = revision_of(repo, prefix, {"h": commits[0]})
    assert found.commit is None
    assert found.error is not None
    assert found.error.code == "AmbiguousRevision"
    assert all(c[:12] in found.error.message for c in clash[:5])
    unique = revision_of(repo, clash[0][:12], {"h": clash[0]})
    assert unique.commit == clash[0]


def test_revision_in_a_shallow_clone(tmp_path: Path) -> None:
    ids = branch_merged_after_the_image(tmp_path / "src")
    clone = shallow_clone(tmp_path / "src", tmp_path / "clone", depth=1)
    missing = revision_of(clone, ids["base"], {"h": ids["merge"]})
    assert missing.error is not None
    assert missing.error.code == "ShallowClone"
    assert "git fetch --unshallow" in missing.error.message
    # HEAD is there, the fix is HEAD itself: a path exists, so "yes" is proven.
    itself = revision_of(clone, ids["merge"], {"h": ids["merge"]})
    assert itself.fixes[0].contains is True


def test_no_in_a_shallow_clone_is_not_trusted(tmp_path: Path) -> None:
    src = tmp_path / "src"
    ids = branch_merged_after_the_image(src)
    clone = shallow_clone(src, tmp_path / "clone", depth=2)
    # Both commits are in the clone, but the history between them may be cut.
    found = revision_of(clone, ids["main"], {"h": ids["branch_tip"]})
    assert found.error is None
    assert found.fixes[0].contains is None
    assert found.fixes[0].error is not None
    assert found.fixes[0].error.code == "ShallowClone"


def test_unknown_fix_commit(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    ids = branch_merged_after_the_image(repo)
    found = revision_of(repo, ids["merge"], {"none": None, "bad": "xyz", "gone": "e" * 40})
    assert found.error is None
    got = {f.hotfix: (f.contains, f.error.code if f.error else None) for f in found.fixes}
    assert got == {
        "none": (None, "NoFixCommit"),
        "bad": (None, "NoFixCommit"),
        "gone": (None, "GitError"),
    }


def test_revision_outside_a_git_checkout(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    found = revision_of(plain, "abcdef1", {"h": "a" * 40})
    assert found.error is not None
    assert found.error.code == "NotGit"


def test_grafts_are_not_trusted(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    ids = branch_merged_after_the_image(repo)
    write(repo / ".git/info/grafts", f"{ids['main']} {ids['branch']}\n")  # fake ancestry
    found = revision_of(repo, ids["main"], {"h": ids["branch"]})
    assert found.error is not None
    assert found.error.code == "Grafted"
    fixed = fix_of(repo, ("app/ws.py", "Requested platforms"))
    assert fixed.error is not None
    assert fixed.error.code == "Grafted"


def test_revision_subject_is_redacted_and_visible(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", "x\n")
    c1 = commit(repo, "key AKIAIOSFODNN7EXAMPLE \x1b[31m red", "2025-11-25T10:00:00+05:00")
    found = revision_of(repo, c1, {})
    assert found.subject is not None
    assert "AKIA" not in found.subject
    assert "\x1b" not in found.subject
    assert found.committed_at == utc("2025-11-25T05:00:00Z")
    assert RevisionEvidence.model_validate_json(found.model_dump_json()) == found


# --------------------------------------------------------------------------- byte budgets


def test_git_blob_budget_makes_the_fix_unknown_not_uncommitted(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo / "a.py", b"x" * 200_000 + b"\nMARK\n")
    commit(repo, "big file with the marker at its end", "2025-11-25T10:00:00Z")
    evidence = collect_code(
        repo, [hotfix("h", ("a.py", "MARK"))], {"h"}, REDACTOR, file_budget=1024 * 1024
    )
    assert evidence.fix_commits[0].error is None
    cut = collect_code(
        repo,
        [hotfix("h", ("a.py", "MARK"))],
        {"h"},
        REDACTOR,
        file_budget=100_000,
    )
    marker = cut.markers[0]
    assert marker.found is None
    assert marker.error is not None
    assert marker.error.code == "ScanBudget"
    fix = cut.fix_commits[0]
    assert fix.commit is None
    assert fix.error is not None
    assert fix.error.code == "ScanBudget"


# --------------------------------------------------------------------------- cost


def test_one_git_log_and_one_cat_file_for_every_marker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    ids = branch_merged_after_the_image(repo)
    calls = fake_git(tmp_path, monkeypatch, "")
    fixes = [
        hotfix("ws", ("app/ws.py", "Requested platforms"), ("app/other.py", "tidy")),
        hotfix("base", ("app/ws.py", "base")),
        hotfix("docs", ("README.md", "12:00 image")),
        hotfix("tidy", ("app/other.py", "tidy")),
    ]
    evidence = collect_code(repo, fixes, {"ws", "base", "docs", "tidy"}, REDACTOR)
    got = [(c.commit, c.introduced_by) for c in evidence.fix_commits]
    assert got == [
        (ids["merge"], ids["branch_tip"]),  # the newer of its two branch commits
        (ids["base"], None),
        (ids["main"], None),
        (ids["merge"], ids["branch_tip"]),
    ]
    commands = [line.split(" -C ", 1)[1].split()[1] for line in calls.read_text().splitlines()]
    # One walk on main, one on the merged branch (to name the branch commit), one object
    # reader for every blob and commit, and the few rev-parse/ls-tree set-up calls.
    assert commands.count("log") == 2
    assert commands.count("cat-file") == 1
    assert len(commands) <= 8


def test_session_is_for_its_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    branch_merged_after_the_image(repo)
    with pytest.raises(ValueError, match="git session"):
        collect_code(
            repo, [hotfix("h", ("a.py", "x"))], {"h"}, REDACTOR, git=GitSession(tmp_path, REDACTOR)
        )


def test_cancel_stops_the_file_scan(tmp_path: Path) -> None:
    write(tmp_path / "a.py", "MARK\n")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        collect_code(
            tmp_path,
            [hotfix("h", ("a.py", "MARK"))],
            (),
            REDACTOR,
            git=GitSession(tmp_path, REDACTOR, cancel=cancel),
        )


def test_older_blob_missing_from_a_full_clone_is_a_git_error(tmp_path: Path) -> None:
    repo = make_source(tmp_path / "repo")
    older = git(repo, "rev-parse", "HEAD~1:a.py")
    (repo / ".git/objects" / older[:2] / older[2:]).unlink()
    found = fix_of(repo, ("a.py", "MARK"))
    assert found.error is not None
    assert found.error.code == "GitError"
    assert older in found.error.message


def test_config_that_blocks_git_costs_only_the_budget(tmp_path: Path) -> None:
    """An ``include.path`` naming a FIFO makes every git wait forever for a writer."""
    repo = tmp_path / "repo"
    branch_merged_after_the_image(repo)
    fifo = tmp_path / "config.fifo"
    os.mkfifo(fifo)
    git(repo, "config", "include.path", str(fifo))
    with GitSession(repo, REDACTOR, budget_s=0.3) as session:
        found = fix_of(repo, ("app/ws.py", "Requested platforms"), git_session=session)
        revision = collect_revision(session, "abcdef1", "spec", {"h": None})
    assert found.error is not None
    assert (found.error.operation, found.error.code) == ("git rev-parse", "Timeout")
    assert revision.error is not None
    assert revision.error.code == "Timeout"
