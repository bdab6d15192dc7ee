"""The source checkout under ``code.root``: are the hotfixes' code markers there, and since when.

**Markers.** For every ``code`` entry of every hotfix the file is read (streamed, never
loaded whole; each file once for all the texts looked for in it) and the marker text is
looked for as UTF-8 bytes; the 1-based numbers of the lines where it starts are kept, with
the first such line (redacted and cut) for the report. Reading has a byte budget per file
(:data:`FILE_SCAN_BYTES`) and per run (:data:`TOTAL_SCAN_BYTES`), so a huge or sparse file
at a code path costs bounded time: a text not seen before the budget stopped the scan is
not known to be absent (``found`` None, error ``ScanBudget``), never "not found".

**Fix commits.** When the checkout is a git work tree, the fix commit of a hotfix is the
commit that brought its markers into the checked-out branch: walking ``HEAD``'s
first-parent history (one ``git log --first-parent --raw`` for every marker of every
hotfix), the newest first-parent commit whose first parent does not hold the text in the
file while it does, and every commit after it on the branch does. So a fix merged from
a branch is dated by the merge (``via_merge``; ``introduced_by`` names the branch commit
that added it), a direct or squashed one by itself, and a marker removed and added again
by its latest introduction. Times are committer times, never author times (rebases and
cherry-picks keep old author dates). A hotfix with several markers is fixed once the last
one arrived. Whether a version of the file holds a text is read from its blob
(``git cat-file --batch``) under the same byte budgets. A marker that is not in the file
as committed at ``HEAD`` is ``NotCommitted``; a walk that reaches the edge of a shallow
clone is ``ShallowClone``; an object a partial clone lacks is ``MissingObject`` (never
fetched). All git work runs in a :class:`~reporter.collect.git.GitSession`: no network,
no program from the repository's configuration, one time budget for the run.
"""

from __future__ import annotations

import errno
import os
import shlex
import stat
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from reporter.collect.git import (
    CatFile,
    CommitInfo,
    GitFailed,
    GitSession,
    Repo,
    first_line,
    grafts_error,
    read_commit,
)
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
FILE_SCAN_BYTES = 64 * 1024 * 1024
"""Most bytes read from one file, or one version of it in git, to look for its markers."""
TOTAL_SCAN_BYTES = 1024 * 1024 * 1024
"""Most bytes read from files and git objects for all markers of one run."""
METHOD_CHARS = 4000
"""Longest ``method`` command kept."""

READ_FILE = "read file"
GIT_LOG = "git log"
GIT_LS_TREE = "git ls-tree"
GIT_CAT_FILE = "git cat-file"

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_ZERO_ID = frozenset({"0" * 40, "0" * 64})
_FILE_MODES = frozenset({"100644", "100755", "120000"})
"""Tree entry modes whose object is a blob (a file or a symbolic link)."""


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
    return scan_many(read, [needle], chunk_size=chunk_size, max_lines=max_lines).results[0]


@dataclass
class MultiScan:
    """What :func:`scan_many` found."""

    results: list[ScanResult]
    """One per needle, in the order given."""
    bytes_read: int = 0
    cut: bool = False
    """The byte limit stopped the scan before the end of the stream."""


def scan_many(
    read: Callable[[int], bytes],
    needles: Sequence[bytes],
    *,
    limit: int | None = None,
    chunk_size: int = CHUNK_BYTES,
    max_lines: int = MAX_LINE_NUMBERS,
    check: Callable[[], None] | None = None,
) -> MultiScan:
    """:func:`scan_stream` for several needles in one pass over the stream.

    Reads at most ``limit`` bytes (None: no limit); when the stream goes on past them,
    ``cut`` is set. Stops early once every needle has ``max_lines`` lines. ``check`` is
    called before each read (it may raise, e.g. when the run is cancelled).
    """
    if not needles or not all(needles):
        raise ValueError("cannot scan for an empty text")
    scanners = [_Scanner(needle, max_lines) for needle in needles]
    outcome = MultiScan(results=[s.result for s in scanners])
    while not all(s.done for s in scanners):
        if check is not None:
            check()
        size = chunk_size
        if limit is not None:
            size = min(size, limit - outcome.bytes_read)
            if size <= 0:
                outcome.cut = bool(read(1))
                break
        chunk = read(size)
        if not chunk:
            break
        outcome.bytes_read += len(chunk)
        for scanner in scanners:
            if not scanner.done:
                scanner.feed(chunk)
    return outcome


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


