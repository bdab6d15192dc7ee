"""git for the collectors, with no way out: one session per run, one time budget, no network.

Every git command of a run goes through one :class:`GitSession`. It promises:

- **Nothing is fetched and nothing connects.** ``GIT_NO_LAZY_FETCH=1`` (git 2.44 and
  later refuse to fetch a missing object of a partial clone) and ``GIT_ALLOW_PROTOCOL``
  set to the empty list (every transport refused, remote helpers included, whatever the
  repository's ``protocol.*.allow`` says: the environment wins over the configuration),
  with ``-c protocol.allow=never`` as well. Older git tries to fetch a missing object by
  starting ``git fetch``, which stops at the transport check before it starts
  ``remote.<name>.uploadpack``, a remote helper, ssh or a proxy. An object that is not
  there is reported (``MissingObject``), never fetched.
- **No program named by the repository's configuration runs.** Only read-only plumbing
  runs (``rev-parse``, ``ls-tree``, ``log --raw``, ``cat-file``, ``merge-base``,
  ``config --get-regexp``): none of them runs hooks, editors, credential helpers,
  ``core.fsmonitor``, ``core.alternateRefsCommand`` or clean/smudge filters. Each
  invocation also says ``--no-pager`` (no ``core.pager``/``pager.*``), ``--no-textconv``
  and ``--no-ext-diff`` where a diff is asked for (no ``diff.<driver>.textconv``,
  ``diff.<driver>.command`` or ``diff.external``), and overrides ``core.fsmonitor``,
  ``core.hooksPath``, ``core.pager``, ``core.askPass``, ``credential.helper`` and
  ``log.showSignature`` (no ``gpg.program``) on the command line, which propagates to any
  child git. Inherited ``GIT_*`` variables are dropped (``GIT_DIR``, ``GIT_EXTERNAL_DIFF``,
  ``GIT_SSH_COMMAND``, ``GIT_CONFIG_PARAMETERS``...) except those naming the user's own
  configuration files and discovery limits; git runs without a shell and without a
  terminal (``GIT_TERMINAL_PROMPT=0``, empty ``GIT_ASKPASS``/``SSH_ASKPASS``).
- **History is what the objects say.** Replace refs are ignored (``--no-replace-objects``);
  a repository with ``info/grafts`` or a shallow boundary is reported, never trusted past it.
- **One time budget for all git work of the run** (:data:`GIT_BUDGET_S`): the time during
  which at least one git process of the session runs is counted, and once it passes the
  budget every running git is killed and the work fails with ``Timeout``.
- **No process outlives its call.** Each git starts in a process group of its own; the
  whole group is killed when the call ends, when the budget runs out, or within
  :data:`POLL_S` of ``cancel`` being set (the call then raises
  :class:`~reporter.errors.Cancelled`).

:func:`collect_revision` answers ``git merge-base --is-ancestor FIX REVISION`` for the
``<hotfix>.image_contains_fix`` check.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Literal

from reporter.errors import Cancelled
from reporter.model import EvidenceError, FixInRevision, RevisionEvidence
from reporter.redact import Redactor
from reporter.text import clean, visible

GIT_BUDGET_S = 60.0
"""Seconds all git work of one run may take together."""
POLL_S = 0.05
"""How often a running git is checked against ``cancel`` and the budget."""
CAPTURE_BYTES = 8 * 1024 * 1024
"""Most standard output kept from a command whose output is read whole."""
STDERR_BYTES = 64 * 1024
"""Most standard error read back from a command (the first non-empty line is shown)."""
DRAIN_BYTES = 1024 * 1024
"""An object read only in part is skipped by reading on when this little is left;
with more left, the ``cat-file`` process is stopped and a new one started."""
SUBJECT_CHARS = 300
"""Longest commit subject kept."""

OBJECT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
"""A full SHA-1 or SHA-256 object id."""
_HEX = re.compile(r"[0-9a-fA-F]{4,64}")

_KEPT_GIT_VARIABLES = frozenset(
    {
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_CONFIG_NOSYSTEM",
        "GIT_CEILING_DIRECTORIES",
        "GIT_DISCOVERY_ACROSS_FILESYSTEM",
        "GIT_EXEC_PATH",
    }
)
"""Inherited ``GIT_*`` variables that are kept: the user's own configuration and limits."""

