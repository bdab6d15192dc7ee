"""The demo's git history: the code before the fixes, then the fix commit.

``reporter demo`` runs on a temporary copy of the bundled code tree, made a git
repository with two commits, so that fix times come from git and the image's revision
label names a real commit of the checkout:

1. :data:`PRE_FIX_AT` (2025-11-25T21:47:12Z): the tree as it was built into the running
   image, with the pre-fix versions of the two files the code markers live in
   (``before_fix/*.before``: the websocket handler without ``Requested platforms``, the
   parser without ``requested_platforms=`` and ``platform sections in markdown``);
2. :data:`FIX_COMMITTED_AT` (2025-11-26T08:00:00Z): the three hotfixes, i.e. the bundled
   tree as it is.

Identity and dates come from the environment (``GIT_AUTHOR_*``, ``GIT_COMMITTER_*``), no
user or system configuration is read (``GIT_CONFIG_GLOBAL=/dev/null``,
``GIT_CONFIG_NOSYSTEM=1``, ``HOME`` pointed away), the object format is SHA-1 and every
file is committed as a regular ``100644`` file: the commit ids are the same on every run
and every machine. :func:`expected_history` computes them without git (git's object
format, in Python), so the demo image can carry the pre-fix commit in its revision label
even where git is missing; the tests check that git agrees.

Without git on ``PATH`` the demo still runs: the copy is then no git checkout, and
:attr:`DemoHistory.note` says so (the checks that need git are ``unknown``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

PRE_FIX_AT = datetime(2025, 11, 25, 21, 47, 12, tzinfo=UTC)
FIX_AUTHORED_AT = datetime(2025, 11, 26, 7, 52, 18, tzinfo=UTC)
FIX_COMMITTED_AT = datetime(2025, 11, 26, 8, 0, 0, tzinfo=UTC)
AUTHOR = ("Priya Raman", "priya.raman@content-marketing-swarm.example")
BRANCH = "main"
GIT_TIMEOUT = 30.0

PRE_FIX_MESSAGE = (
    "Release 2025.11.25-2149: stream generated content over the WebSocket\n"
    "\n"
    "The parser emits the content of the requested platform as the stream ends.\n"
)
FIX_MESSAGE = (
    "Fix multi-platform generation: parse every platform section\n"
    "\n"
    "- websocket: log the requested platforms and pass all of them to the parser\n"
    "- parser: log every requested platform in the final buffered content line\n"
    "- parser: match every platform heading (X, Pitch deck), not just the first\n"
)
BEFORE_FIX = {
    "backend/app/api/websocket.py": "websocket.py.before",
    "backend/app/services/content_parser.py": "content_parser.py.before",
}
"""Files of the code tree whose pre-fix version ``before_fix/`` holds."""

_SKIPPED = frozenset({".git", "__pycache__"})


@dataclass(frozen=True)
class DemoHistory:
    """The two commits of the demo checkout (full SHA-1 ids)."""

    pre_fix: str
    """The commit the demo image was built from (its revision label)."""
    fix: str
    """The commit that brought the three fixes in (``HEAD``)."""
    git: bool
    """True when the checkout is a git repository holding these commits."""
    note: str | None = None
    """Why it is not (git missing or failing): one line for the user."""


# --------------------------------------------------------------------------- the files


def tree_files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by POSIX relative path (``.git`` and ``__pycache__`` left out)."""
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if _SKIPPED & set(relative.parts) or not path.is_file():
            continue
        files[relative.as_posix()] = path.read_bytes()
    return files


def before_fix(files: dict[str, bytes]) -> dict[str, bytes]:
    """``files`` with the pre-fix versions of :data:`BEFORE_FIX` in place."""
    history = resources.files("reporter.demo").joinpath("before_fix")
    return files | {path: history.joinpath(name).read_bytes() for path, name in BEFORE_FIX.items()}


# --------------------------------------------------------------------------- ids without git


def _object_id(kind: str, body: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(body)}\0".encode() + body, usedforsecurity=False).hexdigest()


def tree_id(files: dict[str, bytes]) -> str:
    """git's tree id for ``files`` (every file ``100644``; empty folders do not exist in git)."""
    folders: dict[str, dict[str, bytes]] = {}
    entries: list[tuple[bytes, bytes]] = []
    for path, data in files.items():
        head, _, rest = path.partition("/")
        if rest:
            folders.setdefault(head, {})[rest] = data
        else:
            name = head.encode("utf-8")
            entries.append(
                (name, b"100644 " + name + b"\0" + bytes.fromhex(_object_id("blob", data)))
            )
    for folder, inner in folders.items():
        name = folder.encode("utf-8")
        entries.append((name + b"/", b"40000 " + name + b"\0" + bytes.fromhex(tree_id(inner))))
    return _object_id("tree", b"".join(entry for _, entry in sorted(entries)))