@dataclass
class ByteBudget:
    """Bytes that may still be read for the markers of one run, and the per-file cap."""

    per_file: int
    left: int
    total: int

    def allowance(self) -> int:
        """How much the next file (or object) may read."""
        return max(0, min(self.per_file, self.left))

    def spend(self, size: int) -> None:
        """Count ``size`` bytes read."""
        self.left -= size

    def cut_message(self, what: str, read: int, size: int | None) -> str:
        """Why the scan of ``what`` stopped early, for an error message."""
        of = f" of {_size(size)}" if size is not None else ""
        if read >= self.per_file:
            limit = f"the budget of {_size(self.per_file)} per file"
        else:
            limit = f"the budget of {_size(self.total)} for all code files of the run"
        return (
            f"{what}: only the first {_size(read)}{of} were read ({limit}); "
            "the text was not in them"
        )


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


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


def _with_error(
    base: CodeMarkerEvidence, code: str, message: str, redactor: Redactor, exists: bool | None
) -> CodeMarkerEvidence:
    error = EvidenceError(
        operation=READ_FILE, code=code, message=clean(message, redactor, LINE_TEXT_CHARS)
    )
    return base.model_copy(update={"file_exists": exists, "error": error})


def _find_in_file(
    root: Path,
    path: str,
    bases: Sequence[CodeMarkerEvidence],
    redactor: Redactor,
    budget: ByteBudget,
    check: Callable[[], None] | None,
) -> list[CodeMarkerEvidence]:
    """Look for the texts of ``bases`` (all entries naming ``path``) in one read of the file."""
    try:
        with _open_inside(root, path) as handle:
            size = os.fstat(handle.fileno()).st_size
            allowance = budget.allowance()
            needles = list(dict.fromkeys(b.text.encode("utf-8") for b in bases))
            scan = scan_many(handle.read, needles, limit=allowance, check=check)
            budget.spend(scan.bytes_read)
            found = dict(zip(needles, scan.results, strict=True))
            shown: dict[bytes, str | None] = {}
            for needle, result in found.items():
                shown[needle] = None
                if result.first_line_start is not None:
                    shown[needle] = _first_line(handle, result.first_line_start, redactor)
    except FileNotFoundError:
        return [b.model_copy(update={"found": False, "file_exists": False}) for b in bases]
    except _ReadFailed as failed:
        return [_with_error(b, failed.code, failed.message, redactor, failed.exists) for b in bases]
    except OSError as exc:  # reading, after a successful open
        cause = _os_failure(path, exc)
        return [_with_error(b, cause.code, cause.message, redactor, True) for b in bases]
    out: list[CodeMarkerEvidence] = []
    for base in bases:
        result = found[base.text.encode("utf-8")]
        if not result.lines and scan.cut:
            message = budget.cut_message(path, scan.bytes_read, size)
            out.append(_with_error(base, "ScanBudget", message, redactor, True))
            continue
        out.append(
            base.model_copy(
                update={
                    "found": bool(result.lines),
                    "file_exists": True,
                    "lines": tuple(result.lines),
                    "line_text": shown[base.text.encode("utf-8")],
                }
            )
        )
    return out


def _find_markers(
    root: Path,
    entries: Sequence[tuple[str, CodeMarker]],
    redactor: Redactor,
    budget: ByteBudget,
    check: Callable[[], None] | None,
) -> tuple[CodeMarkerEvidence, ...]:
    """Every (hotfix id, entry) looked up, in the order given; each file read once."""
    by_path: dict[str, list[int]] = {}
    for index, (_, marker) in enumerate(entries):
        by_path.setdefault(marker.path, []).append(index)
    out: list[CodeMarkerEvidence | None] = [None] * len(entries)
    for path, indexes in by_path.items():
        bases = [
            CodeMarkerEvidence(hotfix=entries[i][0], path=path, text=entries[i][1].contains)
            for i in indexes
        ]
        for i, evidence in zip(
            indexes, _find_in_file(root, path, bases, redactor, budget, check), strict=True
        ):
            out[i] = evidence
    return tuple(e for e in out if e is not None)