_SAFE_ENVIRONMENT = {
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_ALLOW_PROTOCOL": "",
    "GIT_PROTOCOL_FROM_USER": "0",
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "",
    "SSH_ASKPASS": "",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_PAGER": "cat",
    "PAGER": "cat",
    "GIT_ADVICE": "0",
    "LC_ALL": "C",
}

_SAFE_CONFIG = (
    "protocol.allow=never",
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.askPass=",
    "credential.helper=",
    "core.useReplaceRefs=false",
    "log.showSignature=false",
    "log.follow=false",
    "log.showRoot=true",
    "diff.relative=false",
    "diff.renames=false",
    "color.ui=false",
    "i18n.logOutputEncoding=UTF-8",
    "core.quotePath=false",
    "gc.auto=0",
    "maintenance.auto=false",
    "submodule.recurse=false",
)
"""Given with ``-c`` to every git: wins over the repository's configuration (and reaches
any child git through ``GIT_CONFIG_PARAMETERS``)."""


def git_environment() -> dict[str, str]:
    """The environment every git of a session runs with (see the module docstring)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in _KEPT_GIT_VARIABLES
    }
    env.update(_SAFE_ENVIRONMENT)
    return env


def git_argv(cwd: Path, *args: str) -> list[str]:
    """The command line for ``git args`` in ``cwd``, with the session's fixed options."""
    argv = ["git", "--no-pager", "--literal-pathspecs", "--no-replace-objects"]
    for setting in _SAFE_CONFIG:
        argv += ["-c", setting]
    return [*argv, "-C", str(cwd), *args]


class GitFailed(Exception):
    """A git command failed; ``error`` says which and why (it becomes evidence)."""

    def __init__(self, error: EvidenceError) -> None:
        super().__init__(error.line())
        self.error = error


def first_line(stderr: bytes, redactor: Redactor) -> str:
    """The first non-empty line of ``stderr``, redacted, cut and made visible."""
    for line in stderr.decode("utf-8", errors="backslashreplace").splitlines():
        if line.strip():
            return clean(line.strip(), redactor, SUBJECT_CHARS)
    return "no message"


# --------------------------------------------------------------------------- processes


