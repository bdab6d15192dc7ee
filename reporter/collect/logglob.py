"""``[logs] files`` patterns, globbed from the spec's folder within fixed bounds.

The rules are pathlib's: ``*``, ``?`` and ``[...]`` match within one path component
(hidden files too), ``**`` as a whole component matches any number of folders (none
included). The bounds make any pattern cost a bounded time, whatever the tree:

- ``**`` never follows a symbolic link to a folder (so a link loop is not a walk without
  end) and goes at most :data:`MAX_DEPTH` folders deep;
- one pattern looks at most :data:`MAX_ENTRIES` folder entries, and all patterns
  together match at most :data:`MAX_FILES` files; past either, :class:`GlobError` says
  so and the user narrows the pattern.

This module imports nothing from the rest of ``reporter`` (the spec loader uses it).
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

MAX_FILES = 10_000
"""Most log files one spec reads."""
MAX_ENTRIES = 200_000
"""Most folder entries one pattern looks at."""
MAX_DEPTH = 32
"""Deepest folder ``**`` descends into, counted from where it starts."""

_MAGIC = re.compile(r"[*?\[]")


class GlobError(ValueError):
    """A pattern that cannot be used, or that goes past the bounds.

    ``index`` is the pattern's position in the list given (from 0).
    """

    def __init__(self, message: str, index: int = 0) -> None:
        super().__init__(message)
        self.index = index


def glob_files(base: Path, patterns: Sequence[str]) -> list[list[Path]]:
    """The regular files each pattern matches, sorted, one list per pattern.

    Relative patterns start at ``base``. Raises :class:`GlobError` for an unusable
    pattern or one past the bounds (files are counted once over all patterns); file
    system errors inside the walk (an unreadable folder) skip that folder.
    """
    seen: set[Path] = set()
    out: list[list[Path]] = []
    for index, pattern in enumerate(patterns):
        try:
            found = sorted(set(_glob_one(base, pattern)))
        except GlobError as exc:
            raise GlobError(str(exc), index) from None
        seen.update(found)
        if len(seen) > MAX_FILES:
            raise GlobError(
                f"{pattern!r}: the patterns match more than {MAX_FILES:,} files; narrow them",
                index,
            )
        out.append(found)
    return out


def _glob_one(base: Path, pattern: str) -> Iterator[Path]:
    if not pattern or "\x00" in pattern:
        raise GlobError(f"{pattern!r} is not a usable pattern")
    path = Path(pattern)
    if path.is_absolute():
        start = Path(path.anchor)
        parts = path.parts[1:]
    else:
        start = base
        parts = path.parts
    if not parts:
        raise GlobError(f"{pattern!r} names a folder, not files")
    for part in parts:
        if "**" in part and part != "**":
            raise GlobError(f"{pattern!r}: '**' can only be a whole path component")
    budget = [MAX_ENTRIES]
    for match in _walk(start, tuple(parts), budget, pattern, 0):
        try:
            if match.is_file():
                yield match
        except OSError:  # a name too long, a permission problem: not a file we can read
            continue


def _walk(
    folder: Path, parts: tuple[str, ...], budget: list[int], pattern: str, depth: int
) -> Iterator[Path]:
    head, rest = parts[0], parts[1:]
    if head == "**":
        yield from _walk_deep(folder, rest, budget, pattern, depth)
        return
    if head in (".",):
        yield from (_walk(folder, rest, budget, pattern, depth) if rest else iter((folder,)))
        return
    if not _MAGIC.search(head):
        target = folder / head
        if rest:
            yield from _walk(target, rest, budget, pattern, depth)
        else:
            yield target
        return
    for entry in _entries(folder, budget, pattern):
        if not fnmatch.fnmatchcase(entry.name, head):
            continue
        if not rest:
            yield Path(entry.path)
        elif _is_folder(entry):
            yield from _walk(Path(entry.path), rest, budget, pattern, depth)


def _walk_deep(
    folder: Path, rest: tuple[str, ...], budget: list[int], pattern: str, depth: int
) -> Iterator[Path]:
    """``**``: ``rest`` matched from ``folder`` and from every folder below it."""
    if rest:
        yield from _walk(folder, rest, budget, pattern, depth)
    else:
        yield from (Path(e.path) for e in _entries(folder, budget, pattern) if not _is_folder(e))
    if depth >= MAX_DEPTH:
        return
    for entry in _entries(folder, budget, pattern):
        if _is_folder(entry) and not entry.is_symlink():
            yield from _walk_deep(Path(entry.path), rest, budget, pattern, depth + 1)


def _entries(folder: Path, budget: list[int], pattern: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as listing:
            entries = []
            for entry in listing:
                budget[0] -= 1
                if budget[0] < 0:
                    raise GlobError(
                        f"{pattern!r} looks at more than {MAX_ENTRIES:,} folder entries; narrow it"
                    )
                entries.append(entry)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return []
    except OSError:  # a name too long, a loop: nothing to match there
        return []
    entries.sort(key=lambda e: e.name)
    return entries


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False