# --------------------------------------------------------------------------- git: walk


@dataclass(frozen=True)
class _Intro:
    """Where a marker came in on a first-parent walk."""

    commit: str
    position: int
    """0 for the newest commit the walk showed, then 1, 2... (older)."""


@dataclass
class _Track:
    """One marker followed down a first-parent history."""

    path: str
    """Relative to the repository's top level, ``/``-separated."""
    needle: bytes
    oid: str
    """The blob holding the text on the newer side of the walk so far."""
    intro: _Intro | None = None
    error: EvidenceError | None = None

    @property
    def resolved(self) -> bool:
        return self.intro is not None or self.error is not None


@dataclass
class _Reader:
    """Answers "does this blob hold this text?" once per (blob, text), within the budgets."""

    git: GitSession
    cat: CatFile
    budget: ByteBudget
    how_to_fetch: dict[str, str]
    """Per path, the command that lets git fetch what the walk needs (partial clones)."""
    cache: dict[tuple[str, bytes], bool | EvidenceError] = field(default_factory=dict)

    def contains(self, oid: str, path: str, needles: Iterable[bytes]) -> None:
        """Read ``oid`` once for every needle not yet cached (errors are cached too)."""
        wanted = [n for n in dict.fromkeys(needles) if (oid, n) not in self.cache]
        if not wanted:
            return
        try:
            self._scan(oid, path, wanted)
        except GitFailed as failed:
            for needle in wanted:
                self.cache[(oid, needle)] = failed.error

    def answer(self, oid: str, needle: bytes) -> bool | EvidenceError:
        """The cached answer (call :meth:`contains` first)."""
        return self.cache[(oid, needle)]

    def _scan(self, oid: str, path: str, needles: list[bytes]) -> None:
        with self.cat.open(oid, self.how_to_fetch.get(path)) as item:
            if item.kind != "blob":
                for needle in needles:
                    self.cache[(oid, needle)] = False
                return
            allowance = self.budget.allowance()
            scan = scan_many(item.read, needles, limit=allowance, max_lines=1, check=self.git.check)
            self.budget.spend(scan.bytes_read)
            if item.left < 0:
                raise GitFailed(
                    EvidenceError(
                        operation=GIT_CAT_FILE,
                        code="GitError",
                        message=f"git cat-file stopped while reading {oid}",
                    )
                )
        for needle, result in zip(needles, scan.results, strict=True):
            if result.lines:
                self.cache[(oid, needle)] = True
            elif scan.cut:
                where = f"{visible(path, keep_newlines=False)} at blob {oid[:12]}"
                message = self.budget.cut_message(where, scan.bytes_read, item.size)
                self.cache[(oid, needle)] = EvidenceError(
                    operation=GIT_CAT_FILE, code="ScanBudget", message=message
                )
            else:
                self.cache[(oid, needle)] = False


def _walk(
    git: GitSession,
    reader: _Reader,
    repo: Repo,
    tips: Sequence[str],
    tracks: Sequence[_Track],
) -> None:
    """Date every track on the first-parent history of ``tips[0]``, not into ``tips[1:]``.

    A track ends with ``intro`` (the newest first-parent commit whose first parent lacks the
    text), ``error``, or neither when the history given ends with the text still there.
    One ``git log`` for all tracks, stopped as soon as every track is resolved.
    """
    pending: dict[str, list[_Track]] = {}
    for track in tracks:
        if not track.resolved:
            pending.setdefault(track.path, []).append(track)
    if not pending:
        return
    revisions = [tips[0], *(f"^{t}" for t in tips[1:])]
    stdin = "".join(f"{r}\n" for r in revisions) + "--\n" + "".join(f"{p}\n" for p in pending)
    args = (
        "log",
        "--stdin",
        "-z",
        "--first-parent",
        "-m",
        "--root",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "--no-textconv",
        "--no-ext-diff",
        "--no-color",
        "--format=commit %H %P",
    )
    with git.process(GIT_LOG, *args, cwd=repo.toplevel, with_stdin=True) as process:
        if process.write(stdin.encode("utf-8", errors="surrogateescape")):
            process.close_stdin()
        parser = _RawParser()
        while pending:
            chunk = process.read(64 * 1024)
            if not chunk:
                break
            for commit, parents, entry in parser.feed(chunk):
                _step(git, reader, repo, pending, commit, parents, entry, parser.position)
                if not pending:
                    break
        if not pending:
            process.abort()
            git.check()
            return
        returncode, stderr = process.finish()
    if returncode != 0:
        error = git.failed(GIT_LOG, "GitError", first_line(stderr, git.redactor)).error
        for waiting in pending.values():
            for track in waiting:
                track.error = error


