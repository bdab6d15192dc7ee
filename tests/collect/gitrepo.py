"""Build real git repositories for the code and git collector tests.

Every helper runs the real ``git`` with no user or system configuration and fixed
identities; commit times are given explicitly (committer and author separately, so a
test can give a rebased or cherry-picked commit an old author date).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from reporter.spec import CodeMarker, HotfixSection

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The collector under test reads no user or system git config and finds no repository
    above ``tmp_path``. A module uses it with ``pytest.mark.usefixtures("isolated_git")``
    after importing it."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))


def hotfix(fix_id: str, *entries: tuple[str, str]) -> HotfixSection:
    """A hotfix with ``code`` entries ``(path, contains)``."""
    return HotfixSection(id=fix_id, code=tuple(CodeMarker(path=p, contains=c) for p, c in entries))


def write(path: Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path``, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def git_env(when: str | None = None, author_when: str | None = None) -> dict[str, str]:
    """The environment for building repositories: no GIT_* inherited, no user config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        LC_ALL="C",
        GIT_AUTHOR_NAME="Test Author",
        GIT_AUTHOR_EMAIL="author@example.com",
        GIT_COMMITTER_NAME="Test Committer",
        GIT_COMMITTER_EMAIL="committer@example.com",
    )
    if when is not None:
        env.update(GIT_AUTHOR_DATE=author_when or when, GIT_COMMITTER_DATE=when)
    return env


def git(repo: Path, *args: str, when: str | None = None, author_when: str | None = None) -> str:
    """Run git in ``repo``; its standard output, stripped."""
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        env=git_env(when, author_when),
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def init_repo(path: Path, branch: str = "main") -> Path:
    """A new repository at ``path`` on ``branch``, with unsigned commits."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    git(path, "config", "user.name", "Test Author")
    git(path, "config", "user.email", "author@example.com")
    git(path, "config", "commit.gpgsign", "false")
    return path


def commit(repo: Path, message: str, when: str, author_when: str | None = None) -> str:
    """Commit everything in the work tree at committer time ``when``; the new commit's id."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message, when=when, author_when=author_when)
    return head(repo)


def head(repo: Path) -> str:
    """The full id of ``HEAD``."""
    return git(repo, "rev-parse", "HEAD")


def merge(repo: Path, branch: str, message: str, when: str, *options: str) -> str:
    """Merge ``branch`` into the current branch (``--no-ff`` unless options say otherwise)."""
    git(repo, "merge", "-q", *(options or ("--no-ff",)), "-m", message, branch, when=when)
    return head(repo)


def switch(repo: Path, branch: str, create: bool = False) -> None:
    """Check out ``branch`` (created at HEAD with ``create``)."""
    git(repo, "checkout", "-q", *(("-b",) if create else ()), branch)