class GitProcess:
    """One running git, in a process group of its own, watched for ``cancel`` and the budget.

    Read its output with :meth:`read`, then call :meth:`finish` (exit code and standard
    error) or :meth:`abort` (stop it; its output is not needed). Both kill whatever is left
    of its process group.
    """

    def __init__(
        self, session: GitSession, operation: str, argv: list[str], with_stdin: bool
    ) -> None:
        self.session = session
        self.operation = operation
        # A file, not a pipe: it never fills up, so git never blocks on it.
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in _end/finish
        try:
            self.popen = subprocess.Popen(  # a list, no shell
                argv,
                stdin=subprocess.PIPE if with_stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=session.env,
                start_new_session=True,
                close_fds=True,
            )
        except BaseException:
            self._stderr.close()
            raise
        self.killed_for: Literal["cancel", "budget", "abort"] | None = None
        self._ended = False
        self._done = threading.Event()
        session._enter(self)
        self._watchdog = threading.Thread(target=self._watch, name="git-watchdog", daemon=True)
        self._watchdog.start()

    def _watch(self) -> None:
        cancel = self.session.cancel
        group_killed = False
        while not self._done.wait(POLL_S):
            if cancel is not None and cancel.is_set():
                self.kill("cancel")
                return
            if self.session.used_s() > self.session.budget_s:
                self.kill("budget")
                return
            if not group_killed and self._exited():
                # git has ended: whatever it left in its group (holding the output pipe
                # open, perhaps) goes too, so reading its output ends.
                self._kill_group()
                group_killed = True

    def _exited(self) -> bool:
        """Whether git itself has ended (checked without reaping it)."""
        if not hasattr(os, "waitid"):  # pragma: no cover - platforms without waitid
            return False
        try:
            flags = os.WEXITED | os.WNOWAIT | os.WNOHANG
            return os.waitid(os.P_PID, self.popen.pid, flags) is not None
        except ChildProcessError:
            return True

    def _kill_group(self) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def kill(self, reason: Literal["cancel", "budget", "abort"]) -> None:
        """Kill git and everything in its process group (the first reason given sticks)."""
        if self.killed_for is None:
            self.killed_for = reason
        self._kill_group()

    def write(self, data: bytes) -> bool:
        """Send ``data`` to git's standard input; False when git no longer reads it."""
        assert self.popen.stdin is not None
        try:
            self.popen.stdin.write(data)
            self.popen.stdin.flush()
        except (BrokenPipeError, ValueError):
            return False
        return True

    def close_stdin(self) -> None:
        """Tell git its input is complete."""
        if self.popen.stdin is not None:
            with suppress(BrokenPipeError, ValueError):
                self.popen.stdin.close()

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes of git's output as they come (``b""`` at its end)."""
        stdout = self.popen.stdout
        assert isinstance(stdout, io.BufferedReader)
        return stdout.read1(size)

    def read_exactly(self, size: int) -> bytes:
        """``size`` bytes of git's output, fewer only at its end."""
        assert self.popen.stdout is not None
        return self.popen.stdout.read(size)

    def readline(self, limit: int) -> bytes:
        """One line of git's output (at most ``limit`` bytes)."""
        assert self.popen.stdout is not None
        return self.popen.stdout.readline(limit)

    def finish(self) -> tuple[int, bytes]:
        """Wait for git to end; return its exit code and the start of its standard error.

        Raises :class:`~reporter.errors.Cancelled` when ``cancel`` stopped it and
        :class:`GitFailed` (``Timeout``) when the budget did.
        """
        self._end()
        self._stderr.seek(0)
        stderr = self._stderr.read(STDERR_BYTES)
        self._stderr.close()
        if self.killed_for == "cancel":
            raise Cancelled
        if self.killed_for == "budget":
            raise self.session.budget_spent(self.operation)
        return self.popen.returncode, stderr

    def abort(self) -> None:
        """Stop git now and clean up; never raises (a no-op once it has ended)."""
        if self._ended:
            return
        self.kill("abort")
        self._end()
        self._stderr.close()

    def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        try:
            self.close_stdin()
            if self.popen.stdout is not None:
                self.popen.stdout.close()  # git gets EPIPE if it still writes
            if hasattr(os, "waitid"):
                # Wait without reaping: the group id cannot be reused while git is a zombie.
                with suppress(ChildProcessError):
                    os.waitid(os.P_PID, self.popen.pid, os.WEXITED | os.WNOWAIT)
            else:  # pragma: no cover - platforms without waitid
                self.popen.wait()
        finally:
            self._done.set()
            if self._watchdog is not threading.current_thread():
                self._watchdog.join()
            self._kill_group()  # whatever git left behind (all of it, when interrupted)
            self.popen.wait()
            self.session._leave(self)


@dataclass(frozen=True)
class Completed:
    """A git command that ran to its end."""

    returncode: int
    stdout: bytes
    stderr: bytes


@dataclass(frozen=True)
class Repo:
    """The work tree a session's root is in."""

    toplevel: Path
    head: str | None
    """The full id of ``HEAD``'s commit; None in a repository without commits."""
    shallow: frozenset[str]
    """Commits whose parents this clone does not have (the shallow boundary)."""
    grafts: bool
    """The repository has an ``info/grafts`` file: git would rewrite parents by it."""

    @property
    def is_shallow(self) -> bool:
        """Whether this is a shallow clone."""
        return bool(self.shallow)


