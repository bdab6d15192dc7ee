"""Local log files as evidence: every watched text found, dated, and accounted for.

:func:`collect_files` reads each file once, in blocks of :data:`READ_BYTES` (a longer line
up to :data:`BLOCK_BYTES`), never whole, and answers with
:class:`~reporter.model.LogsEvidence`. The rules (the README's "Local log
files" section says them for users):

- **Events.** A line that starts with a timestamp in a known format (see
  :mod:`reporter.collect.logformats`) starts an event. A line continues the event before
  it only when it is indented (a space or a tab first), empty, or part of a Python, Java
  or Go traceback; a CRI ``P`` line is joined with the CRI line of the same stream right
  after it. Any other line has **no known time**, and so has an indented line after it.
- **Matching.** A watched text matches an event when its UTF-8 bytes occur in the
  event's lines as written (lines joined with ``\\n``, a trailing ``\\r`` dropped), or in
  its message as decoded (JSON strings unescaped, CRI prefixes dropped and partial lines
  joined). An event counts once per text, however often the text occurs in it; a line
  with no known time counts once per text too.
- **Accounting.** Every occurrence lands in exactly one place: an event dated in
  ``[since, until]`` (both inclusive) counts in ``LogMatch.count`` with first/last seen
  and the latest excerpts; one dated outside counts in ``LogMatch.outside_window``; a line
  with no known time counts in ``LogMatch.unknown_time``, with its ``file:line``.
  ``LogsEvidence.events_scanned`` counts the dated events in the window,
  ``outside_window`` those outside it, ``skipped_lines`` the lines with no known time, and
  ``live_event`` is the first event (in file order) dated in the window.
- **Files.** Compression (gzip, bzip2, xz, zstd) is told by the first bytes, whatever the
  name. Invalid UTF-8 is shown as ``\\xNN``; file names that are not UTF-8 too, and file
  names are redacted and escaped like any collected text. A file
  that cannot be read to its end keeps what was read: its ``FileStats.error`` says what
  failed, ``LogsEvidence.error`` names the first such file, and the other files are
  still read. A CloudWatch export (the JSON document ``aws logs filter-log-events
  --output json`` or ``get-log-events`` print) is read event by event.
- **Cost.** Texts are found with one multi-literal pass per block
  (:class:`~reporter.collect.scan.Matcher`). For files whose lines start with an ISO 8601
  timestamp (the "bulk rules", :class:`_Fast`), the lines are counted, not parsed: with
  Hyperscan, one SIMD pass per block (:class:`~reporter.collect.scan.LineRules`) finds
  the texts, the continuation lines, and every line that is not a bulk-rule line with a
  real date in the part of the window — before it, in it, after it — that the block's
  first and last lines fall in; a block whose other lines are all such lines counts its
  dated lines as its lines (``bytes.count``) less its continuation lines. Without
  Hyperscan, or for a block the window cuts, lines are counted per minute by regular
  expressions that run in C. Either way only the lines that matter — those holding a
  text, those no bulk rule settles, the minutes at the window's edges — are parsed one by
  one; every other file is parsed line by line. Runs of empty lines cost no Python per
  line. Plain files are read with ``pread`` from a line's start (no joining); the next
  block is searched in a helper thread while this one is accounted for. Memory stays
  flat: two blocks per file being read, plus per text a count, two timestamps and a few
  excerpts. Several files are read at once on machines with 4 cores or more.
"""

from __future__ import annotations

import bisect
import bz2
import codecs
import functools
import heapq
import importlib
import json
import lzma
import os
import queue
import re
import stat
import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, BinaryIO, Literal

from reporter.collect.logformats import (
    ABBREVIATIONS,
    FileLogOptions,
    LineParser,
    Stamp,
    decode,
    epoch,
    shape_after,
)
from reporter.collect.matching import EXCERPTS, KEPT_CHARS, Marker
from reporter.collect.scan import EngineUnavailable, LineRules, LineScan, Matcher
from reporter.errors import Cancelled
from reporter.model import (
    EvidenceError,
    FileStats,
    LogExcerpt,
    LogMatch,
    LogsEvidence,
    UndatedExcerpt,
)
from reporter.redact import Redactor
from reporter.text import clean, visible

__all__ = [
    "BLOCK_BYTES",
    "MAX_EVENT_CHARS",
    "OPERATION",
    "READ_ERRORS",
    "FileLogOptions",
    "collect_files",
    "display_name",
    "iter_events",
    "read_error",
    "sniff",
]

OPERATION = "read file"

BLOCK_BYTES = 4 * 1024 * 1024
"""The longest line read whole (a longer one is dated by its first ``BLOCK_BYTES`` and
searched in pieces)."""
READ_BYTES = 1024 * 1024
"""Bytes handled at a time (decompressed bytes for a compressed file), but for a longer
line: a block this size stays in the CPU's caches through the passes over it, and the
allocator reuses its memory (4 MiB blocks cost page faults again and again)."""
RAW_BYTES = 1024 * 1024
"""Bytes read from a file at a time (compressed bytes for a compressed file)."""
MAX_EVENT_CHARS = 1024 * 1024
"""Longest text kept for one event (for texts that span lines, and for excerpts)."""
WORKERS = 2 if (os.cpu_count() or 1) >= 4 else 1
"""Files read at once. Each file already keeps two threads busy (one searches a block
while the other accounts for the one before), and the accounting holds the GIL: on two
cores a second file only adds contention (measured), on more it helps compressed files."""
SIMD_MIN_BYTES = 256 * 1024
"""Blocks shorter than this are not read by one SIMD pass (its rules take ~20 ms to build,
once per layout and part of the window)."""
UNDATED_EXCERPTS = 5
"""Lines with no known time kept per text (the first ones read)."""
CANCEL_LINES = 8192
"""Lines parsed one by one between two looks at ``cancel``."""

Compression = Literal["none", "gzip", "bzip2", "xz", "zstd"]


def _optional(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


_ISAL = _optional("isal.isal_zlib")
_ZSTD = _optional("compression.zstd") or _optional("backports.zstd")

READ_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    *((_ISAL.error,) if _ISAL is not None else ()),
    *((_ZSTD.ZstdError,) if _ZSTD is not None else ()),
)
"""What reading a file can raise: missing/unreadable or bad bzip2 data (OSError), a
truncated stream (EOFError), corrupt gzip/xz/zstd data (their library's error)."""


# --------------------------------------------------------------------------- reading bytes


def sniff(head: bytes) -> Compression:
    """The compression a file's first bytes announce."""
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    return "none"


