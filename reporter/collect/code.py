"""The source checkout under ``code.root``: are the hotfixes' code markers there, and since when.

For every ``code`` entry of every hotfix the file is read (streamed, never loaded whole)
and the marker text is looked for as UTF-8 bytes; the 1-based numbers of the lines where
it starts are kept, with the first such line (redacted and cut) for the report.

When the checkout is a git work tree, the fix commit of a hotfix is found with
``git log -S<text>``: the newest commit that changed how often each marker occurs in its
file, and the newest across the hotfix's markers (the fix is complete only once every
marker is in). A marker that is not in the file as committed at ``HEAD`` is reported as
``NotCommitted``, so a commit that *removed* a marker is never taken for the fix.

git runs without a shell, with a timeout, without prompts, pagers, external diff drivers,
text conversion filters or signature checks, and with literal pathspecs.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from reporter.model import CodeEvidence, CodeMarkerEvidence, EvidenceError, FixCommit
from reporter.redact import Redactor
from reporter.spec import CodeMarker, HotfixSection
from reporter.text import clean, truncate, visible

CHUNK_BYTES = 1024 * 1024
"""How much of a file is read at a time."""
LINE_TEXT_CHARS = 300
"""Longest ``line_text`` kept (the rest is cut with a visible marker)."""
LINE_READ_BYTES = 16 * 1024
"""Most bytes of the first matching line read back to show it."""
MAX_LINE_NUMBERS = 1000
"""Most line numbers kept per marker; the scan stops there (the marker is found anyway)."""
GIT_TIMEOUT = 30.0
"""Seconds one git command may take."""

READ_FILE = "read file"
GIT_LOG = "git log"

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

_GIT_LOCATION_VARS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)
"""Inherited variables that would point git at another repository than ``code.root``'s."""


# --------------------------------------------------------------------------- scanning


@dataclass
class ScanResult:
    """Where a byte string occurs in a stream."""

    lines: list[int] = field(default_factory=list)
    """1-based numbers of the lines where an occurrence starts, ascending, each once."""
    first_line_start: int | None = None
    """Byte offset of the start of the first such line."""


def scan_stream(
    read: Callable[[int], bytes],
    needle: bytes,
    chunk_size: int = CHUNK_BYTES,
    max_lines: int = MAX_LINE_NUMBERS,
) -> ScanResult:
    """Find the lines of ``needle`` in what ``read(n)`` returns, until it returns ``b""``.

    Memory stays at one chunk plus ``len(needle)`` bytes, whatever the length of the
    stream or of its lines; an occurrence split across chunks is found. Lines end at
    ``\\n``; a needle holding newlines counts on the line where it starts. The scan stops
    once ``max_lines`` lines are found.
    """
    if not needle:
        raise ValueError("cannot scan for an empty text")
    scanner = _Scanner(needle, max_lines)
    while not scanner.done:
        chunk = read(chunk_size)
        if not chunk:
            break
        scanner.feed(chunk)
    return scanner.result


class _Scanner:
    """State of :func:`scan_stream` between chunks (offsets are absolute in the stream)."""

    def __init__(self, needle: bytes, max_lines: int) -> None:
        self.needle = needle
        self.max_lines = max_lines
        self.result = ScanResult()
        self.done = False
        self.carry = b""
        self.data_offset = 0
        """Where ``carry`` starts; newlines before it are counted."""
        self.line_no = 1
        self.line_start = 0
        self.search_from = 0
        """Occurrences starting before this are on lines already recorded."""

    def feed(self, chunk: bytes) -> None:
        data = self.carry + chunk if self.carry else chunk
        counted = 0
        i = data.find(self.needle, max(0, self.search_from - self.data_offset))
        while i >= 0:
            self._count(data, counted, i)
            counted = i
            self._record()
            if self.done:
                return
            newline = data.find(b"\n", i)
            if newline < 0:
                self.search_from = self.data_offset + len(data)
                break
            self.search_from = self.data_offset + newline + 1
            i = data.find(self.needle, newline + 1)
        # Keep the last len(needle)-1 bytes: an occurrence may start there.
        cut = max(counted, len(data) - (len(self.needle) - 1), 0)
        self._count(data, counted, cut)
        self.carry = data[cut:]
        self.data_offset += cut

    def _count(self, data: bytes, start: int, end: int) -> None:
        self.line_no += data.count(b"\n", start, end)
        newline = data.rfind(b"\n", start, end)
        if newline >= 0:
            self.line_start = self.data_offset + newline + 1

    def _record(self) -> None:
        lines = self.result.lines
        if lines and lines[-1] == self.line_no:
            return
        if not lines:
            self.result.first_line_start = self.line_start
        lines.append(self.line_no)
        self.done = len(lines) >= self.max_lines