@dataclass(frozen=True)
class _RawEntry:
    old_mode: str
    old_oid: str
    status: str
    path: str


class _RawParser:
    """Turns ``git log -z --raw --format='commit %H %P'`` output into (commit, entry) steps."""

    def __init__(self) -> None:
        self._rest = b""
        self._meta: list[str] | None = None
        self.commit = ""
        self.parents: tuple[str, ...] = ()
        self.position = -1

    def feed(self, chunk: bytes) -> Iterable[tuple[str, tuple[str, ...], _RawEntry]]:
        """The raw entries completed by ``chunk``, each with its commit and parents."""
        *tokens, self._rest = (self._rest + chunk).split(b"\0")
        for token in tokens:
            if self._meta is not None:
                meta, self._meta = self._meta, None
                path = token.decode("utf-8", errors="surrogateescape")
                yield self.commit, self.parents, _RawEntry(meta[0], meta[2], meta[4], path)
                continue
            text = token.lstrip(b"\n").decode("ascii", errors="replace")
            if text.startswith("commit "):
                fields = text.split()
                self.commit = fields[1]
                self.parents = tuple(fields[2:])
                self.position += 1
            elif text.startswith(":"):
                meta = text[1:].split()
                if len(meta) >= 5:
                    self._meta = meta


def _step(
    git: GitSession,
    reader: _Reader,
    repo: Repo,
    pending: dict[str, list[_Track]],
    commit: str,
    parents: tuple[str, ...],
    entry: _RawEntry,
    position: int,
) -> None:
    waiting = pending.get(entry.path)
    if not waiting:
        return
    absent = (
        entry.old_oid in _ZERO_ID
        or entry.status.startswith("A")
        or entry.old_mode not in _FILE_MODES
    )
    if not absent:
        reader.contains(entry.old_oid, entry.path, (t.needle for t in waiting))
    for track in waiting:
        if absent:
            if not parents and (commit in repo.shallow or "?" in repo.shallow):
                track.error = EvidenceError(
                    operation=GIT_LOG,
                    code="ShallowClone",
                    message=(
                        f"the checkout is a shallow clone and {_shown(entry.path)} "
                        f"already holds the text at its oldest commit {commit[:12]}: "
                        "run `git fetch --unshallow` in it"
                    ),
                )
            else:
                track.intro = _Intro(commit=commit, position=position)
            continue
        answer = reader.answer(entry.old_oid, track.needle)
        if isinstance(answer, EvidenceError):
            track.error = answer
        elif answer:
            track.oid = entry.old_oid
        else:
            track.intro = _Intro(commit=commit, position=position)
    pending[entry.path] = [t for t in waiting if not t.resolved]
    if not pending[entry.path]:
        del pending[entry.path]


# --------------------------------------------------------------------------- git: fix commits


@dataclass
class _Dated:
    """One ``code`` entry of a wanted hotfix, on its way to a date."""

    hotfix: str
    marker: CodeMarker
    path: str | None = None
    """Relative to the repository's top level."""
    method: str | None = None
    track: _Track | None = None
    error: EvidenceError | None = None


def _shown(path: str) -> str:
    return visible(path, keep_newlines=False)


def _not_committed(marker: CodeMarker, why: str, redactor: Redactor) -> EvidenceError:
    text = clean(truncate(marker.contains, 80), redactor, 200).replace("\n", "\\n")
    path = visible(marker.path, keep_newlines=False)
    return EvidenceError(
        operation=GIT_LOG, code="NotCommitted", message=f"“{text}” in {path} {why}"
    )