class _Source:
    """A file's bytes, decompressed when its first bytes say so, ``read`` in pieces.

    Memory is bounded whatever the compression ratio: each ``read`` asks the decompressor
    for at most ``n`` bytes. ``on_raw`` hears every read from the file (its size).
    """

    def __init__(self, handle: BinaryIO, on_raw: Callable[[int], None]) -> None:
        self.handle = handle
        self.on_raw = on_raw
        self.pending = self._raw()
        self.compression = sniff(self.pending)
        self.decompressor: Any = None
        self.ended = False
        self.buffered = b""
        self.failed: BaseException | None = None
        if self.compression != "none":
            self.decompressor = self._new()

    def _raw(self, size: int | None = None) -> bytes:
        chunk = self.handle.read(RAW_BYTES if size is None else size)  # RAW_BYTES as it is now
        if chunk:
            self.on_raw(len(chunk))
        return chunk

    def unread(self, data: bytes) -> None:
        """Give ``data`` back: the next ``read`` returns it first."""
        self.buffered = data + self.buffered

    def _new(self) -> Any:
        if self.compression == "gzip":
            return (_ISAL or zlib).decompressobj(wbits=31)
        if self.compression == "bzip2":
            return bz2.BZ2Decompressor()
        if self.compression == "xz":
            return lzma.LZMADecompressor()
        if _ZSTD is None:
            raise OSError("zstd data, but no zstd library imports (install backports.zstd)")
        return _ZSTD.ZstdDecompressor()

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer is not the end); ``b""`` at the end of the data."""
        if self.buffered:
            data, self.buffered = self.buffered, b""
            return data
        if self.failed is not None:
            raise self.failed
        if self.ended:
            return b""
        if self.decompressor is None:
            data = self.pending or self._raw(n)
            self.pending = b""
            if not data:
                self.ended = True
            return data
        while True:
            out = self._step(n)
            if out is None:
                self.ended = True
                return b""
            if out:
                return out

    def _step(self, n: int) -> bytes | None:
        """One call to the decompressor; None at the clean end of the data."""
        dec = self.decompressor
        if dec.eof:
            rest = dec.unused_data or self.pending or self._raw()
            self.pending = b""
            while True:
                rest = rest.lstrip(b"\x00")  # padding between and after members
                if rest:
                    break
                rest = self._raw()
                if not rest:
                    return None
            while len(rest) < 6:
                more = self._raw()
                if not more:
                    break
                rest += more
            if sniff(rest) != self.compression:
                raise OSError(f"data after the end of the {self.compression} stream is not "
                              f"{self.compression}")  # fmt: skip
            self.decompressor = dec = self._new()
            return bytes(dec.decompress(rest, n))
        if self.compression == "gzip":
            data = dec.unconsumed_tail or self.pending or self._raw()
            self.pending = b""
            if not data:
                raise EOFError("compressed file ended before the end-of-stream marker was reached")
            return bytes(dec.decompress(data, n))
        if dec.needs_input:
            data = self.pending or self._raw()
            self.pending = b""
            if not data:
                raise EOFError("compressed file ended before the end-of-stream marker was reached")
            return bytes(dec.decompress(data, n))
        return bytes(dec.decompress(b"", n))


class _Prefetch:
    """A compressed file decompressed in a thread, a block or two ahead of the reader.

    Decompression releases the GIL, so it overlaps with scanning. Same ``read``/``unread``
    as :class:`_Source`; errors are raised in the reader's thread, in order. ``close``
    stops the thread (it is joined: none is left running).
    """

    def __init__(self, source: _Source) -> None:
        self.source = source
        self.compression = source.compression
        self.buffered = b""
        self.failed: BaseException | None = None
        self.ended = False
        self.queue: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._work, name="log-files-inflate", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        try:
            while not self.stop.is_set():
                data = self.source.read(_read_bytes())
                self._put(data)
                if not data:
                    return
        except READ_ERRORS as exc:
            self._put(exc)

    def _put(self, item: bytes | BaseException) -> None:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def unread(self, data: bytes) -> None:
        """Give ``data`` back: the next ``read`` returns it first."""
        self.buffered = data + self.buffered

    def read(self, n: int) -> bytes:
        """The next decompressed bytes (any size); ``b""`` at the end."""
        if self.buffered:
            data, self.buffered = self.buffered, b""
            return data
        if self.failed is not None:
            raise self.failed
        if self.ended:
            return b""
        item = self.queue.get()
        if isinstance(item, BaseException):
            self.ended = True
            raise item
        if not item:
            self.ended = True
        return item

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


class _PlainFile:
    """An uncompressed regular file, read with ``os.pread``.

    Same ``read``/``unread`` as :class:`_Source` (``unread`` goes back in the file), and
    :meth:`pieces`: each block is read from the newline that ends the line before it, so
    a block needs no joining. ``on_raw`` hears each byte of the file once, however often
    it is read.
    """

    compression: Compression = "none"

    def __init__(self, handle: BinaryIO, on_raw: Callable[[int], None]) -> None:
        self.fd = handle.fileno()
        self.on_raw = on_raw
        self.offset = 0
        self.heard = 0
        self.failed: BaseException | None = None

    def _pread(self, size: int, offset: int) -> bytes:
        data = os.pread(self.fd, size, offset)
        end = offset + len(data)
        if end > self.heard:
            self.on_raw(end - self.heard)
            self.heard = end
        return data

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes from where the last read ended; ``b""`` at the end."""
        if self.failed is not None:
            raise self.failed
        data = self._pread(n, self.offset)
        self.offset += len(data)
        return data

    def unread(self, data: bytes) -> None:
        """Give back the last bytes read: the next ``read`` starts ``len(data)`` earlier."""
        self.offset -= len(data)

    def pieces(self) -> Iterator[_Block | _Tail]:
        """As :func:`_pieces`, from the current offset (a line's start)."""
        if self.failed is not None:
            raise self.failed
        start = self.offset  # the line a block starts with
        while True:
            size = _read_bytes() + 1
            while True:
                if start == 0:
                    data = b"\n" + self._pread(size - 1, 0)
                else:
                    data = self._pread(size, start - 1)  # from the newline before the line
                if len(data) <= 1:
                    return
                cut = data.rfind(b"\n")
                if cut or len(data) < size or size > BLOCK_BYTES:
                    break
                size = BLOCK_BYTES + 1  # a line longer than a read: read up to a block of it
            if cut == len(data) - 1:
                yield _Block(data)
                start += cut
            elif len(data) < size:
                yield _Block(data + b"\n")  # a last line without its newline
                return
            elif cut:
                yield _Block(data[: cut + 1])
                start += cut
            else:  # a line longer than a block: its start is the line, the rest is searched
                yield _Block(data + b"\n", tail=True)
                at = start + BLOCK_BYTES
                while True:
                    rest = self._pread(BLOCK_BYTES, at)
                    if not rest:
                        return
                    end = rest.find(b"\n")
                    if end != -1:
                        if end:
                            yield _Tail(rest[:end])
                        start = at + end + 1
                        break
                    yield _Tail(rest)
                    at += len(rest)


@dataclass
class _Block:
    """Whole lines: ``data`` starts with ``\\n`` (the end of the line before) and ends with
    ``\\n``; ``lines`` is how many. ``tail``: the last line goes on in the next pieces."""

    data: bytes
    tail: bool = False


@dataclass
class _Tail:
    """More of a line too long for one block (no line ends in it)."""

    data: bytes


def _read_bytes() -> int:
    """:data:`READ_BYTES`, but never more than :data:`BLOCK_BYTES` (as tests set them)."""
    return min(READ_BYTES, BLOCK_BYTES)


def _pieces(source: _Source | _Prefetch | _PlainFile) -> Iterator[_Block | _Tail]:
    """The file's bytes as blocks of whole lines, and tails of lines longer than a block."""
    if isinstance(source, _PlainFile):
        yield from source.pieces()
        return
    carry = b""
    while True:
        chunk = source.read(_read_bytes())
        if not chunk:
            if carry:
                yield _Block(b"\n" + carry + b"\n")  # a last line without its newline
            return
        cut = chunk.rfind(b"\n")
        if cut != -1:
            yield _Block(b"".join((b"\n", carry, memoryview(chunk)[: cut + 1])))
            carry = chunk[cut + 1 :]
            continue
        buffer = carry + chunk
        if len(buffer) <= BLOCK_BYTES:
            carry = buffer
            continue
        # A line longer than a block: its start is the line, the rest is searched only.
        yield _Block(b"\n" + buffer[:BLOCK_BYTES] + b"\n", tail=True)
        rest = buffer[BLOCK_BYTES:]
        while True:
            end = rest.find(b"\n")
            if end != -1:
                if end:
                    yield _Tail(rest[:end])
                carry = rest[end + 1 :]
                break
            if rest:
                yield _Tail(rest)
            rest = source.read(BLOCK_BYTES)
            if not rest:
                return


# --------------------------------------------------------------------------- texts


@dataclass(frozen=True)
class _Texts:
    """The watched texts, and which of them raw scanning alone cannot settle."""

    texts: tuple[str, ...]
    encoded: tuple[bytes, ...]
    scanned: tuple[int, ...]
    """Indices of the texts the matcher looks for (those without a line break)."""
    spanning: tuple[int, ...]
    """Texts with a line break: checked against each event's whole text."""
    escapable: tuple[int, ...]
    """Texts a JSON writer may escape: also checked against decoded messages."""

    @classmethod
    def of(cls, texts: Sequence[str]) -> _Texts:
        encoded = tuple(t.encode("utf-8", "surrogatepass") for t in texts)
        spanning = tuple(i for i, t in enumerate(texts) if "\n" in t or "\r" in t)
        escapable = tuple(
            i
            for i, t in enumerate(texts)
            if any(not (" " <= c <= "~") or c in "\"\\/<>&'" for c in t)
        )
        scanned = tuple(i for i in range(len(texts)) if i not in spanning)
        return cls(tuple(texts), encoded, scanned, spanning, escapable)


@dataclass
class _Tally:
    """One text in one file."""

    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    latest: list[tuple[datetime, str, str, int]] = field(default_factory=list)
    outside: int = 0
    unknown: int = 0
    undated: list[UndatedExcerpt] = field(default_factory=list)


# --------------------------------------------------------------------------- events

NONE, DATED, UNDATED = 0, 1, 2


class _Event:
    """An event being read: its first line, time, texts found, and kept text."""

    __slots__ = (
        "counted",
        "format",
        "found",
        "joined",
        "line_no",
        "message",
        "partial",
        "parts",
        "position",
        "size",
        "stream",
        "verbatim",
        "when",
    )

    def __init__(self, when: datetime, line_no: int, stamp: Stamp | None, first: bytes) -> None:
        self.when = when
        self.line_no = line_no
        self.format = stamp.format if stamp is not None else "iso8601"
        self.message = stamp.message if stamp is not None else None
        self.partial = stamp.partial if stamp is not None else False
        self.stream = stamp.stream if stamp is not None else None
        self.verbatim = stamp.verbatim if stamp is not None else True
        self.joined = False
        self.found: set[int] = set()
        self.parts = [first]
        self.size = len(first)
        self.counted = False
        self.position = 0

    def add(self, line: bytes, keep: int) -> None:
        self.size += len(line) + 1
        if self.size - len(line) - 1 < keep:
            self.parts.append(line)

    def text(self, keep: int) -> bytes:
        return b"\n".join(self.parts)[:keep]


@dataclass
class _Prepared:
    """A block (or a long line's tail) and what :meth:`_FileScan._prepare` found in it:
    ``scan`` and ``part`` when one SIMD pass read it, else the matcher's ``hits``."""

    piece: _Block | _Tail
    scan: LineScan | None = None
    part: Category | None = None
    hits: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class _Result:
    """One file read: its stats and tallies, merged in file order by the caller."""

    stats: FileStats
    tallies: list[_Tally]
    live: LogExcerpt | None


# --------------------------------------------------------------------------- the fast rules


_EMPTY_RUN = re.compile(rb"(?:\r?\n)+")
_ABBR = "|".join(ABBREVIATIONS).encode()