# --------------------------------------------------------------------------- files


class _ReadFailed(Exception):
    def __init__(self, code: str, message: str, exists: bool | None = True) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.exists = exists


def _open_inside(root: Path, relative: str) -> IO[bytes]:
    """Open ``root/relative`` for reading, refusing anything that is not a regular file in root.

    Raises :class:`FileNotFoundError` when nothing is there, :class:`_ReadFailed` otherwise.
    """
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise _ReadFailed("OutsideRoot", f"{relative} leads out of code.root (to {target})")
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: no late symlink.
        fd = os.open(target, os.O_RDONLY | _O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        if os.path.lexists(root / relative):
            raise _ReadFailed(
                "BrokenSymlink", f"{relative} is a symbolic link to nothing"
            ) from None
        raise FileNotFoundError(relative) from None
    except OSError as exc:
        raise _os_failure(relative, exc) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise _ReadFailed("IsADirectory", f"{relative} is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise _ReadFailed("NotAFile", f"{relative} is not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _os_failure(relative: str, exc: OSError) -> _ReadFailed:
    if isinstance(exc, PermissionError):
        return _ReadFailed("PermissionDenied", f"{relative}: permission denied")
    if isinstance(exc, IsADirectoryError):
        return _ReadFailed("IsADirectory", f"{relative} is a folder, not a file")
    code = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
    return _ReadFailed(code, f"{relative}: {exc.strerror or exc}")


def _first_line(handle: IO[bytes], offset: int, redactor: Redactor) -> str:
    handle.seek(offset)
    raw = handle.readline(LINE_READ_BYTES)
    text = raw.decode("utf-8", errors="backslashreplace").strip()
    return clean(text, redactor, LINE_TEXT_CHARS)


def _unreadable(
    base: CodeMarkerEvidence, failed: _ReadFailed, redactor: Redactor
) -> CodeMarkerEvidence:
    message = clean(failed.message, redactor, LINE_TEXT_CHARS)
    error = EvidenceError(operation=READ_FILE, code=failed.code, message=message)
    return base.model_copy(update={"file_exists": failed.exists, "error": error})


def find_marker(
    root: Path, hotfix: str, marker: CodeMarker, redactor: Redactor
) -> CodeMarkerEvidence:
    """Look for one ``code`` entry's text in its file under ``root`` (already resolved)."""
    base = CodeMarkerEvidence(hotfix=hotfix, path=marker.path, text=marker.contains)
    try:
        with _open_inside(root, marker.path) as handle:
            scan = scan_stream(handle.read, marker.contains.encode("utf-8"))
            line_text = None
            if scan.first_line_start is not None:
                line_text = _first_line(handle, scan.first_line_start, redactor)
    except FileNotFoundError:
        return base.model_copy(update={"found": False, "file_exists": False})
    except _ReadFailed as failed:
        return _unreadable(base, failed, redactor)
    except OSError as exc:  # reading, after a successful open
        return _unreadable(base, _os_failure(marker.path, exc), redactor)
    return base.model_copy(
        update={
            "found": bool(scan.lines),
            "file_exists": True,
            "lines": tuple(scan.lines),
            "line_text": line_text,
        }
    )


# --------------------------------------------------------------------------- git


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATION_VARS}
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_OPTIONAL_LOCKS="0", GIT_PAGER="cat")
    return env


def _git_command(cwd: Path, *args: str) -> list[str]:
    return [
        "git",
        "-C",
        str(cwd),
        "-c",
        "core.quotepath=off",
        "-c",
        "core.fsmonitor=false",
        "-c",
        "log.showSignature=false",
        "--literal-pathspecs",
        "--no-pager",
        *args,
    ]


class _GitFailed(Exception):
    def __init__(self, error: EvidenceError) -> None:
        super().__init__(error.line())
        self.error = error


def _first_stderr_line(stderr: bytes, redactor: Redactor) -> str:
    for line in stderr.decode("utf-8", errors="backslashreplace").splitlines():
        if line.strip():
            return clean(line.strip(), redactor, 300)
    return "no message"