def _method(root: Path, target: Path, marker: CodeMarker, redactor: Redactor) -> str:
    """The command that re-checks the fix commit of ``marker``, run in ``code.root``."""
    try:
        relative = target.relative_to(root).as_posix()
    except ValueError:
        relative = os.path.relpath(target, root)
    if any(c in relative for c in "*?[\\:"):
        relative = f":(literal){relative}"
    command = shlex.join(
        [
            "git",
            "log",
            "--first-parent",
            "-m",
            "--format=%H %cI %s",
            f"-S{marker.contains}",
            "--",
            relative,
        ]
    )
    return clean(command, redactor, METHOD_CHARS).replace("\n", "\\n")


def _prepare(
    root: Path, repo: Repo, hotfixes: Sequence[HotfixSection], redactor: Redactor
) -> list[_Dated]:
    dated: list[_Dated] = []
    for fix in hotfixes:
        for marker in fix.code:
            item = _Dated(hotfix=fix.id, marker=marker)
            dated.append(item)
            if "\x00" in marker.contains or "\x00" in marker.path:
                message = "git cannot search for a NUL character"
                item.error = EvidenceError(
                    operation=GIT_LOG, code="InvalidArgument", message=message
                )
                continue
            target = (root / marker.path).resolve()
            if not target.is_relative_to(repo.toplevel):
                shown = visible(marker.path, keep_newlines=False)
                item.error = EvidenceError(
                    operation=GIT_LOG,
                    code="OutsideRepository",
                    message=f"{shown} is not in the repository at {repo.toplevel}",
                )
                continue
            relative = target.relative_to(repo.toplevel).as_posix()
            if "\n" in relative or "\r" in relative:
                message = "git cannot be given a path with a line break here"
                item.error = EvidenceError(
                    operation=GIT_LOG, code="InvalidArgument", message=message
                )
                continue
            item.path = relative
            item.method = _method(root, target, marker, redactor)
    return dated


def _ls_tree(
    git: GitSession, repo: Repo, tree: str, paths: Sequence[str]
) -> dict[str, tuple[str, str, str]]:
    """``path -> (mode, type, oid)`` for each of ``paths`` present in ``tree``."""
    found: dict[str, tuple[str, str, str]] = {}
    batch: list[str] = []
    size = 0

    def flush() -> None:
        if not batch:
            return
        done = git.run(
            GIT_LS_TREE, "ls-tree", "-z", "--full-tree", tree, "--", *batch, cwd=repo.toplevel
        )
        if done.returncode != 0:
            raise git.error_from(GIT_LS_TREE, done)
        for record in done.stdout.split(b"\0"):
            meta, tab, name = record.partition(b"\t")
            fields = meta.decode("ascii", errors="replace").split()
            if tab and len(fields) == 3:
                found[name.decode("utf-8", errors="surrogateescape")] = (
                    fields[0],
                    fields[1],
                    fields[2],
                )
        batch.clear()

    for path in dict.fromkeys(paths):
        if size + len(path) > 64 * 1024:
            flush()
            size = 0
        batch.append(path)
        size += len(path) + 1
    flush()
    return found


def _start_tracks(
    git: GitSession,
    reader: _Reader,
    repo: Repo,
    tip: str,
    items: Sequence[_Dated],
    redactor: Redactor,
) -> dict[int, _Track | EvidenceError]:
    """For each item (by index), a track at ``tip`` when its text is there, else why not."""
    paths = [item.path for item in items if item.path is not None]
    entries = _ls_tree(git, repo, tip, paths)
    out: dict[int, _Track | EvidenceError] = {}
    for index, item in enumerate(items):
        assert item.path is not None
        entry = entries.get(item.path)
        if entry is None or entry[1] != "blob" or entry[0] not in _FILE_MODES:
            what = "is not in" if entry is None else "is not a file in"
            out[index] = _not_committed(item.marker, f"{what} commit {tip[:12]}", redactor)
            continue
        needle = item.marker.contains.encode("utf-8")
        reader.contains(entry[2], item.path, [needle])
        answer = reader.answer(entry[2], needle)
        if isinstance(answer, EvidenceError):
            out[index] = answer
        elif not answer:
            why = f"is not in the file as committed at {tip[:12]}"
            out[index] = _not_committed(item.marker, why, redactor)
        else:
            out[index] = _Track(path=item.path, needle=needle, oid=entry[2])
    return out