@dataclass(frozen=True)
class _Fast:
    """Bulk rules for files whose lines start with one ISO 8601 layout (see module doc).

    ``classes`` finds each such line with its minute (``2025-11-26T10:49``) and each
    indented or empty line (an empty group); ``keys`` finds only the former, ``line`` is
    the same without the group, ``seconds`` (a pattern per minute) its seconds and
    fraction; ``irregular`` finds every line that is none of these. Every line ``keys``
    finds is one the line parser dates to that minute with the same zone (a property test
    checks it), so counting in bulk and parsing line by line agree.
    """

    classes: re.Pattern[bytes]
    keys: re.Pattern[bytes]
    line: re.Pattern[bytes]
    irregular: re.Pattern[bytes]
    zone: bytes | None
    fraction: bytes
    after: bytes
    """The pattern after the fraction (zone and guards)."""
    name: str
    """The format's name in :class:`~reporter.model.FileStats`."""
    separator: bytes = b"T"
    """Between the date and the time: ``T``, ``t`` or a space."""

    @classmethod
    def build(cls, separator: bytes, fraction: bytes, zone: bytes | None) -> _Fast:
        key = rb"\d{4}-\d\d-\d\d" + re.escape(separator) + rb"(?:[01]\d|2[0-3]):[0-5]\d"
        seconds = rb":[0-5]\d(?:" + re.escape(fraction) + rb"\d+)?"
        if zone is None:
            after = rb"(?![\d.,]|[Zz]|[+-]\d| [+-]\d{4}(?!\d)| (?:" + _ABBR + rb")(?![A-Za-z0-9]))"
        elif len(zone.strip()) > 1 and zone[-1:].isalpha():
            after = re.escape(zone) + rb"(?![A-Za-z0-9])"
        else:
            after = re.escape(zone) + rb"(?!\d)"
        after += rb"(?! (?:stdout|stderr) [FP](?: |\r?\n))"  # CRI lines are parsed one by one
        rest = seconds + after
        return cls(
            classes=re.compile(rb"\n(?:(" + key + rb")" + rest + rb"|(?=[ \t\n]|\r\n))"),
            keys=re.compile(rb"\n(" + key + rb")" + rest),
            line=re.compile(rb"\n" + key + rest),
            irregular=re.compile(rb"\n(?=[^ \t\n])(?!\r\n|" + key + rest + rb")"),
            zone=zone,
            fraction=fraction,
            after=after,
            name="python-logging" if fraction == b"," else "iso8601",
            separator=separator,
        )

    def event_span(self, data: bytes, start: int) -> tuple[int, int]:
        """The event holding the line that starts at ``start`` in ``data`` (which begins
        with a newline): from its dated line back from ``start`` to the next dated line
        after it (or the end of ``data``)."""
        begin = start
        while begin > 1 and not self.line.match(data, begin - 1):
            begin = data.rfind(b"\n", 0, begin - 1) + 1
        after = self.line.search(data, start)
        return begin, after.start() + 1 if after is not None else len(data)

    def seconds(self, key: bytes) -> re.Pattern[bytes]:
        """The lines of one minute, with their seconds and fraction as groups."""
        return re.compile(
            rb"\n"
            + re.escape(key)
            + rb":([0-5]\d)(?:"
            + re.escape(self.fraction)
            + rb"(\d+))?"
            + self.after
        )


_SAMPLE_ISO = re.compile(
    rb"\d{4}-\d\d-\d\d(?P<sep>[Tt ])\d\d:\d\d:\d\d(?:(?P<frac>[.,])\d+)?"
    rb"(?P<zone>[Zz]|[+-]\d\d(?::?\d\d)?(?!\d)| [+-]\d{4}(?!\d)| (?:UTC|GMT|UT)(?![A-Za-z0-9]))?"
)


def _choose_fast(data: bytes, parser: LineParser) -> _Fast | None:
    """Bulk rules for the ISO layout most of the first lines share, if most do."""
    layouts: Counter[tuple[bytes, bytes, bytes | None]] = Counter()
    sampled = 0
    for line in data[1:65536].split(b"\n")[:400]:
        if not line or line[0] in b" \t\r":
            continue
        sampled += 1
        stamp = parser.parse(line.rstrip(b"\r"))
        if stamp is None or stamp.format not in ("iso8601", "python-logging"):
            continue
        m = _SAMPLE_ISO.match(line)
        if m is None:
            continue
        layouts[(m["sep"], m["frac"] or b".", m["zone"])] += 1
    if not layouts:
        return None
    (separator, fraction, zone), seen = layouts.most_common(1)[0]
    if seen * 2 < sampled:
        return None
    return _Fast.build(separator, fraction, zone)


# --------------------------------------------------------------------------- one SIMD pass

# With Hyperscan, a block of an ISO file is read by one pass that finds the texts, every
# line that is indented or empty, and every line that is neither that nor a line the bulk
# rules date (``_Fast.line``) to a minute of one part of the window ("flagged"). A block
# whose lines all fall in one part — before the window, in it, or after it — is then
# counted by ``bytes.count``: its dated lines are its lines less its continuation lines,
# and only the flagged lines and those holding a text are parsed one by one.

_KEY_WIDTH = 16
"""``2025-11-26T10:49``: the minute a bulk-rule line starts with."""
_DIGITS = b"0123456789"
_CONTINUATION_FIRST = b" \t\n\r"
_CRI_TAIL = rb"\x20(?:stdout|stderr)\x20[FP](?:\x20|\r?\n)"


def _calendar(separator: bytes) -> bytes:
    """Flags the keys :func:`_flag_key` lets through but the calendar and the clock have not."""
    return (
        rb"\n(?:(?:000[01]|9999)-"  # year 0 is no date; years 1 and 9999 are read line by line
        rb"|[0-9]{4}-(?:00|1[3-9]"  # month 0 or 13 to 19
        rb"|02-3|(?:0[469]|11)-31"  # 30 or 31 February, 31 of a 30-day month
        rb"|[0-9]{2}-(?:00|3[2-9]|[0-9]{2}" + _hs_literal(separator) + rb"2[4-9]))"  # day, hour
        rb"|(?:[0-9]{2}(?:[02468][1235679]|[13579][01345789])"  # 29 February of a year that
        rb"|(?:[02468][1235679]|[13579][01345789])00)-02-29)"  # is not a leap year
    )


Category = Literal["before", "in", "after"]


def _hs_class(chars: bytes, negate: bool = False) -> bytes:
    """A Hyperscan character class of ``chars`` (or of every other byte)."""
    if not chars and negate:
        return rb"[\x00-\xff]"
    runs: list[list[int]] = []
    for c in sorted(set(chars)):
        if runs and runs[-1][1] == c - 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    inside = b"".join(b"\\x%02x" % a if a == b else b"\\x%02x-\\x%02x" % (a, b) for a, b in runs)
    return b"[" + (b"^" if negate else b"") + inside + b"]"


def _hs_literal(text: bytes) -> bytes:
    return b"".join(b"\\x%02x" % c for c in text)


def _key_allowed(position: int, separator: int) -> bytes:
    """The bytes a key may have at ``position``; :func:`_calendar` flags the keys that are
    no minute (month 13, day 32, hour 24, 30 February…)."""
    if position in (4, 7):
        return b"-"
    if position == 5:  # month
        return b"01"
    if position == 8:  # day
        return b"0123"
    if position == 10:
        return bytes([separator])
    if position == 11:  # hour
        return b"012"
    if position == 13:
        return b":"
    if position == 14:  # minutes
        return b"012345"
    return _DIGITS


def _flag_key(separator: bytes) -> bytes:
    """A pattern for every line start that is not a continuation line (indented or empty)
    nor starts with a minute key (``YYYY-MM-DD hh:mm``, :func:`_calendar` flags those that
    name no minute).

    Written as nested alternatives (``(?:[^a]|a(?:[^b]|b…))``), which Hyperscan runs as a
    small automaton: the same pattern as a flat alternation costs six times as much.
    """
    sep = separator[0]
    pattern = b""
    for position in reversed(range(_KEY_WIDTH)):
        allowed = _key_allowed(position, sep)
        first = _CONTINUATION_FIRST if position == 0 else b""
        alternatives = [_hs_class(allowed + first, negate=True)]
        if position == 0:
            alternatives.append(rb"\r[^\n]")
        if pattern:  # a valid key's last byte flags nothing
            alternatives.append(_hs_class(allowed) + pattern)
        pattern = b"(?:" + b"|".join(alternatives) + b")"
    return rb"\n" + pattern


def _flag_beyond(bound: bytes, below: bool) -> bytes | None:
    """A pattern for every line that starts with a minute key below ``bound`` (above it
    when not ``below``), comparing digit by digit; None when no key can be.

    Separate from :func:`_flag_key` (which makes sure the bytes between the digits are
    the key's), because Hyperscan runs the two apart at two thirds of the cost of one
    automaton that checks a key and a range at once.
    """
    pattern: bytes | None = None
    for c in reversed(bound):
        if not 48 <= c <= 57:  # "-", ":" or the separator: the same in every key
            pattern = None if pattern is None else _hs_literal(bytes([c])) + pattern
            continue
        beyond = bytes(range(48, c)) if below else bytes(range(c + 1, 58))
        alternatives = [_hs_class(beyond)] if beyond else []
        if pattern is not None:
            alternatives.append(_hs_literal(bytes([c])) + pattern)
        pattern = b"(?:" + b"|".join(alternatives) + b")" if alternatives else None
    return None if pattern is None else rb"\n" + pattern