class GitSession:
    """All git work of one run: where, with which environment, the time budget, the processes.

    ``root`` is ``code.root`` (resolved); git finds the work tree from there. ``budget_s``
    bounds the time during which any git of the session runs; ``cancel``, once set, stops
    the running git within :data:`POLL_S` and makes every call raise
    :class:`~reporter.errors.Cancelled`. Usable from several threads. :meth:`close` (or
    leaving a ``with`` block) kills whatever still runs.
    """

    def __init__(
        self,
        root: Path,
        redactor: Redactor,
        *,
        budget_s: float = GIT_BUDGET_S,
        cancel: threading.Event | None = None,
    ) -> None:
        self.root = root
        self.redactor = redactor
        self.budget_s = budget_s
        self.cancel = cancel
        self.env = git_environment()
        self._lock = threading.Lock()
        self._used = 0.0
        self._busy_since = 0.0
        self._running: set[GitProcess] = set()
        self._closed = False
        self._repo: Repo | GitFailed | None = None
        self._partial: bool | None = None

    def __enter__(self) -> GitSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill every git still running; later calls fail with ``Cancelled``."""
        with self._lock:
            self._closed = True
            running = list(self._running)
        for process in running:
            process.kill("cancel")

    # ----------------------------------------------------------------- accounting

    def used_s(self) -> float:
        """Seconds during which at least one git of this session has been running."""
        with self._lock:
            if self._running:
                return self._used + (time.monotonic() - self._busy_since)
            return self._used

    def _enter(self, process: GitProcess) -> None:
        with self._lock:
            if not self._running:
                self._busy_since = time.monotonic()
            self._running.add(process)

    def _leave(self, process: GitProcess) -> None:
        with self._lock:
            if process not in self._running:
                return
            self._running.discard(process)
            if not self._running:
                self._used += time.monotonic() - self._busy_since

    def check(self) -> None:
        """Raise :class:`~reporter.errors.Cancelled` once cancelled or closed."""
        if self._closed or (self.cancel is not None and self.cancel.is_set()):
            raise Cancelled

    def budget_spent(self, operation: str) -> GitFailed:
        """The error of a git call stopped (or refused) because the time budget is used up."""
        message = f"all git work of a run may take {self.budget_s:g} s, and that time is used up"
        return self.failed(operation, "Timeout", message)

    def failed(self, operation: str, code: str, message: str) -> GitFailed:
        """A :class:`GitFailed` for ``operation``."""
        return GitFailed(EvidenceError(operation=operation, code=code, message=message))

    # ----------------------------------------------------------------- running

    def start(
        self, operation: str, *args: str, cwd: Path | None = None, with_stdin: bool = False
    ) -> GitProcess:
        """Start ``git args`` in ``cwd`` (default: the root). The caller ends it.

        Raises :class:`~reporter.errors.Cancelled`, or :class:`GitFailed` when the budget
        is used up or git cannot be started (``GitNotFound``, ``GitNotStarted``).
        """
        self.check()
        if self.used_s() > self.budget_s:
            raise self.budget_spent(operation)
        argv = git_argv(cwd or self.root, *args)
        try:
            return GitProcess(self, operation, argv, with_stdin)
        except FileNotFoundError:
            raise self.failed(
                operation, "GitNotFound", "git is not installed (not on PATH)"
            ) from None
        except OSError as exc:
            message = f"cannot run git: {exc.strerror or exc}"
            raise self.failed(operation, "GitNotStarted", message) from None

    @contextmanager
    def process(
        self, operation: str, *args: str, cwd: Path | None = None, with_stdin: bool = False
    ) -> Iterator[GitProcess]:
        """:meth:`start` git for a ``with`` block; it is stopped when the block is left."""
        process = self.start(operation, *args, cwd=cwd, with_stdin=with_stdin)
        try:
            yield process
        finally:
            process.abort()

    def run(
        self,
        operation: str,
        *args: str,
        cwd: Path | None = None,
        stdin: bytes | None = None,
        limit: int = CAPTURE_BYTES,
    ) -> Completed:
        """Run ``git args`` to its end and return its output (at most ``limit`` bytes kept).

        Output beyond ``limit`` fails the call (``OutputTooLarge``).
        """
        writer: threading.Thread | None = None
        with self.process(operation, *args, cwd=cwd, with_stdin=stdin is not None) as process:
            try:
                if stdin is not None:
                    writer = threading.Thread(
                        target=_feed, args=(process, stdin), name="git-stdin", daemon=True
                    )
                    writer.start()
                chunks: list[bytes] = []
                size = 0
                while chunk := process.read(64 * 1024):
                    size += len(chunk)
                    if size > limit:
                        process.kill("abort")
                        process.finish()
                        message = f"git printed more than {limit} bytes"
                        raise self.failed(operation, "OutputTooLarge", message)
                    chunks.append(chunk)
                returncode, stderr = process.finish()
            finally:
                process.abort()  # before joining the writer: a dead git unblocks it
                if writer is not None:
                    writer.join()
        return Completed(returncode=returncode, stdout=b"".join(chunks), stderr=stderr)

    def error_from(self, operation: str, done: Completed) -> GitFailed:
        """A ``GitError`` with git's first line of standard error."""
        return self.failed(operation, "GitError", first_line(done.stderr, self.redactor))

    # ----------------------------------------------------------------- the repository

    def repo(self) -> Repo:
        """The work tree holding the root (asked once per session).

        Raises :class:`GitFailed`: ``NotGit`` when the root is in no work tree, ``GitError``
        when git refuses it (a repository owned by someone else, a corrupt one...).
        """
        with self._lock:
            cached = self._repo
        if isinstance(cached, Repo):
            return cached
        if isinstance(cached, GitFailed):
            raise cached
        try:
            repo = self._find_repo()
        except GitFailed as failed:
            with self._lock:
                self._repo = failed
            raise
        with self._lock:
            self._repo = repo
        return repo

    def _find_repo(self) -> Repo:
        op = "git rev-parse"
        top = self.run(op, "rev-parse", "--show-toplevel")
        if top.returncode != 0:
            line = first_line(top.stderr, self.redactor)
            if "not a git repository" in line:
                raise self.failed(op, "NotGit", f"{self.root} is not inside a git work tree")
            if "must be run in a work tree" in line:
                raise self.failed(
                    op, "NotGit", f"{self.root} is not in a work tree (bare repository)"
                )
            raise self.failed(op, "GitError", line)
        toplevel_text = top.stdout.decode("utf-8", errors="surrogateescape").removesuffix("\n")
        if not toplevel_text:
            raise self.failed(op, "NotGit", f"{self.root} is not inside a git work tree")
        toplevel = Path(toplevel_text).resolve()
        common = self.run(op, "rev-parse", "--is-shallow-repository", "--git-common-dir")
        if common.returncode != 0:
            raise self.error_from(op, common)
        shallow_flag, _, common_text = (
            common.stdout.decode("utf-8", errors="surrogateescape")
            .removesuffix("\n")
            .partition("\n")
        )
        common_dir = self.root / common_text
        shallow: frozenset[str] = frozenset()
        if shallow_flag == "true":
            shallow = self._shallow_commits(common_dir / "shallow")
        head = self.run(op, "rev-parse", "--verify", "-q", "HEAD^{commit}")
        head_id = (
            head.stdout.decode("ascii", errors="replace").strip() if head.returncode == 0 else ""
        )
        return Repo(
            toplevel=toplevel,
            head=head_id if OBJECT_ID.fullmatch(head_id) else None,
            shallow=shallow,
            grafts=(common_dir / "info" / "grafts").exists(),
        )

    def _shallow_commits(self, path: Path) -> frozenset[str]:
        try:
            with path.open("rb") as handle:
                data = handle.read(CAPTURE_BYTES)
        except OSError as exc:
            message = f"cannot read the shallow boundary: {exc.strerror or exc}"
            raise self.failed("git rev-parse", "GitError", message) from None
        ids = frozenset(
            line.decode("ascii", errors="replace").strip() for line in data.splitlines()
        )
        # A shallow file that lists nothing readable still means a shallow clone.
        return frozenset(i for i in ids if i) or frozenset({"?"})

    def is_partial(self) -> bool:
        """Whether the repository is a partial clone (it has a promisor remote)."""
        with self._lock:
            if self._partial is not None:
                return self._partial
        done = self.run(
            "git config",
            "config",
            "--get-regexp",
            r"^(remote\..*\.promisor|extensions\.partialclone)$",
            limit=64 * 1024,
        )
        partial = done.returncode == 0 and bool(done.stdout.strip())
        with self._lock:
            self._partial = partial
        return partial

    def missing(self, operation: str, oid: str, how_to_fetch: str | None = None) -> GitFailed:
        """The error for an object the repository does not have.

        In a partial clone (``MissingObject``) it says how to fetch it; otherwise the
        repository is damaged (``GitError``).
        """
        if self.is_partial():
            how = how_to_fetch or f"git cat-file -e {oid}"
            message = (
                f"object {oid} is not in this partial clone and reporter never fetches: "
                f"run `{how}` once in code.root (git then fetches what it needs), "
                "or fetch the whole history"
            )
            return self.failed(operation, "MissingObject", message)
        return self.failed(operation, "GitError", f"object {oid} is missing from the repository")