@dataclass(frozen=True)
class _Git:
    """Runs git for one run: where, with which environment, and how errors read."""

    redactor: Redactor
    env: dict[str, str]

    def run(self, operation: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
        """Run git; raise :class:`_GitFailed` when it cannot be started or times out."""
        try:
            return subprocess.run(  # a list, no shell
                _git_command(cwd, *args),
                capture_output=True,
                stdin=subprocess.DEVNULL,
                env=self.env,
                timeout=GIT_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise self.failed(
                operation, "Timeout", f"git took longer than {GIT_TIMEOUT:g} s"
            ) from None
        except OSError as exc:
            raise self._not_started(operation, exc) from None

    def stream_contains(self, operation: str, cwd: Path, needle: bytes, *args: str) -> bool:
        """Whether git's standard output holds ``needle`` (streamed, with the timeout)."""
        try:
            proc = subprocess.Popen(  # a list, no shell
                _git_command(cwd, *args),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.env,
            )
        except OSError as exc:
            raise self._not_started(operation, exc) from None
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(GIT_TIMEOUT, kill)
        timer.start()
        try:
            assert proc.stdout is not None
            found = bool(scan_stream(proc.stdout.read, needle, max_lines=1).lines)
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()  # found early, or failing: the rest is not needed
            _, stderr = proc.communicate()
        if found:
            return True
        if timed_out.is_set():
            raise self.failed(operation, "Timeout", f"git took longer than {GIT_TIMEOUT:g} s")
        if proc.returncode != 0:
            raise self.failed(operation, "GitError", _first_stderr_line(stderr, self.redactor))
        return False

    def failed(self, operation: str, code: str, message: str) -> _GitFailed:
        """A :class:`_GitFailed` for ``operation``."""
        return _GitFailed(EvidenceError(operation=operation, code=code, message=message))

    def _not_started(self, operation: str, exc: OSError) -> _GitFailed:
        if isinstance(exc, FileNotFoundError):
            return self.failed(operation, "GitNotFound", "git is not installed (not on PATH)")
        return self.failed(operation, "GitNotStarted", f"cannot run git: {exc.strerror or exc}")


@dataclass(frozen=True)
class _Repo:
    toplevel: Path
    head: str | None


def _find_repo(git: _Git, root: Path) -> _Repo:
    """The work tree holding ``root``; raise :class:`_GitFailed` (``NotGit``...) otherwise."""
    top = git.run("git rev-parse", root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        line = _first_stderr_line(top.stderr, git.redactor)
        if "not a git repository" in line:
            raise git.failed("git rev-parse", "NotGit", f"{root} is not inside a git work tree")
        raise git.failed("git rev-parse", "GitError", line)
    out = top.stdout.decode("utf-8", errors="surrogateescape").rstrip("\n")
    if not out:
        raise git.failed("git rev-parse", "NotGit", f"{root} is not inside a git work tree")
    toplevel = Path(out).resolve()
    head = git.run("git rev-parse", root, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    head_id = (
        head.stdout.decode("ascii", errors="replace").strip() if head.returncode == 0 else None
    )
    return _Repo(toplevel=toplevel, head=head_id or None)


@dataclass(frozen=True)
class _Commit:
    commit: str
    committed_at: datetime
    subject: str


def _not_committed(marker: CodeMarker, why: str) -> _GitFailed:
    text = visible(truncate(marker.contains, 80), keep_newlines=False)
    message = f"“{text}” in {visible(marker.path, keep_newlines=False)} {why}"
    return _GitFailed(EvidenceError(operation=GIT_LOG, code="NotCommitted", message=message))


def _marker_commit(git: _Git, repo: _Repo, root: Path, marker: CodeMarker) -> _Commit:
    """The newest commit that changed the count of ``marker``'s text in its file."""
    if "\x00" in marker.contains or "\x00" in marker.path:
        raise git.failed(GIT_LOG, "InvalidArgument", "git cannot search for a NUL character")
    if repo.head is None:
        raise _not_committed(marker, "is in no commit (the repository has none)")
    target = (root / marker.path).resolve()
    if not target.is_relative_to(repo.toplevel):
        raise git.failed(GIT_LOG, "OutsideRepository", f"{marker.path} is not in {repo.toplevel}")
    relative = target.relative_to(repo.toplevel).as_posix()
    log = git.run(
        GIT_LOG,
        repo.toplevel,
        "log",
        "-n1",
        f"-S{marker.contains}",
        "--no-ext-diff",
        "--no-textconv",
        "--format=%H%x00%cI%x00%s",
        "--",
        relative,
    )
    if log.returncode != 0:
        raise git.failed(GIT_LOG, "GitError", _first_stderr_line(log.stderr, git.redactor))
    out = log.stdout.decode("utf-8", errors="backslashreplace").strip("\n")
    if not out:
        raise _not_committed(marker, "is in no commit")
    commit = _parse_log_line(git, out.splitlines()[0])
    if not _in_head(git, repo, relative, marker):
        raise _not_committed(
            marker, f"is not in the file as committed (last changed by {commit.commit[:12]})"
        )
    return commit


def _parse_log_line(git: _Git, line: str) -> _Commit:
    parts = line.split("\x00")
    try:
        commit, date, subject = parts
        when = datetime.fromisoformat(date).astimezone(UTC)
    except ValueError:
        raise git.failed(GIT_LOG, "BadOutput", f"unexpected git log output {line[:80]!r}") from None
    return _Commit(commit=commit, committed_at=when, subject=clean(subject, git.redactor, 300))


def _in_head(git: _Git, repo: _Repo, relative: str, marker: CodeMarker) -> bool:
    """Whether the marker is in the file as committed at HEAD (streamed from the blob)."""
    blob = git.run(
        "git rev-parse", repo.toplevel, "rev-parse", "--verify", "-q", f"HEAD:{relative}"
    )
    if blob.returncode == 1:
        return False
    if blob.returncode != 0:
        raise git.failed("git rev-parse", "GitError", _first_stderr_line(blob.stderr, git.redactor))
    blob_id = blob.stdout.decode("ascii", errors="replace").strip()
    needle = marker.contains.encode("utf-8")
    return git.stream_contains("git cat-file", repo.toplevel, needle, "cat-file", "blob", blob_id)


def _fix_commit(git: _Git, repo: _Repo, root: Path, hotfix: HotfixSection) -> FixCommit:
    """The newest of the hotfix's marker commits; the first ``NotCommitted`` wins over it."""
    found: list[_Commit] = []
    first_error: EvidenceError | None = None
    for marker in hotfix.code:
        try:
            found.append(_marker_commit(git, repo, root, marker))
        except _GitFailed as failed:
            if failed.error.code == "NotCommitted":
                return FixCommit(hotfix=hotfix.id, error=failed.error)
            first_error = first_error or failed.error
    if first_error is not None:
        return FixCommit(hotfix=hotfix.id, error=first_error)
    newest = max(found, key=lambda c: c.committed_at)
    return FixCommit(
        hotfix=hotfix.id,
        commit=newest.commit,
        committed_at=newest.committed_at,
        subject=newest.subject,
    )


# --------------------------------------------------------------------------- all


def _root_error(root: Path) -> EvidenceError | None:
    if not root.exists():
        return EvidenceError(operation=READ_FILE, code="NotFound", message=f"{root} does not exist")
    if not root.is_dir():
        return EvidenceError(
            operation=READ_FILE, code="NotADirectory", message=f"{root} is not a folder"
        )
    return None


def collect_code(
    root: Path,
    hotfixes: Sequence[HotfixSection],
    want_fix_commit: Collection[str],
    redactor: Redactor,
) -> CodeEvidence:
    """Look up every hotfix's code markers under ``root`` and, with git, their fix commits.

    ``root`` is ``code.root`` resolved to an absolute path. Fix commits are looked for
    only for the hotfixes in ``want_fix_commit`` that have ``code`` entries; when there
    are none, git is not run at all (``is_git`` stays False, ``head`` None). Nothing
    raises: every failure is an :class:`EvidenceError` on the marker, the fix commit or
    the whole evidence (root missing).
    """
    with_code = [fix for fix in hotfixes if fix.code]
    wanted = [fix for fix in with_code if fix.id in want_fix_commit]
    error = _root_error(root)
    if error is not None:
        return CodeEvidence(
            root=str(root),
            error=error,
            markers=tuple(
                CodeMarkerEvidence(hotfix=fix.id, path=m.path, text=m.contains, error=error)
                for fix in with_code
                for m in fix.code
            ),
            fix_commits=tuple(FixCommit(hotfix=fix.id, error=error) for fix in wanted),
        )
    markers = tuple(find_marker(root, fix.id, m, redactor) for fix in with_code for m in fix.code)
    if not wanted:  # every fix time is given in the spec: git is not asked
        return CodeEvidence(root=str(root), markers=markers)
    git = _Git(redactor=redactor, env=_git_env())
    try:
        repo = _find_repo(git, root)
    except _GitFailed as failed:
        commits = tuple(FixCommit(hotfix=fix.id, error=failed.error) for fix in wanted)
        return CodeEvidence(root=str(root), markers=markers, fix_commits=commits)
    commits = tuple(_fix_commit(git, repo, root, fix) for fix in wanted)
    return CodeEvidence(
        root=str(root), is_git=True, head=repo.head, markers=markers, fix_commits=commits
    )