def _flag_between(low: bytes, high: bytes) -> bytes:
    """A pattern for every line that starts with a minute key in ``[low, high]``."""

    def node(position: int, tight_low: bool, tight_high: bool) -> bytes:
        if position == len(low):
            return b""
        c, d = low[position], high[position]
        if not 48 <= c <= 57:  # "-", ":" or the separator: the same in every key
            return _hs_literal(bytes([c])) + node(position + 1, tight_low, tight_high)
        if tight_low and tight_high and c == d:
            return _hs_literal(bytes([c])) + node(position + 1, True, True)
        alternatives = []
        if tight_low:
            alternatives.append(_hs_literal(bytes([c])) + node(position + 1, True, False))
        if tight_high:
            alternatives.append(_hs_literal(bytes([d])) + node(position + 1, False, True))
        middle = bytes(
            range(c + 1 if tight_low else 48, d if tight_high else 58)
        )  # strictly between: any digit after
        if middle:
            alternatives.append(_hs_class(middle) + node(position + 1, False, False))
        return b"(?:" + b"|".join(alternatives) + b")"

    return rb"\n" + node(0, True, True)


def _flag_rest(separator: bytes, fraction: bytes, zone: bytes | None) -> bytes:
    """A pattern for every line that starts with a minute key (valid or not: the key is
    :func:`_flag_key`'s business) and goes on with what ``_Fast.line`` does not match: the
    seconds, the fraction, the zone and the guards of ``_Fast.build``."""
    other = b"," if fraction == b"." else b"."
    frac = _hs_literal(fraction)
    if zone is None:
        spaced = (
            rb"\x20(?:[+-][0-9]{4}[^0-9]|(?:" + _ABBR + rb")[^A-Za-z0-9]"
            rb"|(?:stdout|stderr)\x20[FP](?:\x20|\r?\n))"
        )
        after_digits = rb"(?:[.,Zz]|[+-][0-9]|" + spaced + b")"
        after = (
            rb"(?:[0-9]|" + _hs_literal(other) + rb"|[Zz]|[+-][0-9]|" + frac
            + rb"(?:[^0-9]|[0-9]+" + after_digits + b")|" + spaced + b")"
        )  # fmt: skip
    else:
        named = len(zone.strip()) > 1 and zone[-1:].isalpha()
        guard = rb"[A-Za-z0-9]" if named else rb"[0-9]"
        chain = b"(?:" + guard + b"|" + _CRI_TAIL + b")"  # after the zone
        for c in reversed(zone[1:]):  # the zone's other bytes: each is wrong or goes on
            chain = (
                b"(?:" + _hs_class(bytes([c]), negate=True) + b"|" + _hs_literal(bytes([c]))
                + chain + b")"
            )  # fmt: skip
        z0 = zone[:1]
        after = (
            b"(?:" + _hs_class(fraction + z0, negate=True) + b"|" + frac
            + rb"(?:[^0-9]|[0-9]+(?:" + _hs_class(_DIGITS + z0, negate=True) + b"|"
            + _hs_literal(z0) + chain + b"))|" + _hs_literal(z0) + chain + b")"
        )  # fmt: skip
    key = rb"\n[0-9]{4}-[0-9]{2}-[0-9]{2}" + _hs_literal(separator) + rb"[0-9]{2}:[0-9]{2}"
    return key + rb"(?:[^:]|:(?:[^0-5]|[0-5](?:[^0-9]|[0-9]" + after + b")))"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_LOCAL = datetime(1970, 1, 1)
_MINUTE = timedelta(minutes=1)
_FIRST_KEY = (datetime(2, 1, 1) - _EPOCH_LOCAL) // _MINUTE
_LAST_KEY = (datetime(9998, 12, 31, 23, 59) - _EPOCH_LOCAL) // _MINUTE
"""The minutes (since 1970, local) whose keys the calendar pattern lets through."""


_HORIZON = timedelta(days=400)
"""With a zone whose offset changes, the window's parts reach this far before and after
it (lines further away are read by the bulk rules' regular expressions)."""
_LONGEST_HORIZON = timedelta(days=20 * 366)


@dataclass(frozen=True)
class _WindowKeys:
    """The three parts of the window — the minutes wholly before it, wholly in it, wholly
    after it — as ranges of one layout's minute keys, written in local time of ``zone``.
    Keys compare as bytes like the minutes they name. A minute the window's start or end
    cuts belongs to no part, and so does a local minute that a change of the zone's
    offset skips or repeats (``unknown``: the parser gives it no time)."""

    parts: tuple[tuple[Category, bytes | None, bytes | None], ...]
    """``(part, low, high)``, both inclusive, None for no bound; empty parts left out."""
    unknown: tuple[tuple[bytes, bytes], ...] = ()
    """Ranges of local minute keys, both inclusive, that name no single minute."""

    @classmethod
    def of(
        cls, since: datetime, until: datetime, zone: tzinfo, separator: bytes
    ) -> _WindowKeys | None:
        """The window's parts in ``zone``'s minute keys; None when the zone's offsets are
        not whole minutes (a local mean time of old) or change at no whole minute."""
        return _window_keys(since, until, zone, separator)

    def part(self, key: bytes) -> Category | None:
        """The part of the window a minute key falls in; None when the window cuts it."""
        for name, low, high in self.parts:
            if (low is None or key >= low) and (high is None or key <= high):
                return name
        return None

    def bounds(self, part: Category) -> tuple[bytes | None, bytes | None] | None:
        for name, low, high in self.parts:
            if name == part:
                return low, high
        return None


@functools.lru_cache(maxsize=32)
def _window_keys(
    since: datetime, until: datetime, zone: tzinfo, separator: bytes
) -> _WindowKeys | None:
    """:meth:`_WindowKeys.of` (cached: each file of a run asks)."""
    first, cut = divmod(since - _EPOCH, _MINUTE)  # the minute ``since`` falls in
    last, rest = divmod(until - _EPOCH, _MINUTE)
    first_in = first if not cut else first + 1
    last_in = last if rest == _MINUTE - timedelta(microseconds=1) else last - 1
    fixed = zone.utcoffset(None)
    unknown: list[tuple[int, int]] = []
    if fixed is not None:  # UTC, or an offset written in the line
        if fixed % _MINUTE:
            return None
        shift = fixed // _MINUTE

        def local(minute: int) -> int:
            return minute + shift

        start: int | None = None
        stop: int | None = None
    else:
        start = first - _HORIZON // _MINUTE
        stop = min(last + _HORIZON // _MINUTE, start + _LONGEST_HORIZON // _MINUTE)
        start = max(start, _FIRST_KEY + 24 * 60)
        stop = min(stop, _LAST_KEY - 24 * 60)
        if start > stop:
            return None
        offsets = _offsets(zone, start, stop)
        if offsets is None:
            return None
        changes, unknown = offsets

        def local(minute: int) -> int:
            at = bisect.bisect_right(changes, (minute, 1 << 62)) - 1
            return minute + changes[max(at, 0)][1]

    bounds: tuple[tuple[Category, int | None, int | None], ...] = (
        ("before", start, first - 1),
        ("in", first_in, last_in),
        ("after", last + 1, stop),
    )
    parts: list[tuple[Category, bytes | None, bytes | None]] = []
    for name, low, high in bounds:
        if start is not None and stop is not None:  # clipped to the horizon
            low = None if low is None else max(low, start)
            high = None if high is None else min(high, stop)
        low = None if low is None else local(low)
        high = None if high is None else local(high)
        if low is not None and high is not None and low > high:
            continue
        if (high is not None and high < _FIRST_KEY) or (low is not None and low > _LAST_KEY):
            continue
        parts.append(
            (
                name,
                None if low is None or low < _FIRST_KEY else _key(low, separator),
                None if high is None or high > _LAST_KEY else _key(high, separator),
            )
        )
    return _WindowKeys(
        tuple(parts), tuple((_key(a, separator), _key(b, separator)) for a, b in unknown)
    )


def _offsets(
    zone: tzinfo, start: int, stop: int
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]] | None:
    """Between two UTC minutes: the zone's offset from each minute it changes at (in
    minutes, ``(minute, offset)``, the first at ``start``), and the local minutes each
    change skips or repeats (``(first, last)``). None when an offset is no whole number
    of minutes or changes within a minute."""

    def offset(minute: int) -> timedelta | None:
        return (_EPOCH + minute * _MINUTE).astimezone(zone).utcoffset()

    def whole(value: timedelta | None) -> int | None:
        return None if value is None or value % _MINUTE else value // _MINUTE

    now = whole(offset(start))
    if now is None:
        return None
    changes = [(start, now)]
    unknown: list[tuple[int, int]] = []
    hour = start
    while hour < stop:
        step = min(hour + 60, stop)
        after = whole(offset(step))
        if after is None:
            return None
        if after != now:
            low, high = hour, step  # the offset changes in (low, high]
            while high - low > 1:
                middle = (low + high) // 2
                if whole(offset(middle)) == now:
                    low = middle
                else:
                    high = middle
            before_change = (_EPOCH + high * _MINUTE - timedelta(seconds=1)).astimezone(zone)
            if before_change.utcoffset() != now * _MINUTE or whole(offset(high)) != after:
                return None  # no whole minute, or two changes within an hour
            changes.append((high, after))
            unknown.append((high + min(now, after), high + max(now, after) - 1))
            now = after
        hour = step
    return changes, unknown


def _key(minute: int, separator: bytes) -> bytes:
    at = _EPOCH_LOCAL + minute * _MINUTE
    sep = separator.decode("latin-1")
    return f"{at.year:04d}-{at.month:02d}-{at.day:02d}{sep}{at.hour:02d}:{at.minute:02d}".encode()