def _date_markers(
    git: GitSession, reader: _Reader, repo: Repo, dated: list[_Dated], redactor: Redactor
) -> None:
    """Set ``track`` (with its introduction) or ``error`` on every item."""
    head = repo.head
    todo = [item for item in dated if item.error is None]
    if head is None:
        for item in todo:
            item.error = _not_committed(
                item.marker, "is in no commit (the repository has none)", redactor
            )
        return
    if repo.grafts:
        for item in todo:
            item.error = grafts_error(GIT_LOG)
        return
    started = _start_tracks(git, reader, repo, head, todo, redactor)
    for index, item in enumerate(todo):
        result = started[index]
        if isinstance(result, EvidenceError):
            item.error = result
        else:
            item.track = result
    tracks = [item.track for item in todo if item.track is not None]
    _walk(git, reader, repo, [head], tracks)
    for item in todo:
        if item.track is None:
            continue
        if item.track.error is not None:
            item.error = item.track.error
        elif item.track.intro is None:
            message = f"git log did not show when the text came into {_shown(item.marker.path)}"
            item.error = EvidenceError(operation=GIT_LOG, code="GitError", message=message)


def _branch_intros(
    git: GitSession,
    reader: _Reader,
    repo: Repo,
    merge: CommitInfo,
    items: Sequence[_Dated],
    redactor: Redactor,
) -> dict[int, tuple[int, int, str]]:
    """Where each item (by index) came in on the branch ``merge`` brought in.

    For each item, the first merged parent (second, third... parent) holding its text; on
    that parent's first-parent history down to where it left the first parent, the newest
    introduction. The value sorts newest first: ``(parent number, position, commit)``.
    Items no merged parent holds (the merge itself added them), or that the branch already
    had when it left, are left out. One walk per merged parent for all items.
    """
    found: dict[int, tuple[int, int, str]] = {}
    left = list(range(len(items)))
    for number, parent in enumerate(merge.parents[1:], start=1):
        if not left:
            break
        started = _start_tracks(git, reader, repo, parent, [items[i] for i in left], redactor)
        tracks = {left[k]: result for k, result in started.items() if isinstance(result, _Track)}
        _walk(git, reader, repo, [parent, merge.parents[0]], list(tracks.values()))
        for index, track in tracks.items():
            if track.intro is not None:
                found[index] = (number, track.intro.position, track.intro.commit)
        left = [i for i in left if i not in tracks]
    return found


def _fix_commits(
    git: GitSession,
    root: Path,
    repo: Repo,
    wanted: Sequence[HotfixSection],
    budget: ByteBudget,
    redactor: Redactor,
) -> tuple[FixCommit, ...]:
    dated = _prepare(root, repo, wanted, redactor)
    how = {item.path: item.method for item in dated if item.path and item.method}
    with CatFile(git, GIT_CAT_FILE, repo.toplevel) as cat:
        reader = _Reader(git=git, cat=cat, budget=budget, how_to_fetch=how)
        try:
            _date_markers(git, reader, repo, dated, redactor)
        except GitFailed as failed:
            for item in dated:
                if item.error is None:
                    item.error = failed.error
        return _assemble(git, reader, repo, wanted, dated, redactor)


def _intro(item: _Dated) -> _Intro:
    assert item.track is not None
    assert item.track.intro is not None
    return item.track.intro


def _assemble(
    git: GitSession,
    reader: _Reader,
    repo: Repo,
    wanted: Sequence[HotfixSection],
    dated: Sequence[_Dated],
    redactor: Redactor,
) -> tuple[FixCommit, ...]:
    """Per hotfix, the newest introduction among its markers; ``NotCommitted`` wins over it."""
    failed: dict[str, EvidenceError] = {}
    last: dict[str, _Dated] = {}
    for fix in wanted:
        items = [item for item in dated if item.hotfix == fix.id]
        errors = [item.error for item in items if item.error is not None]
        uncommitted = [e for e in errors if e.code == "NotCommitted"]
        if errors:
            failed[fix.id] = (uncommitted or errors)[0]
        else:
            last[fix.id] = min(items, key=lambda item: _intro(item).position)
    infos: dict[str, CommitInfo | EvidenceError] = {}
    for item in last.values():
        oid = _intro(item).commit
        if oid not in infos:
            try:
                infos[oid] = read_commit(reader.cat, oid)
            except GitFailed as error:
                infos[oid] = error.error
    branch = _branch_commits(git, reader, repo, dated, last, infos, redactor)
    results: list[FixCommit] = []
    for fix in wanted:
        if fix.id in failed:
            results.append(FixCommit(hotfix=fix.id, error=failed[fix.id]))
            continue
        item = last[fix.id]
        info = infos[_intro(item).commit]
        if isinstance(info, EvidenceError):
            results.append(FixCommit(hotfix=fix.id, error=info))
            continue
        results.append(
            FixCommit(
                hotfix=fix.id,
                commit=info.commit,
                committed_at=info.committed_at,
                subject=info.subject,
                via_merge=len(info.parents) > 1,
                introduced_by=branch.get(fix.id),
                method=item.method,
            )
        )
    return tuple(results)