def commit_id(
    tree: str,
    parent: str | None,
    authored: datetime,
    committed: datetime,
    message: str,
) -> str:
    """git's commit id (author and committer :data:`AUTHOR`, UTC, no signature)."""
    who = f"{AUTHOR[0]} <{AUTHOR[1]}>"
    lines = [f"tree {tree}"]
    if parent is not None:
        lines.append(f"parent {parent}")
    lines.append(f"author {who} {int(authored.timestamp())} +0000")
    lines.append(f"committer {who} {int(committed.timestamp())} +0000")
    return _object_id("commit", ("\n".join(lines) + "\n\n" + message).encode("utf-8"))


def expected_history(code_root: Path) -> DemoHistory:
    """The ids the two commits of :func:`build_history` get for the tree at ``code_root``."""
    files = tree_files(code_root)
    pre_fix = commit_id(tree_id(before_fix(files)), None, PRE_FIX_AT, PRE_FIX_AT, PRE_FIX_MESSAGE)
    fix = commit_id(tree_id(files), pre_fix, FIX_AUTHORED_AT, FIX_COMMITTED_AT, FIX_MESSAGE)
    return DemoHistory(pre_fix=pre_fix, fix=fix, git=False)


# --------------------------------------------------------------------------- with git


class _GitFailed(Exception):
    pass


def build_history(code_root: Path) -> DemoHistory:
    """Make ``code_root`` (a copy of the bundled code tree) a git repository with the two commits.

    Never raises for a missing or failing git: the history then has ``git=False``, a
    ``note`` saying why, the ids git would have given, and ``code_root`` is left without
    a ``.git`` folder.
    """
    expected = expected_history(code_root)
    git = shutil.which("git")
    if git is None:
        note = (
            "git is not on PATH: the demo's code tree is no git checkout, so the fix"
            " commits and the image's revision cannot be checked (those checks are unknown)"
        )
        return DemoHistory(expected.pre_fix, expected.fix, git=False, note=note)
    fixed = tree_files(code_root)
    try:
        with tempfile.TemporaryDirectory(prefix="reporter-demo-git-") as home:
            run = _runner(git, code_root, Path(home))
            run("init", "-q")
            run("symbolic-ref", "HEAD", f"refs/heads/{BRANCH}")
            _write(code_root, before_fix(fixed))
            _commit(run, PRE_FIX_AT, PRE_FIX_AT, PRE_FIX_MESSAGE)
            _write(code_root, fixed)
            _commit(run, FIX_AUTHORED_AT, FIX_COMMITTED_AT, FIX_MESSAGE)
            pre_fix = run("rev-parse", "HEAD~1").strip()
            fix = run("rev-parse", "HEAD").strip()
    except _GitFailed as failed:
        _write(code_root, fixed)
        shutil.rmtree(code_root / ".git", ignore_errors=True)
        note = f"git failed, so the demo's code tree is no git checkout: {failed}"
        return DemoHistory(expected.pre_fix, expected.fix, git=False, note=note)
    return DemoHistory(pre_fix=pre_fix, fix=fix, git=True)


def _write(root: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` under ``root`` as regular, non-executable files."""
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)


def _commit(run: _Run, authored: datetime, committed: datetime, message: str) -> None:
    run("add", "-A", ".")
    run(
        "commit", "-q", "--no-verify", "--no-gpg-sign", "--cleanup=verbatim", "-F", "-",
        stdin=message,
        dates=(authored, committed),
    )  # fmt: skip


class _Run:
    """Runs git in one repository with a clean, fixed environment."""

    def __init__(self, git: str, root: Path, home: Path) -> None:
        self.git, self.root = git, root
        base = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        self.env = base | {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home),
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_DEFAULT_HASH": "sha1",
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
            "GIT_AUTHOR_NAME": AUTHOR[0],
            "GIT_AUTHOR_EMAIL": AUTHOR[1],
            "GIT_COMMITTER_NAME": AUTHOR[0],
            "GIT_COMMITTER_EMAIL": AUTHOR[1],
        }

    def __call__(
        self, *args: str, stdin: str = "", dates: tuple[datetime, datetime] | None = None
    ) -> str:
        env = dict(self.env)
        if dates is not None:
            env["GIT_AUTHOR_DATE"] = f"@{int(dates[0].timestamp())} +0000"
            env["GIT_COMMITTER_DATE"] = f"@{int(dates[1].timestamp())} +0000"
        command = [
            self.git, "-C", str(self.root),
            "-c", "core.fileMode=false", "-c", "core.autocrlf=false", "-c", "core.safecrlf=false",
            "-c", "core.hooksPath=" + os.devnull, "-c", "commit.gpgSign=false",
            *args,
        ]  # fmt: skip
        try:
            done = subprocess.run(  # a list, no shell
                command,
                input=stdin.encode("utf-8"),
                capture_output=True,
                env=env,
                timeout=GIT_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise _GitFailed(f"git {args[0]}: {exc}") from None
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise _GitFailed(f"git {args[0]}: {message[0] if message else done.returncode}")
        return done.stdout.decode("ascii", "replace")


def _runner(git: str, root: Path, home: Path) -> _Run:
    return _Run(git, root, home)