def _feed(process: GitProcess, data: bytes) -> None:
    process.write(data)
    process.close_stdin()


# --------------------------------------------------------------------------- objects


class GitObject:
    """One object being read from ``git cat-file --batch``: its type, size and content."""

    def __init__(self, process: GitProcess, oid: str, kind: str, size: int) -> None:
        self.oid = oid
        self.kind = kind
        self.size = size
        self.left = size
        self._process = process

    def read(self, size: int) -> bytes:
        """Up to ``size`` more bytes of the content (``b""`` at its end)."""
        if self.left <= 0:
            return b""
        data = self._process.read_exactly(min(size, self.left))
        self.left -= len(data)
        if not data:
            self.left = -1  # git ended early: the stream is broken
        return data


class CatFile:
    """Objects read through one ``git cat-file --batch`` (started on first use).

    An object read only in part is skipped by reading on when little is left, else the
    process is stopped and the next read starts a new one: a huge object costs only the
    bytes the caller reads.
    """

    def __init__(self, session: GitSession, operation: str, cwd: Path) -> None:
        self.session = session
        self.operation = operation
        self.cwd = cwd
        self._process: GitProcess | None = None

    def close(self) -> None:
        """Stop the process."""
        if self._process is not None:
            self._process.abort()
            self._process = None

    def __enter__(self) -> CatFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def open(self, oid: str, how_to_fetch: str | None = None) -> Iterator[GitObject]:
        """Read object ``oid`` in a ``with`` block.

        Raises :class:`GitFailed` (``MissingObject`` in a partial clone, ``GitError``...),
        :class:`~reporter.errors.Cancelled`.
        """
        if not OBJECT_ID.fullmatch(oid):
            raise self.session.failed(
                self.operation, "BadOutput", f"not an object id: {oid[:80]!r}"
            )
        self.session.check()
        if self._process is None:
            self._process = self.session.start(
                self.operation, "cat-file", "--batch", cwd=self.cwd, with_stdin=True
            )
        process = self._process
        header = b""
        if process.write(f"{oid}\n".encode("ascii")):
            header = process.readline(4096)
        if not header.endswith(b"\n"):
            self._process = None
            raise self._broken(process, oid, how_to_fetch)
        fields = header.decode("ascii", errors="replace").split()
        if len(fields) == 2 and fields[1] == "missing":
            raise self.session.missing(self.operation, oid, how_to_fetch)
        try:
            _, kind, size_text = fields
            size = int(size_text)
        except ValueError:
            self.close()
            message = (
                f"unexpected cat-file output {visible(header[:80].decode('ascii', 'replace'))!r}"
            )
            raise self.session.failed(self.operation, "BadOutput", message) from None
        item = GitObject(process, oid, kind, size)
        try:
            yield item
        finally:
            self._skip_rest(item)

    def _skip_rest(self, item: GitObject) -> None:
        if item.left < 0 or item.left > DRAIN_BYTES:
            self.close()
            return
        while item.left > 0 and item.read(64 * 1024):
            pass
        if item.left != 0 or self._process is None or self._process.read_exactly(1) != b"\n":
            self.close()

    def _broken(self, process: GitProcess, oid: str, how_to_fetch: str | None) -> GitFailed:
        process.kill("abort")
        _, stderr = process.finish()  # raises Cancelled / Timeout when that stopped it
        text = stderr.decode("utf-8", errors="replace")
        if "promisor" in text or "lazy fetch" in text or "could not fetch" in text:
            return self.session.missing(self.operation, oid, how_to_fetch)
        return self.session.failed(
            self.operation, "GitError", first_line(stderr, self.session.redactor)
        )


