"""Find many literal texts in a large buffer in one pass: the watched texts of a log scan.

:class:`Matcher` wraps the fastest engine that imports — Hyperscan/Vectorscan
(``hyperscan``), then Aho-Corasick (``ahocorasick_rs``) — and falls back to pure Python
(``bytes.find`` per text, which skips to the next line after each hit) when neither does.
``google-re2`` is available to the benchmark as a candidate. Every engine keeps the same
promise (:meth:`Matcher.find`), checked against the Python one by the tests.

``REPORTER_SCANNER`` (``hyperscan``, ``ahocorasick``, ``re2`` or ``python``) forces an
engine, for the benchmark and for diagnosing one: an engine that does not import is an
error then, never a silent change.

:class:`LineRules` (Hyperscan only) adds to the texts' pass the lines a caller flags by
regular expressions and the continuation lines (indented or empty), so that one SIMD pass
over a block finds the texts and every line that needs a closer look.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

ENGINES = ("hyperscan", "ahocorasick", "re2", "python")
"""Every engine :class:`Matcher` knows; the default tries them in this order, skipping re2."""
_DEFAULT_ORDER = ("hyperscan", "ahocorasick", "python")


class EngineUnavailable(RuntimeError):
    """``REPORTER_SCANNER`` (or ``engine=``) named an engine that does not import here."""


def _load(module: str) -> Any | None:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


class Matcher:
    """Every literal of ``needles`` (non-empty bytes, no ``\\n``) found in a buffer.

    Thread-safe: one matcher can scan several buffers from several threads at once.
    """

    def __init__(self, needles: Sequence[bytes], engine: str | None = None) -> None:
        if any(not n or b"\n" in n for n in needles):
            raise ValueError("needles must be non-empty and hold no newline")
        self.needles = tuple(needles)
        wanted = engine or os.environ.get("REPORTER_SCANNER") or None
        order = (wanted,) if wanted else _DEFAULT_ORDER
        self.engine = ""
        self._find: Callable[[bytes], list[tuple[int, int]]] = self._find_python
        for name in order:
            if name not in ENGINES:
                raise EngineUnavailable(f"unknown scanner engine {name!r} (one of {ENGINES})")
            if not self.needles or self._prepare(name):
                self.engine = name
                return
        raise EngineUnavailable(f"scanner engine {wanted!r} does not import here")

    # ------------------------------------------------------------------ engines

    def _prepare(self, name: str) -> bool:
        if name == "python":
            self._find = self._find_python
            return True
        if name == "hyperscan":
            return self._prepare_hyperscan()
        if name == "ahocorasick":
            module = _load("ahocorasick_rs")
            if module is None:
                return False
            automaton = module.BytesAhoCorasick(list(self.needles))

            def find_ac(data: bytes) -> list[tuple[int, int]]:
                found = automaton.find_matches_as_indexes(data, overlapping=True)
                return sorted((end, index) for index, _, end in found)

            self._find = find_ac
            return True
        module = _load("re2")
        if module is None:
            return False
        options = module.Options()
        options.encoding = module.Options.Encoding.LATIN1  # bytes, not UTF-8 code points
        pattern = module.compile(b"|".join(_re2_escape(n) for n in self.needles), options=options)

        def find_re2(data: bytes) -> list[tuple[int, int]]:
            return self._verify_lines(data, (m.end() for m in pattern.finditer(data)))

        self._find = find_re2
        return True

    def _prepare_hyperscan(self) -> bool:
        module = _load("hyperscan")
        if module is None:
            return False
        try:
            database = module.Database(mode=module.HS_MODE_BLOCK)
            database.compile(
                expressions=[_hs_escape(n) for n in self.needles],
                ids=list(range(len(self.needles))),
                elements=len(self.needles),
                flags=0,
            )
        except module.error:  # a CPU without the instructions it needs, or a compiler limit
            return False
        local = threading.local()

        def find_hs(data: bytes) -> list[tuple[int, int]]:
            scratch = getattr(local, "scratch", None)
            if scratch is None:
                scratch = local.scratch = module.Scratch(database)
            found: list[tuple[int, int]] = []
            add = found.append

            def on_match(index: int, start: int, end: int, flags: int, context: object) -> None:
                add((end, index))

            database.scan(data, match_event_handler=on_match, scratch=scratch)
            found.sort()
            return found

        self._find = find_hs
        return True

    def _find_python(self, data: bytes) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for index, needle in enumerate(self.needles):
            size = len(needle)
            at = data.find(needle)
            while at != -1:
                end = at + size
                found.append((end, index))
                newline = data.find(b"\n", end)
                if newline == -1:
                    break
                at = data.find(needle, newline + 1)
        found.sort()
        return found

    def _verify_lines(self, data: bytes, ends: Any) -> list[tuple[int, int]]:
        """For engines that report one hit per place: every needle of each line hit."""
        found: list[tuple[int, int]] = []
        done_until = -1
        for end in ends:
            if end <= done_until:
                continue
            start = data.rfind(b"\n", 0, end - 1) + 1
            stop = data.find(b"\n", end - 1)
            stop = len(data) if stop == -1 else stop
            line = data[start:stop]
            for index, needle in enumerate(self.needles):
                at = line.find(needle)
                if at != -1:
                    found.append((start + at + len(needle), index))
            done_until = stop
        found.sort()
        return found

    # ------------------------------------------------------------------ the promise

    def find(self, data: bytes) -> list[tuple[int, int]]:
        """``(end, index)`` pairs, sorted, where ``needles[index]`` ends at ``end`` (exclusive).

        For every line of ``data`` and every needle that occurs in it, at least one pair
        falls in that line; engines may report more occurrences than that.
        """
        if not self.needles:
            return []
        return self._find(data)


def _hs_escape(needle: bytes) -> str:
    return "".join(f"\\x{byte:02x}" for byte in needle)


def _re2_escape(needle: bytes) -> bytes:
    return b"".join(b"\\x%02x" % byte for byte in needle)


# --------------------------------------------------------------------------- line rules


class LineScan(NamedTuple):
    """What one :meth:`LineRules.scan` of a block found."""

    hits: list[tuple[int, int]]
    """As :meth:`Matcher.find`: ``(end, index)`` pairs, sorted."""
    flagged: list[int]
    """The end (exclusive) of each match of a flagged pattern, sorted; a flagged pattern
    matches from the ``\\n`` before a line to at most the ``\\n`` that ends it."""
    continued: list[int]
    """The start of each line that is indented (a space or a tab first) or empty (``\\r``
    alone counts as empty), sorted. A line starts after a ``\\n``: the block's first byte
    is the end of the line before it."""


class LineRules:
    """One Hyperscan pass over a block: the needles, the flagged lines, the continuations.

    ``flagged`` are Hyperscan regular expressions (bytes, no lookaround), each starting
    with ``\\n`` and matching no further than the ``\\n`` that ends the line they start on.
    Raises :class:`EngineUnavailable` when Hyperscan does not import or refuses the
    patterns. Thread-safe, like :class:`Matcher`.
    """

    def __init__(self, needles: Sequence[bytes], flagged: Sequence[bytes]) -> None:
        if any(not n or b"\n" in n for n in needles):
            raise ValueError("needles must be non-empty and hold no newline")
        module = _load("hyperscan")
        if module is None:
            raise EngineUnavailable("hyperscan does not import here")
        self.needles = tuple(needles)
        count = len(self.needles)
        expressions = [_hs_escape(n).encode() for n in self.needles]
        expressions += list(flagged)
        expressions += [rb"\n[ \t\n]", rb"\n\r\n"]  # an indented or empty line starts
        self._indented_id = count + len(flagged)
        try:
            database = module.Database(mode=module.HS_MODE_BLOCK)
            database.compile(
                expressions=expressions,
                ids=list(range(len(expressions))),
                elements=len(expressions),
                flags=0,
            )
        except module.error as exc:
            raise EngineUnavailable(f"hyperscan refused the line rules: {exc}") from exc
        self._module = module
        self._database = database
        self._local = threading.local()

    def scan(self, data: bytes) -> LineScan:
        """Every needle, flagged line and continuation line of ``data`` (see :class:`LineScan`)."""
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._module.Scratch(self._database)
        hits: list[tuple[int, int]] = []
        flagged: list[int] = []
        continued: list[int] = []
        needles = len(self.needles)
        indented = self._indented_id
        add_hit, add_flag, add_line = hits.append, flagged.append, continued.append

        def on_match(index: int, start: int, end: int, flags: int, context: object) -> None:
            if index < needles:
                add_hit((end, index))
            elif index < indented:
                add_flag(end)
            elif index == indented:
                add_line(end - 1)
            else:
                add_line(end - 2)  # "\n\r\n": the line is the "\r"

        self._database.scan(data, match_event_handler=on_match, scratch=scratch)
        hits.sort()
        flagged.sort()
        continued.sort()
        return LineScan(hits, flagged, continued)