@functools.lru_cache(maxsize=64)
def _line_rules(
    needles: tuple[bytes, ...],
    separator: bytes,
    fraction: bytes,
    zone: bytes | None,
    low: bytes | None,
    high: bytes | None,
    unknown: tuple[tuple[bytes, bytes], ...] = (),
) -> LineRules | None:
    """The one-pass rules for a layout and a part of the window (and the local minutes
    that name no single minute); None without Hyperscan."""
    flagged = [_flag_key(separator), _flag_rest(separator, fraction, zone), _calendar(separator)]
    for bound, below in ((low, True), (high, False)):
        beyond = None if bound is None else _flag_beyond(bound, below)
        if beyond is not None:
            flagged.append(beyond)
    flagged.extend(_flag_between(first, last) for first, last in unknown)
    try:
        return LineRules(needles, flagged)
    except EngineUnavailable:
        return None


# --------------------------------------------------------------------------- one file


class _FileScan:
    """Reads one file and accounts for every line of it (see the module doc)."""

    def __init__(
        self,
        path: Path,
        display: str,
        since: datetime,
        until: datetime,
        texts: _Texts,
        matcher: Matcher,
        options: FileLogOptions,
        redactor: Redactor,
        on_raw: Callable[[int], None],
        cancel: threading.Event | None,
        on_event: Callable[[_Event], None] | None = None,
        bulk: bool = True,
    ) -> None:
        self.path = path
        self.display = display
        self.since = since
        self.until = until
        self.texts = texts
        self.matcher = matcher
        self.parser = LineParser(options, until)
        self.redactor = redactor
        self.on_raw = on_raw
        self.cancel = cancel
        self.on_event = on_event
        self.bulk = bulk and not texts.spanning and options.timestamp_pattern is None
        self.keep = MAX_EVENT_CHARS if (texts.spanning or on_event) else KEPT_CHARS * 4
        self.tallies = [_Tally() for _ in texts.texts]
        # what was read
        self.bytes_read = 0
        self.lines = 0
        self.events = 0
        self.in_window = 0
        self.outside = 0
        self.undated = 0
        self.first: tuple[int, datetime] | None = None
        self.last: tuple[int, datetime] | None = None
        self.live: tuple[int, LogExcerpt] | None = None
        self.formats: Counter[str] = Counter()
        # the state between lines
        self.kind = NONE
        self.event: _Event | None = None
        self.shape: str | None = None
        self.undated_line: tuple[int, bytes, set[int]] | None = None
        self.fast: _Fast | None = None
        self.keys: _WindowKeys | None = None
        """The window as minute keys of ``fast``'s layout, when one SIMD pass can read it."""
        self.blocks: Counter[str] = Counter()
        """How many blocks were read by each way (``simd``, ``bulk``, ``lines``): for tests."""
        self.sampled = False
        self.newlines = 0
        """Newlines in the block being read (one more than its lines)."""
        self.overlap = max((len(t) for t in texts.encoded), default=1) - 1
        self.window = b""
        """The end of the piece before, for a text across a long line's cut."""

    # ------------------------------------------------------------------ driving

    def run(self) -> _Result:
        error: EvidenceError | None = None
        compression: Compression = "none"
        try:
            with self.path.open("rb") as handle:
                source: _Source | _Prefetch | _PlainFile
                if stat.S_ISREG(os.fstat(handle.fileno()).st_mode) and (
                    sniff(os.pread(handle.fileno(), 6, 0)) == "none"
                ):
                    source = _PlainFile(handle, self._raw)
                else:
                    plain = _Source(handle, self._raw)
                    compression = plain.compression
                    source = plain if compression == "none" else _Prefetch(plain)
                try:
                    if self._is_export(source):
                        self._export(source)
                    else:
                        self._lines(source)
                finally:
                    if isinstance(source, _Prefetch):
                        source.close()
        except READ_ERRORS as exc:
            error = read_error(self.display, exc)
        self._close()
        return self._result(compression, error)

    def _raw(self, size: int) -> None:
        self.bytes_read += size
        self.on_raw(size)

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled()

    def _lines(self, source: _Source | _Prefetch | _PlainFile) -> None:
        """Every line of the file, block by block. For a file of several blocks, each block
        is searched (Hyperscan holds no GIL) in a thread while the one before is accounted
        for and the one after is read."""
        pieces = _pieces(source)
        if isinstance(source, _PlainFile) and os.fstat(source.fd).st_size <= 2 * _read_bytes():
            for each in pieces:
                self._consume(self._prepare(each))
            return
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="log-files-search")
        try:
            piece: _Block | _Tail | None = next(pieces, None)
            if piece is None:
                return
            future = pool.submit(self._prepare, piece)
            while True:
                failed: BaseException | None = None
                try:
                    piece = next(pieces, None)
                except READ_ERRORS as exc:  # raised once the blocks before it are read
                    piece, failed = None, exc
                item = future.result()
                if piece is not None:
                    future = pool.submit(self._prepare, piece)
                self._consume(item)
                if failed is not None:
                    raise failed
                if piece is None:
                    return
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # no thread left searching

    def _prepare(self, piece: _Block | _Tail) -> _Prepared:
        """What a block needs that holds no GIL: the texts found (and, by one SIMD pass,
        the lines to read and the continuation lines). The first block chooses the rules."""
        if isinstance(piece, _Tail):
            return _Prepared(piece)
        data = piece.data
        if not self.sampled:
            self.sampled = True
            if self.bulk:
                self.fast = _choose_fast(data, self.parser)
                self.keys = self._window_keys(self.fast)
        fast = self.fast
        if fast is not None and not piece.tail and len(data) >= SIMD_MIN_BYTES:
            rules = self._rules_for(data, fast)
            if rules is not None:
                return _Prepared(piece, rules[0].scan(data), rules[1])
        hits = self.matcher.find(data) if self.texts.scanned else []
        return _Prepared(piece, hits=hits)

    def _consume(self, item: _Prepared) -> None:
        """Account for a block (or a long line's tail) prepared by :meth:`_prepare`."""
        self._check_cancel()
        piece = item.piece
        if isinstance(piece, _Tail):
            self._tail(self.window, piece.data)
            if len(piece.data) < self.overlap:
                self.window = (self.window + piece.data)[-self.overlap :]
            else:
                self.window = piece.data[len(piece.data) - self.overlap :]
            return
        data = piece.data
        fast = self.fast
        if item.scan is not None and item.part is not None and fast is not None:
            self._simd_block(data, item.scan, fast, item.part)
        else:
            self.newlines = data.count(b"\n")
            hits = [(end, self.texts.scanned[i]) for end, i in item.hits]
            if fast is not None and not piece.tail:
                self.blocks["bulk"] += 1
                self._fast_block(data, hits, fast)
            else:
                self.blocks["lines"] += 1
                self._run(data, 1, len(data), self.lines, hits, 0)
        self.lines += self.newlines - 1
        self.window = data[-self.overlap - 1 : -1] if piece.tail and self.overlap else b""

    def _tail(self, window: bytes, data: bytes) -> None:
        """More of the last line: its texts go to that line's event or undated line."""
        hits = self.matcher.find(window + data) if self.texts.scanned else []
        found = {self.texts.scanned[i] for end, i in hits if end > len(window)}
        if not found:
            return
        if self.kind == DATED and self.event is not None:
            self.event.found |= found
        elif self.undated_line is not None:
            line_no, line, seen = self.undated_line
            for index in found - seen:
                self._unknown(index, line_no, line)
            seen |= found

    # ------------------------------------------------------------------ one SIMD pass

    def _window_keys(self, fast: _Fast | None) -> _WindowKeys | None:
        """The window in ``fast``'s minute keys, when Hyperscan finds the texts and the
        timestamps' zone is known: written in the line (a fixed offset) or the configured
        ``timezone``; else None (the blocks are read otherwise)."""
        if fast is None or self.matcher.engine != "hyperscan":
            return None
        zone: tzinfo = self.parser.zone
        if fast.zone is not None:
            local = datetime(2000, 1, 1, 12)
            probe = self._minute(_key((local - _EPOCH_LOCAL) // _MINUTE, fast.separator), fast)
            if probe is None:
                return None
            zone = timezone(local - probe.replace(tzinfo=None))
        return _WindowKeys.of(self.since, self.until, zone, fast.separator)

    def _rules_for(self, data: bytes, fast: _Fast) -> tuple[LineRules, Category] | None:
        """The one-pass rules for a block whose first and last dated lines fall in one part
        of the window (a guess: the pass flags every line that does not); else None."""
        keys = self.keys
        if keys is None:
            return None
        first = fast.keys.search(data)
        if first is None:
            return None
        position = data.rfind(b"\n", 0, len(data) - 1) + 1
        for _ in range(64):
            last = fast.keys.match(data, position - 1)
            if last is not None:
                break
            if position <= 1:
                return None
            position = data.rfind(b"\n", 0, position - 1) + 1
        else:
            return None
        part = keys.part(first[1])
        if part is None or keys.part(last[1]) != part:
            return None
        bounds = keys.bounds(part)
        assert bounds is not None
        needles = tuple(self.texts.encoded[i] for i in self.texts.scanned)
        rules = _line_rules(
            needles, fast.separator, fast.fraction, fast.zone, *bounds, keys.unknown
        )
        return None if rules is None else (rules, part)

    def _simd_block(self, data: bytes, scan: LineScan, fast: _Fast, part: Category) -> None:
        """Account for a block by one SIMD pass (see "one SIMD pass" above): every line that
        is not flagged, holds no text and is not a continuation line is a dated line in
        ``part`` of the window; the others are read one by one. Sets ``self.newlines``."""
        scanned = self.texts.scanned
        hits = [(end, scanned[i]) for end, i in scan.hits]
        if len(hits) + len(scan.flagged) > len(data) // 1024 + 16:  # many lines to read
            del scan  # memory stays flat: the other way makes its own lists
            self.newlines = data.count(b"\n")
            self.blocks["bulk"] += 1
            self._fast_block(data, hits, fast)
            return
        wanted = [data.rfind(b"\n", 0, end - 1) + 1 for end in scan.flagged]
        wanted.extend(data.rfind(b"\n", 0, end) + 1 for end, _ in hits)
        if self.kind != DATED:
            wanted.append(1)
        self.blocks["simd"] += 1
        wanted.sort()
        continued = scan.continued
        spans: list[tuple[int, int]] = []
        covered = 0
        mark, newlines = 1, 1  # newlines in data[:mark]
        in_spans = 0  # lines in the spans, and continuation lines among them
        continued_in_spans = 0
        hi = 0
        for start in wanted:
            if start < covered:
                continue
            begin, stop = fast.event_span(data, start)
            if spans or fast.line.match(data, begin - 1):
                self._close()  # the event before ended at the dated line ``begin``
            newlines += data.count(b"\n", mark, begin)
            hi = bisect.bisect_right(hits, (begin, -1), lo=hi)
            hi = self._run(data, begin, stop, self.lines + newlines - 1, hits, hi)
            lines = data.count(b"\n", begin, stop)
            newlines += lines
            in_spans += lines
            continued_in_spans += bisect.bisect_left(continued, stop) - bisect.bisect_left(
                continued, begin
            )
            mark = stop
            spans.append((begin, stop))
            covered = stop
        newlines += data.count(b"\n", mark)
        self.newlines = newlines
        bulk = newlines - 1 - in_spans - (len(continued) - continued_in_spans)
        assert bulk >= 0, "every line outside the spans is dated or continues one"
        if not bulk:
            return  # no dated line outside the spans: the state the spans left goes on
        self.events += bulk
        self.formats[fast.name] += bulk
        if part == "in":
            self.in_window += bulk
        else:
            self.outside += bulk
        gaps = _gaps(spans, len(data))
        first = self._first_in(data, fast, gaps)
        assert first is not None
        self._seen(data, first)
        last = self._last_in(data, fast, gaps)
        assert last is not None
        self._carry(data, last, reaches_end=bool(spans) and spans[-1][1] == len(data))
        if part == "in" and (self.live is None or self.live[0] > self.lines):
            self._live_at(data, first)

    def _live_at(self, data: bytes, position: int) -> None:
        """The dated line at ``position``, in the window: the live event if none before."""
        line_no = self._line_number(data, position)
        if self.live is not None and self.live[0] < line_no:
            return
        stamp = self._stamp_at(data, position)
        if self.since <= stamp.when <= self.until:
            stop = data.index(b"\n", position)
            event = _Event(stamp.when, line_no, stamp, data[position:stop])
            self.live = (line_no, self._excerpt_of(event, event.parts[0]))

    # ------------------------------------------------------------------ line by line

    def _run(
        self, data: bytes, start: int, end: int, line_no: int, hits: list[tuple[int, int]], hi: int
    ) -> int:
        """Account for the lines in ``data[start:end]`` one by one; ``line_no`` is the
        number of the line before ``start``, ``hi`` the first hit at or after ``start``."""
        position = start
        count = len(hits)
        budget = CANCEL_LINES
        while position < end:
            newline = data.index(b"\n", position)
            line_no += 1
            if newline == position or (newline == position + 1 and data[position] == 13):
                run = _EMPTY_RUN.match(data, position)  # empty lines: skipped in one step
                assert run is not None
                stop = min(run.end(), end)
                line_no += data.count(b"\n", position, stop) - 1
                if self.kind == DATED and self.event is not None:
                    self.event.add(b"", self.keep)
                position = stop
                continue
            line = data[position:newline]
            if line[-1] == 13:
                line = line[:-1]
            found: set[int] | None = None
            if hi < count and hits[hi][0] <= newline:
                found = set()
                while hi < count and hits[hi][0] <= newline:
                    found.add(hits[hi][1])
                    hi += 1
            self._line(line, line_no, position, found)
            position = newline + 1
            budget -= 1
            if not budget:
                budget = CANCEL_LINES
                self._check_cancel()
        return hi

    def _line(self, line: bytes, line_no: int, position: int, found: set[int] | None) -> None:
        event = self.event
        if line[0] in b" \t":
            if self.kind == DATED and event is not None:
                event.add(line, self.keep)
                if found:
                    event.found |= found
            else:
                self._undated_line(line, line_no, found)
            return
        stamp = self.parser.parse(line)
        if stamp is not None:
            if (
                event is not None
                and self.kind == DATED
                and event.partial
                and stamp.format == "cri"
                and stamp.stream == event.stream
            ):
                event.message = (event.message or "") + (stamp.message or "")
                event.partial = stamp.partial
                event.joined = True
                event.add(line, self.keep)
                if found:
                    event.found |= found
                return
            self._close()
            event = self.event = _Event(stamp.when, line_no, stamp, line)
            event.position = position
            self.kind = DATED
            self.shape = None
            if found:
                event.found |= found
            self._count(event)
            return
        if self.kind == DATED and event is not None:
            shape = shape_after(self.shape, line)
            if shape is not None:
                self.shape = shape
                event.add(line, self.keep)
                if found:
                    event.found |= found
                return
        self._close()
        self.kind = UNDATED
        self._undated_line(line, line_no, found)

    def _undated_line(self, line: bytes, line_no: int, found: set[int] | None) -> None:
        self.undated += 1
        seen = found or set()
        for index in self.texts.spanning:
            if self.texts.encoded[index] in line:
                seen.add(index)
        for index in seen:
            self._unknown(index, line_no, line)
        self.undated_line = (line_no, line[:4096], seen)

    def _unknown(self, index: int, line_no: int, line: bytes) -> None:
        tally = self.tallies[index]
        tally.unknown += 1
        if len(tally.undated) < UNDATED_EXCERPTS:
            tally.undated.append(
                UndatedExcerpt(
                    location=f"{self.display}:{line_no}",
                    message=clean(decode(line[: KEPT_CHARS * 4]), self.redactor, total=len(line)),
                )
            )

    # ------------------------------------------------------------------ events

    def _count(self, event: _Event) -> None:
        """The stats of a dated event (once, when it starts)."""
        event.counted = True
        self.events += 1
        self.formats[event.format] += 1
        when = event.when
        key = (event.line_no, when)
        if self.first is None:
            self.first = key
        self.last = key
        if self.since <= when <= self.until:
            self.in_window += 1
            if self.live is None:
                self.live = (event.line_no, self._excerpt_of(event, event.parts[0]))
        else:
            self.outside += 1

    def _excerpt_of(self, event: _Event, first: bytes) -> LogExcerpt:
        if event.message is not None:
            text, total = event.message, len(event.message)
        else:
            text = decode(first[: KEPT_CHARS * 4])
            total = max(len(text), len(first))
        return LogExcerpt(
            timestamp=event.when,
            stream=f"{self.display}:{event.line_no}",
            message=clean(text[:KEPT_CHARS], self.redactor, total=total),
        )

    def _close(self) -> None:
        """Tally the texts of the event being read, and end it."""
        event = self.event
        self.event = None
        self.kind = NONE if self.kind == DATED else self.kind
        if event is None:
            return
        found = event.found
        texts = self.texts
        if texts.spanning:
            whole = event.text(MAX_EVENT_CHARS)
            for index in texts.spanning:
                if texts.encoded[index] in whole:
                    found.add(index)
        if event.message is not None:
            every = event.joined or not event.verbatim
            check = range(len(texts.texts)) if every else texts.escapable
            for index in check:
                if texts.texts[index] in event.message:
                    found.add(index)
        if self.on_event is not None:
            self.on_event(event)
        if not found:
            return
        inside = self.since <= event.when <= self.until
        stream = f"{self.display}:{event.line_no}"
        for index in found:
            tally = self.tallies[index]
            if not inside:
                tally.outside += 1
                continue
            tally.count += 1
            when = event.when
            if tally.first is None or when < tally.first:
                tally.first = when
            if tally.last is None or when > tally.last:
                tally.last = when
            if len(tally.latest) < EXCERPTS or (when, stream) > tally.latest[0][:2]:
                message, total = self._message_for(event, index)
                item = (when, stream, message[:KEPT_CHARS], total)
                if len(tally.latest) < EXCERPTS:
                    heapq.heappush(tally.latest, item)
                else:
                    heapq.heapreplace(tally.latest, item)

    def _message_for(self, event: _Event, index: int) -> tuple[str, int]:
        """The excerpt of ``event`` for text ``index`` and its whole length: its message
        when the text is in it, else its lines as written."""
        if event.message is not None and self.texts.texts[index] in event.message:
            return event.message, len(event.message)
        text = decode(event.text(self.keep))
        return text, max(len(text), event.size)

    # ------------------------------------------------------------------ in bulk

    def _fast_block(self, data: bytes, hits: list[tuple[int, int]], fast: _Fast) -> None:
        """Account for a block by the bulk rules, parsing only the lines that matter."""
        total = self.newlines - 1
        found = fast.classes.findall(data)
        irregular = total - len(found)
        minutes = Counter(found)
        del minutes[b""]
        starts_of = {key: self._minute(key, fast) for key in minutes}
        if irregular > total // 8 + 16 or None in starts_of.values():
            self._run(data, 1, len(data), self.lines, hits, 0)
            return
        # The lines that matter: irregular ones, those holding a text, and the start of the
        # block unless it continues a dated event.
        wanted: list[int] = []
        if irregular:
            wanted.extend(m.start() + 1 for m in fast.irregular.finditer(data))
        for end, _ in hits:
            wanted.append(data.rfind(b"\n", 0, end) + 1)
        if self.kind != DATED:
            wanted.append(1)
        if len(wanted) > total // 8 + 16:  # texts on many lines: line by line is cheaper
            self._run(data, 1, len(data), self.lines, hits, 0)
            return
        wanted.sort()
        spans: list[tuple[int, int]] = []
        covered = 0
        mark, newlines = 0, 0  # newlines before position ``mark``
        hi = 0
        for start in wanted:
            if start < covered:
                continue
            begin, stop = fast.event_span(data, start)
            if spans or fast.line.match(data, begin - 1):
                self._close()  # the event before ended at the dated line ``begin``
            newlines += data.count(b"\n", mark, begin)
            mark = begin
            hi = bisect.bisect_right(hits, (begin, -1), lo=hi)
            hi = self._run(data, begin, stop, self.lines + newlines - 1, hits, hi)
            minutes.subtract(fast.keys.findall(data, begin - 1, stop))
            spans.append((begin, stop))
            covered = stop
        self._bulk(data, fast, minutes, starts_of, spans)

    def _minute(self, key: bytes, fast: _Fast) -> datetime | None:
        """The UTC start of a key's minute, or None when the parser would not date it."""
        zone = fast.zone
        named = zone is not None and len(zone.strip()) > 1 and zone[-1:].isalpha()
        when = self.parser.build(
            int(key[0:4]),
            int(key[5:7]),
            int(key[8:10]),
            int(key[11:13]),
            int(key[14:16]),
            0,
            None,
            None if named else zone,
            zone.strip() if named and zone is not None else None,
        )
        if when is None or when.year >= 9999:
            return None
        return when

    def _bulk(
        self,
        data: bytes,
        fast: _Fast,
        minutes: Counter[bytes],
        starts_of: dict[bytes, datetime | None],
        spans: list[tuple[int, int]],
    ) -> None:
        """Count the dated lines outside the spans, minute by minute; carry the last."""
        span = timedelta(minutes=1) - timedelta(microseconds=1)
        edges: list[bytes] = []
        live_keys: set[bytes] = set()
        bulk = 0
        for key, n in minutes.items():
            if n <= 0:
                continue
            low = starts_of[key]
            assert low is not None
            bulk += n
            if self.since <= low and low + span <= self.until:
                self.in_window += n
                live_keys.add(key)
            elif low + span < self.since or low > self.until:
                self.outside += n
            else:
                edges.append(key)
        if not bulk:
            return  # no dated line outside the spans: the state the spans left goes on
        self.events += bulk
        self.formats[fast.name] += bulk
        span_starts = [s for s, _ in spans]

        def in_span(position: int) -> bool:
            at = bisect.bisect_right(span_starts, position) - 1
            return at >= 0 and position < spans[at][1]

        for key in edges:
            low = starts_of[key]
            assert low is not None
            for m in fast.seconds(key).finditer(data):
                if in_span(m.start() + 1):
                    continue
                micros = int(m[2][:6].ljust(6, b"0")) if m[2] else 0
                when = low + timedelta(seconds=int(m[1]), microseconds=micros)
                if self.since <= when <= self.until:
                    self.in_window += 1
                    live_keys.add(key)
                else:
                    self.outside += 1
        gaps = _gaps(spans, len(data))
        first = self._first_in(data, fast, gaps)
        if first is not None:
            self._seen(data, first)
        last = self._last_in(data, fast, gaps)
        assert last is not None
        self._carry(data, last, reaches_end=bool(spans) and spans[-1][1] == len(data))
        if live_keys and (self.live is None or self.live[0] > self.lines):
            self._find_live(data, fast, gaps, live_keys)

    def _stamp_at(self, data: bytes, position: int) -> Stamp:
        end = data.index(b"\n", position)
        stamp = self.parser.parse(data[position:end].rstrip(b"\r"))
        assert stamp is not None, "a line the bulk rules date is one the parser dates"
        return stamp

    def _line_number(self, data: bytes, position: int) -> int:
        if position > len(data) // 2:
            return self.lines + self.newlines - data.count(b"\n", position)
        return self.lines + data.count(b"\n", 0, position)

    def _first_in(self, data: bytes, fast: _Fast, gaps: list[tuple[int, int]]) -> int | None:
        for begin, end in gaps:
            m = fast.line.search(data, begin - 1, end)
            if m is not None:
                return m.start() + 1
        return None

    def _last_in(self, data: bytes, fast: _Fast, gaps: list[tuple[int, int]]) -> int | None:
        for begin, end in reversed(gaps):
            position = data.rfind(b"\n", 0, end - 1) + 1
            steps = 0
            while position >= begin and steps < 4096:
                if fast.line.match(data, position - 1):
                    return position
                if position <= 1:
                    break
                position = data.rfind(b"\n", 0, position - 1) + 1
                steps += 1
            found = None
            for m in fast.line.finditer(data, begin - 1, end):
                found = m.start() + 1
            if found is not None:
                return found
        return None

    def _seen(self, data: bytes, position: int) -> None:
        """The first dated line of a block, read in bulk: maybe the file's first."""
        if self.first is not None and self.first[0] <= self.lines:
            return
        line_no = self._line_number(data, position)
        if self.first is None or line_no < self.first[0]:
            self.first = (line_no, self._stamp_at(data, position).when)

    def _carry(self, data: bytes, position: int, reaches_end: bool) -> None:
        """The last dated line of a block read in bulk: maybe the file's last so far, and,
        unless a span reaches the block's end (its state goes on), the event the next
        block may continue."""
        line_no = self._line_number(data, position)
        stamp = self._stamp_at(data, position)
        if self.last is None or line_no > self.last[0]:
            self.last = (line_no, stamp.when)
        if reaches_end:
            return
        self._close()
        end = data.index(b"\n", position)
        event = _Event(stamp.when, line_no, stamp, data[position:end].rstrip(b"\r"))
        event.counted = True
        self.event = event
        self.kind = DATED
        self.shape = None

    def _find_live(
        self, data: bytes, fast: _Fast, gaps: list[tuple[int, int]], keys: set[bytes]
    ) -> None:
        for begin, end in gaps:
            for m in fast.keys.finditer(data, begin - 1, end):
                if m[1] not in keys:
                    continue
                position = m.start() + 1
                stamp = self._stamp_at(data, position)
                if self.since <= stamp.when <= self.until:
                    line_no = self._line_number(data, position)
                    if self.live is None or line_no < self.live[0]:
                        stop = data.index(b"\n", position)
                        event = _Event(stamp.when, line_no, stamp, data[position:stop])
                        self.live = (line_no, self._excerpt_of(event, event.parts[0]))
                    return

    # ------------------------------------------------------------------ CloudWatch exports

    def _is_export(self, source: _Source | _Prefetch | _PlainFile) -> bool:
        """Whether the file is a CloudWatch export document (its first bytes are kept)."""
        head = b""
        try:
            while len(head) < 4096:
                more = source.read(BLOCK_BYTES)
                if not more:
                    break
                head += more
        except READ_ERRORS as exc:  # raised again once the bytes before it are read
            source.failed = exc
        source.unread(head)
        return _EXPORT.match(head) is not None

    def _export(self, source: _Source | _Prefetch | _PlainFile) -> None:
        """A CloudWatch export document: each event of its ``events`` array, in order."""
        self.formats["cloudwatch-export"] += 0
        decoder = json.JSONDecoder()
        text = codecs.getincrementaldecoder("utf-8")(errors="backslashreplace")
        buffer = ""
        index = 0
        line_no, mark = 1, 0  # the line ``buffer[mark]`` is on
        last = b""
        ended = False

        def refill() -> bool:
            nonlocal buffer, index, line_no, mark, last, ended
            more = source.read(BLOCK_BYTES)
            if more:
                last = more[-1:]
            else:
                ended = True
            line_no += buffer.count("\n", mark, index)
            buffer = buffer[index:] + text.decode(more, final=not more)
            index = mark = 0
            return bool(more)

        while True:
            match = _EXPORT_TEXT.match(buffer)
            if match is not None:
                index = match.end()
                break
            if not refill():
                raise OSError("not a CloudWatch export document")
        while True:
            self._check_cancel()
            while True:
                while index < len(buffer) and buffer[index] in " \t\r\n,":
                    index += 1
                if index < len(buffer) or not refill():
                    break
            if index >= len(buffer) or buffer[index] == "]":
                break
            try:
                item, stop = decoder.raw_decode(buffer, index)
            except (ValueError, RecursionError):
                if ended or len(buffer) - index > 4 * BLOCK_BYTES:
                    raise OSError(
                        f"the CloudWatch export is not valid JSON after line {line_no}"
                    ) from None
                refill()
                continue
            line_no += buffer.count("\n", mark, index)
            mark = index
            self._export_event(item, line_no)
            index = stop
        newlines = line_no - 1 + buffer.count("\n", mark)
        while True:
            more = source.read(BLOCK_BYTES)
            if not more:
                break
            newlines += more.count(b"\n")
            last = more[-1:]
        self.lines = newlines + (0 if last in (b"\n", b"") else 1)

    def _export_event(self, item: object, line_no: int) -> None:
        if not isinstance(item, dict):
            self.kind = UNDATED
            self._undated_line(json.dumps(item).encode(), line_no, None)
            self.kind = NONE
            return
        when = item.get("timestamp")
        moment = (
            epoch(when) if isinstance(when, int | float) and not isinstance(when, bool) else None
        )
        message = item.get("message")
        text = message if isinstance(message, str) else json.dumps(message)
        raw = text.encode("utf-8", "surrogatepass")
        found = {self.texts.scanned[i] for _, i in self.matcher.find(raw)} if raw else set()
        for index in self.texts.spanning:
            if self.texts.texts[index] in text:
                found.add(index)
        if moment is None:
            self.kind = UNDATED
            self._undated_line(raw, line_no, found)
            self.kind = NONE
            return
        stamp = Stamp(moment, "cloudwatch-export", message=text)
        event = _Event(moment, line_no, stamp, raw[: KEPT_CHARS * 4])
        event.found = found
        self.event = event
        self.kind = DATED
        self._count(event)
        self._close()

    # ------------------------------------------------------------------ the answer

    def _result(self, compression: Compression, error: EvidenceError | None) -> _Result:
        formats = [name for name, n in self.formats.most_common() if n]
        if not formats and self.formats:
            formats = list(self.formats)
        stats = FileStats(
            path=self.display,
            compression=compression,
            format=", ".join(formats) or None,
            bytes_read=self.bytes_read,
            lines=self.lines,
            events=self.events,
            events_in_window=self.in_window,
            undated_lines=self.undated,
            first_timestamp=self.first[1] if self.first else None,
            last_timestamp=self.last[1] if self.last else None,
            error=error,
        )
        return _Result(stats, self.tallies, self.live[1] if self.live else None)


_EXPORT = re.compile(rb"\s*\{\s*\"events\"\s*:\s*\[")
_EXPORT_TEXT = re.compile(r"\s*\{\s*\"events\"\s*:\s*\[")


def _gaps(spans: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """The stretches of a block (from position 1) outside the spans."""
    gaps: list[tuple[int, int]] = []
    at = 1
    for begin, end in spans:
        if begin > at:
            gaps.append((at, begin))
        at = max(at, end)
    if at < size:
        gaps.append((at, size))
    return gaps


# --------------------------------------------------------------------------- collecting


def display_name(path: Path, base_dir: Path) -> str:
    """``path`` relative to ``base_dir`` in POSIX form (the full path when it lies outside),
    with bytes that are not UTF-8 shown as ``\\xNN`` and control characters escaped."""
    try:
        shown = path.relative_to(base_dir).as_posix()
    except ValueError:
        shown = path.as_posix()
    text = os.fsencode(shown).decode("utf-8", "backslashreplace")
    return visible(text, keep_newlines=False)


def read_error(display: str, exc: BaseException) -> EvidenceError:
    """The error for a file that could not be read to its end."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return EvidenceError(
        operation=OPERATION,
        code=type(exc).__name__,
        message=f"{display}: {reason or type(exc).__name__}",
    )


def collect_files(
    paths: Sequence[Path],
    base_dir: Path,
    since: datetime,
    until: datetime,
    markers: Sequence[Marker],
    redactor: Redactor,
    *,
    options: FileLogOptions = FileLogOptions(),  # noqa: B008 - frozen, shared safely
    on_bytes: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> LogsEvidence:
    """Every marker text in ``paths``, accounted for as in the window, outside it, or at
    no known time (see the module doc).

    Files are read several at a time and merged in the given order, so the evidence does
    not depend on which finished first. ``on_bytes(n)`` hears each read of ``n`` bytes as
    stored (compressed bytes for a compressed file), from the reading threads, one call
    at a time. When ``cancel`` is set, reading stops within about a second and
    :class:`~reporter.errors.Cancelled` is raised (no thread keeps reading).
    """
    return _collect(
        paths,
        base_dir,
        since,
        until,
        markers,
        redactor,
        options=options,
        on_bytes=on_bytes,
        cancel=cancel,
        bulk=True,
    )


def _collect(
    paths: Sequence[Path],
    base_dir: Path,
    since: datetime,
    until: datetime,
    markers: Sequence[Marker],
    redactor: Redactor,
    *,
    options: FileLogOptions,
    on_bytes: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
    bulk: bool,
    blocks: Counter[str] | None = None,
) -> LogsEvidence:
    """:func:`collect_files`; ``bulk=False`` parses every line one by one, ``blocks`` counts
    the blocks read by each way (for tests)."""
    texts = _Texts.of([m.text for m in markers])
    matcher = Matcher([texts.encoded[i] for i in texts.scanned])
    displays = [redactor(display_name(p, base_dir)) for p in paths]
    lock = threading.Lock()

    def heard(size: int) -> None:
        if on_bytes is not None:
            with lock:
                on_bytes(size)

    def scan(path: Path, display: str) -> _Result:
        reader = _FileScan(
            path,
            display,
            since,
            until,
            texts,
            matcher,
            options,
            redactor,
            heard,
            cancel,
            bulk=bulk,
        )
        result = reader.run()
        if blocks is not None:
            with lock:
                blocks.update(reader.blocks)
        return result

    results = _read_all(scan, paths, displays, cancel)
    return _evidence(results, displays, since, until, markers, redactor)


def _read_all(
    scan: Callable[[Path, str], _Result],
    paths: Sequence[Path],
    displays: Sequence[str],
    cancel: threading.Event | None,
) -> list[_Result]:
    if len(paths) <= 1:
        return [scan(p, d) for p, d in zip(paths, displays, strict=True)]
    workers = min(WORKERS, len(paths))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="log-files") as pool:
        futures: list[Future[_Result]] = []
        try:
            for path, display in zip(paths, displays, strict=True):
                futures.append(pool.submit(scan, path, display))
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise
        finally:
            if cancel is not None and cancel.is_set():
                for f in futures:
                    f.cancel()


def _evidence(
    results: list[_Result],
    displays: Sequence[str],
    since: datetime,
    until: datetime,
    markers: Sequence[Marker],
    redactor: Redactor,
) -> LogsEvidence:
    matches = []
    for index, marker in enumerate(markers):
        tallies = [r.tallies[index] for r in results]
        latest = heapq.nlargest(EXCERPTS, (item for t in tallies for item in t.latest))
        firsts = [t.first for t in tallies if t.first is not None]
        lasts = [t.last for t in tallies if t.last is not None]
        undated = [e for t in tallies for e in t.undated][:UNDATED_EXCERPTS]
        matches.append(
            LogMatch(
                text=marker.text,
                kinds=marker.kinds,
                count=sum(t.count for t in tallies),
                first_seen=min(firsts) if firsts else None,
                last_seen=max(lasts) if lasts else None,
                excerpts=tuple(
                    LogExcerpt(
                        timestamp=when,
                        stream=stream,
                        message=clean(message, redactor, total=length),
                    )
                    for when, stream, message, length in sorted(latest)
                ),
                outside_window=sum(t.outside for t in tallies),
                unknown_time=sum(t.unknown for t in tallies),
                unknown_time_excerpts=tuple(undated),
            )
        )
    errors = [r.stats.error for r in results if r.stats.error is not None]
    live = next((r.live for r in results if r.live is not None), None)
    return LogsEvidence(
        source="files",
        files=tuple(displays),
        since=since,
        until=until,
        events_scanned=sum(r.stats.events_in_window for r in results),
        skipped_lines=sum(r.stats.undated_lines for r in results),
        matches=tuple(matches),
        error=errors[0] if errors else None,
        outside_window=sum(r.stats.events - r.stats.events_in_window for r in results),
        live_event=live,
        file_stats=tuple(r.stats for r in results),
    )


def iter_events(
    path: Path,
    display: str,
    options: FileLogOptions = FileLogOptions(),  # noqa: B008 - frozen, shared safely
    until: datetime | None = None,
) -> Iterator[tuple[datetime, str, str]]:
    """The dated events of one file, read line by line: ``(time, "file:line", text)``.

    For tests and diagnosis: the whole file is read before the first event is yielded.
    ``text`` is the event's message (decoded, at most :data:`MAX_EVENT_CHARS`). Reading
    errors (:data:`READ_ERRORS`) are raised after the events read before them.
    """
    found: list[tuple[datetime, str, str]] = []

    def keep(event: _Event) -> None:
        text = event.message if event.message is not None else decode(event.text(MAX_EVENT_CHARS))
        found.append((event.when, f"{display}:{event.line_no}", text[:MAX_EVENT_CHARS]))

    scan = _FileScan(
        path,
        display,
        datetime.min.replace(tzinfo=UTC),
        until or datetime.now(UTC),
        _Texts.of(()),
        Matcher(()),
        options,
        Redactor(),
        lambda _: None,
        None,
        on_event=keep,
        bulk=False,
    )
    error: BaseException | None = None
    try:
        with path.open("rb") as handle:
            source = _Source(handle, lambda _: None)
            if scan._is_export(source):
                scan._export(source)
            else:
                scan._lines(source)
    except READ_ERRORS as exc:
        error = exc
    scan._close()
    yield from found
    if error is not None:
        raise error