@dataclass(frozen=True)
class CommitInfo:
    """What a report shows of a commit."""

    commit: str
    parents: tuple[str, ...]
    committed_at: datetime
    """Committer time, in UTC."""
    subject: str
    """Redacted, cut and made visible."""


COMMIT_BYTES = 1024 * 1024
"""Most bytes of a commit object read (its headers and subject come first)."""


def read_commit(cat: CatFile, oid: str) -> CommitInfo:
    """The committer time, parents and subject of commit ``oid`` (from the raw object).

    Raises :class:`GitFailed` (``NotACommit``, ``BadOutput``...).
    """
    session = cat.session
    with cat.open(oid) as item:
        if item.kind != "commit":
            raise session.failed(
                cat.operation, "NotACommit", f"{oid} is a {item.kind}, not a commit"
            )
        data = b""
        while len(data) < COMMIT_BYTES and (chunk := item.read(COMMIT_BYTES - len(data))):
            data += chunk
    head, _, message = data.partition(b"\n\n")
    parents: list[str] = []
    committer: bytes | None = None
    encoding = "utf-8"
    for line in head.split(b"\n"):
        if line.startswith(b"parent "):
            parents.append(line[7:].decode("ascii", errors="replace"))
        elif line.startswith(b"committer "):
            committer = line
        elif line.startswith(b"encoding "):
            encoding = line[9:].decode("ascii", errors="replace").strip() or "utf-8"
    when = _committer_time(committer)
    if when is None:
        raise session.failed(
            cat.operation, "BadOutput", f"commit {oid} has no readable committer time"
        )
    try:
        text = message.decode(encoding, errors="backslashreplace")
    except LookupError:
        text = message.decode("utf-8", errors="backslashreplace")
    paragraph = text.lstrip("\n").split("\n\n", 1)[0]
    subject = " ".join(line.strip() for line in paragraph.splitlines() if line.strip())
    return CommitInfo(
        commit=oid,
        parents=tuple(parents),
        committed_at=when,
        subject=clean(subject, session.redactor, SUBJECT_CHARS),
    )