def _branch_commits(
    git: GitSession,
    reader: _Reader,
    repo: Repo,
    dated: Sequence[_Dated],
    last: dict[str, _Dated],
    infos: dict[str, CommitInfo | EvidenceError],
    redactor: Redactor,
) -> dict[str, str]:
    """For each hotfix fixed by a merge, the branch commit that brought its markers in.

    One branch walk per merge for every marker of every hotfix that merge fixed. A hotfix
    gets a branch commit only when every one of its markers the merge brought in is found
    on the branch (the newest of them); otherwise it is left out (the merge itself added
    one, or the branch cannot be read: only the branch commit stays unnamed).
    """
    per_merge: dict[str, list[_Dated]] = {}
    for hotfix, item in last.items():
        oid = _intro(item).commit
        info = infos[oid]
        if isinstance(info, CommitInfo) and len(info.parents) > 1:
            per_merge.setdefault(oid, []).extend(
                d
                for d in dated
                if d.hotfix == hotfix and d.track is not None and _intro(d).commit == oid
            )
    named: dict[str, str] = {}
    for oid, items in per_merge.items():
        info = infos[oid]
        assert isinstance(info, CommitInfo)
        try:
            found = _branch_intros(git, reader, repo, info, items, redactor)
        except GitFailed:
            continue
        for hotfix in dict.fromkeys(item.hotfix for item in items):
            mine = [i for i, item in enumerate(items) if item.hotfix == hotfix]
            if all(i in found for i in mine):
                named[hotfix] = min(found[i] for i in mine)[2]
    return named


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
    *,
    git: GitSession | None = None,
    file_budget: int = FILE_SCAN_BYTES,
    total_budget: int = TOTAL_SCAN_BYTES,
) -> CodeEvidence:
    """Look up every hotfix's code markers under ``root`` and, with git, their fix commits.

    ``root`` is ``code.root`` resolved to an absolute path. Fix commits are looked for
    only for the hotfixes in ``want_fix_commit`` that have ``code`` entries, all of them
    in one first-parent walk; when there are none, git is not run at all (``is_git``
    stays False, ``head`` None). ``git`` is the run's session (its time budget and
    ``cancel`` also apply to reading files); without one, a session of the default
    budget is made for this call. ``file_budget``/``total_budget`` bound the bytes read
    per file (or git object) and in all. Nothing raises but
    :class:`~reporter.errors.Cancelled`: every failure is an :class:`EvidenceError` on the
    marker, the fix commit or the whole evidence (root missing).
    """
    if git is not None and git.root.resolve() != root.resolve():
        raise ValueError(f"the git session is for {git.root}, not for {root}")
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
    budget = ByteBudget(per_file=file_budget, left=total_budget, total=total_budget)
    check = git.check if git is not None else None
    entries = [(fix.id, m) for fix in with_code for m in fix.code]
    markers = _find_markers(root, entries, redactor, budget, check)
    if not wanted:  # every fix time is given in the spec: git is not asked
        return CodeEvidence(root=str(root), markers=markers)
    session = git if git is not None else GitSession(root, redactor)
    try:
        try:
            repo = session.repo()
        except GitFailed as failed:
            commits = tuple(FixCommit(hotfix=fix.id, error=failed.error) for fix in wanted)
            return CodeEvidence(root=str(root), markers=markers, fix_commits=commits)
        commits = _fix_commits(session, root, repo, wanted, budget, redactor)
    finally:
        if git is None:
            session.close()
    return CodeEvidence(
        root=str(root), is_git=True, head=repo.head, markers=markers, fix_commits=commits
    )