def _committer_time(line: bytes | None) -> datetime | None:
    if line is None:
        return None
    # "committer Name <email> 1764145800 +0100": the time follows the last '>'.
    _, _, after = line.rpartition(b">")
    fields = after.split()
    if len(fields) != 2:
        return None
    try:
        return datetime.fromtimestamp(int(fields[0]), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


# --------------------------------------------------------------------------- revision

MERGE_BASE = "git merge-base"
REV_PARSE = "git rev-parse"


def _unshallow_advice(what: str) -> str:
    return f"the checkout is a shallow clone: {what}; run `git fetch --unshallow` in it"


def _resolve(git: GitSession, prefix: str) -> str:
    """The one commit whose id starts with ``prefix``; raises ``RevisionNotFound``/``Ambiguous``."""
    repo = git.repo()
    listed = git.run(REV_PARSE, "rev-parse", f"--disambiguate={prefix}", cwd=repo.toplevel)
    if listed.returncode != 0:
        raise git.error_from(REV_PARSE, listed)
    candidates = [
        c
        for c in listed.stdout.decode("ascii", errors="replace").split()
        if OBJECT_ID.fullmatch(c) and c.startswith(prefix)
    ]
    commits: list[str] = []
    if candidates:
        check = git.run(
            "git cat-file",
            "cat-file",
            "--batch-check",
            cwd=repo.toplevel,
            stdin="".join(f"{c}\n" for c in candidates).encode("ascii"),
        )
        if check.returncode != 0:
            raise git.error_from("git cat-file", check)
        for line in check.stdout.decode("ascii", errors="replace").splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[1] == "commit":
                commits.append(fields[0])
    if len(commits) == 1:
        return commits[0]
    if len(commits) > 1:
        shown = ", ".join(c[:12] for c in sorted(commits)[:5])
        more = f" and {len(commits) - 5} more" if len(commits) > 5 else ""
        message = (
            f"{prefix} is the start of {len(commits)} commits ({shown}{more}): give more digits"
        )
        raise git.failed(REV_PARSE, "AmbiguousRevision", message)
    if repo.is_shallow:
        raise git.failed(
            REV_PARSE, "ShallowClone", _unshallow_advice(f"commit {prefix} is not in it")
        )
    message = (
        f"commit {prefix} is not in the checkout: run `git fetch` in it (or check out the "
        "repository the image was built from)"
    )
    raise git.failed(REV_PARSE, "RevisionNotFound", message)


def _is_ancestor(
    git: GitSession, repo: Repo, fix: str, commit: str
) -> tuple[bool | None, EvidenceError | None]:
    done = git.run(MERGE_BASE, "merge-base", "--is-ancestor", fix, commit, cwd=repo.toplevel)
    if done.returncode == 0:
        return True, None
    if done.returncode == 1:
        if repo.is_shallow:
            why = _unshallow_advice(
                f"{fix[:12]} may be an ancestor of {commit[:12]} through history it lacks"
            )
            return None, EvidenceError(operation=MERGE_BASE, code="ShallowClone", message=why)
        return False, None
    error = git.error_from(MERGE_BASE, done).error
    if repo.is_shallow:
        why = _unshallow_advice(f"git could not answer ({error.message})")
        return None, EvidenceError(operation=MERGE_BASE, code="ShallowClone", message=why)
    return None, error


def collect_revision(
    git: GitSession,
    revision: str,
    source: Literal["label", "spec"],
    fix_commits: Mapping[str, str | None],
) -> RevisionEvidence:
    """Whether each hotfix's fix commit is in the commit the image was built from.

    ``revision`` is the image's ``revision_label`` value (``source="label"``) or the
    spec's ``[image] revision`` (``"spec"``): a commit id, full or abbreviated (4 to 64
    hexadecimal digits). ``fix_commits`` maps each hotfix id to its fix commit (None when
    none is known). The answer per hotfix is ``git merge-base --is-ancestor FIX REVISION``
    in the checkout: True, False, or None with an error. In a shallow clone a "no" is not
    trusted (the path may run through history the clone lacks): it becomes None with
    ``ShallowClone``. A revision that cannot be looked up (not a commit id, not in the
    checkout, ambiguous, shallow clone, grafts, git failing) is the top-level ``error``,
    repeated on every hotfix. Raises only :class:`~reporter.errors.Cancelled`.
    """
    text = revision.strip()
    base = RevisionEvidence(revision=clean(text, git.redactor, 100), source=source)

    def everywhere(error: EvidenceError) -> RevisionEvidence:
        fixes = tuple(
            FixInRevision(hotfix=h, fix_commit=f, error=error) for h, f in fix_commits.items()
        )
        return base.model_copy(update={"error": error, "fixes": fixes})

    if not _HEX.fullmatch(text):
        shown = visible(text[:80], keep_newlines=False)
        message = f"{shown!r} is not a commit id (4 to 64 hexadecimal digits)"
        return everywhere(
            EvidenceError(operation=REV_PARSE, code="InvalidRevision", message=message)
        )
    try:
        repo = git.repo()
        if repo.grafts:
            raise git.failed(REV_PARSE, "Grafted", _GRAFTS)
        commit = _resolve(git, text.lower())
        with CatFile(git, "git cat-file", repo.toplevel) as cat:
            info = read_commit(cat, commit)
    except GitFailed as failed:
        return everywhere(failed.error)
    fixes: list[FixInRevision] = []
    for hotfix, fix in fix_commits.items():
        if fix is None or not OBJECT_ID.fullmatch(fix):
            why = (
                "no fix commit is known for this hotfix"
                if fix is None
                else f"{fix[:80]!r} is not a full commit id"
            )
            error = EvidenceError(operation=MERGE_BASE, code="NoFixCommit", message=why)
            fixes.append(FixInRevision(hotfix=hotfix, fix_commit=fix, error=error))
            continue
        try:
            contains, error_or_none = _is_ancestor(git, repo, fix, commit)
        except GitFailed as failed:
            contains, error_or_none = None, failed.error
        fixes.append(
            FixInRevision(hotfix=hotfix, fix_commit=fix, contains=contains, error=error_or_none)
        )
    return base.model_copy(
        update={
            "commit": commit,
            "committed_at": info.committed_at,
            "subject": info.subject,
            "fixes": tuple(fixes),
        }
    )


_GRAFTS = (
    "the repository has an info/grafts file, which rewrites the parents of commits: "
    "history read through it proves nothing (remove it, or convert it with "
    "`git replace --convert-graft-file`)"
)
"""Why a repository with grafts is not trusted."""


def grafts_error(operation: str) -> EvidenceError:
    """The error for a repository whose history is rewritten by ``info/grafts``."""
    return EvidenceError(operation=operation, code="Grafted", message=_GRAFTS)
