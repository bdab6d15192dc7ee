"""Which line of a local log file starts an event, and when: the formats ``reporter`` knows.

A :class:`LineParser` looks at one line (bytes, without its ending) and answers with a
:class:`Stamp` — the event's time as UTC, the format's name and, for formats that wrap
the program's output (JSON lines, docker json-file, CRI), the message — or ``None`` when
the line does not start an event with a known time. Recognised with no configuration
(the README's "Local log files" lists them with examples):

- ISO 8601 at the line start (``T`` or a space, fractions after ``.`` or ``,`` as Python
  logging writes them, ``Z``, ``+01:00``, ``+0100``, an offset after a space
  ``-0500``, or a zone abbreviation such as ``UTC``), optionally after a level
  (``INFO 2025-…``, ``[INFO] …``) or in brackets (gunicorn's ``[2025-11-26 10:00:00 +0000]``);
- nginx/Apache common and combined logs (``[26/Nov/2025:10:00:00 +0000]``) and nginx's
  error log (``2025/11/26 10:00:00``);
- klog/glog (``I1126 10:00:00.123456``) and syslog RFC 3164 (``Nov 26 10:00:00``), whose
  year is taken from the window; syslog RFC 5424 (``<34>1 2025-11-26T…``);
- logfmt (``time=``, ``ts=``, ``t=`` anywhere in the line);
- JSON lines with the time in ``timestamp``, ``time``, ``@timestamp``, ``ts``, ``date``,
  ``datetime``, ``asctime`` or journald's ``__REALTIME_TIMESTAMP`` (ISO text or epoch
  seconds/ms/µs/ns), the message from ``message``, ``msg``, ``log`` or ``MESSAGE``; docker
  json-file and CloudWatch event lines (``jq -c '.events[]'``) are such lines;
- CRI/containerd (``<RFC3339Nano> stdout F message``): the prefix is dropped from the
  message, and ``P`` (partial) lines are joined by the reader.

Overrides (:class:`FileLogOptions`, from ``[logs]``): ``timezone`` for timestamps written
without a zone, ``timestamp_field`` for JSON, ``timestamp_pattern``/``timestamp_format``
for any other format. A zone abbreviation is used only when it cannot mean two things:
``UTC``/``GMT``, or the abbreviation the configured ``timezone`` itself uses at that time
(``EST`` with ``America/New_York`` in winter). A local time that a daylight-saving change
makes ambiguous or impossible in ``timezone`` has no known time either.

Also here: the multi-line shapes (Python, Java and Go tracebacks) whose unindented lines
continue the event before them (:func:`shape_after`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from reporter.spec import LogsSection

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MONTH_NAMES = b"Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_MONTHS = {name: n for n, name in enumerate(_MONTH_NAMES, start=1)}
_MONTH_ALT = b"Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"

ABBREVIATIONS: tuple[str, ...] = (
    "UTC", "GMT", "UT", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT", "AKST",
    "AKDT", "HST", "AST", "ADT", "NST", "NDT", "WET", "WEST", "BST", "IST", "CET", "CEST",
    "MET", "MEST", "EET", "EEST", "MSK", "SAST", "CAT", "EAT", "WAT", "PKT", "WIB", "WITA",
    "WIT", "SGT", "HKT", "PHT", "JST", "KST", "AEST", "AEDT", "ACST", "ACDT", "AWST",
    "NZST", "NZDT", "ChST", "SST",
)  # fmt: skip
"""Zone abbreviations recognised after a timestamp. Only ``UTC``, ``GMT`` and ``UT`` are
taken on their own; any other must be the one the configured ``timezone`` uses then."""
_UTC_NAMES = frozenset({"UTC", "GMT", "UT"})
_ABBR_ALT = "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)).encode()

# --------------------------------------------------------------------------- regexes

_DATE_TIME = (
    rb"(?P<Y>\d{4})-(?P<M>\d\d)-(?P<D>\d\d)[Tt ](?P<h>\d\d):(?P<m>\d\d):(?P<s>\d\d)"
    rb"(?:[.,](?P<f>\d+))?"
)
_ZONE = (
    rb"(?:(?P<z>[Zz]|[+-]\d\d(?::?\d\d)?(?!\d)|[ ][+-]\d{4}(?!\d))"
    rb"|[ ](?P<abbr>" + _ABBR_ALT + rb")(?![A-Za-z0-9]))?"
)
_LEVELS = (
    rb"(?i:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|CRITICAL|CRIT|FATAL|ALERT|EMERG"
    rb"|SEVERE|FINE|FINER|FINEST|PANIC|DPANIC|[DIWEF])"
)
ISO_LINE = re.compile(_DATE_TIME + _ZONE + rb"(?!\d)")
"""An ISO 8601 timestamp at the start of a line (seconds required)."""
_LEVEL_ISO = re.compile(
    rb"(?:\[" + _LEVELS + rb"\]|" + _LEVELS + rb":?)[ \t]+\[?" + _DATE_TIME + _ZONE + rb"(?!\d)"
)
_BRACKET_ISO = re.compile(rb"\[" + _DATE_TIME + _ZONE + rb"\]")
_CLF = re.compile(
    rb"(?:[^ \t\[\]]+ [^ \t\[\]]+ (?:[^ \t\[\]]+|\"[^\"]*\") )?"
    rb"\[(?P<D>\d\d)/(?P<Mon>" + _MONTH_ALT + rb")/(?P<Y>\d{4}):(?P<h>\d\d):(?P<m>\d\d):"
    rb"(?P<s>\d\d)(?:[.,](?P<f>\d+))?(?: (?P<z>[+-]\d{4}))?\]"
)
_NGINX_ERROR = re.compile(
    rb"(?P<Y>\d{4})/(?P<M>\d\d)/(?P<D>\d\d) (?P<h>\d\d):(?P<m>\d\d):(?P<s>\d\d)(?!\d)"
)
_KLOG = re.compile(
    rb"[IWEF](?P<M>\d\d)(?P<D>\d\d) (?P<h>\d\d):(?P<m>\d\d):(?P<s>\d\d)(?:\.(?P<f>\d+))?(?!\d)"
)
_SYSLOG = re.compile(
    rb"(?:<\d{1,3}>)?(?P<Mon>" + _MONTH_ALT + rb") (?P<D>[ \d]\d) (?P<h>\d\d):(?P<m>\d\d):"
    rb"(?P<s>\d\d)(?:\.(?P<f>\d+))?(?!\d)"
)
_SYSLOG5424 = re.compile(rb"<\d{1,3}>\d{1,2} " + _DATE_TIME + _ZONE + rb"(?!\d)")
_CRI = re.compile(_DATE_TIME + _ZONE + rb" (?P<stream>stdout|stderr) (?P<tag>[FP])(?: |$)")
_LOGFMT = re.compile(rb"(?:^|[ \t])(?:time|ts|t)=(?:\"(?P<q>[^\"]*)\"|(?P<v>[^ \t\"]+))(?=[ \t]|$)")
_JSON_TIME_KEYS = (
    "timestamp", "time", "@timestamp", "ts", "date", "datetime", "asctime",
    "__REALTIME_TIMESTAMP",
)  # fmt: skip
_JSON_MESSAGE_KEYS = ("message", "msg", "log", "MESSAGE")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")

# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class FileLogOptions:
    """How to read timestamps the built-in formats do not settle (``[logs]`` overrides)."""

    timezone: str = "UTC"
    """IANA zone of timestamps written without one."""
    timestamp_field: str | None = None
    """JSON lines: the field holding the time (dots reach into objects: ``meta.ts``)."""
    timestamp_pattern: str | None = None
    """A regular expression with a named group ``time`` (and optionally ``message``),
    matched at the start of each line before the built-in formats are tried."""
    timestamp_format: str | None = None
    """The ``strptime`` format of the ``time`` group (default: the built-in formats)."""

    @classmethod
    def from_spec(cls, logs: LogsSection) -> FileLogOptions:
        """The options a spec's ``[logs]`` section gives (validated there)."""
        return cls(
            timezone=logs.zone,
            timestamp_field=logs.timestamp_field,
            timestamp_pattern=logs.timestamp_pattern,
            timestamp_format=logs.timestamp_format,
        )


@dataclass(frozen=True)
class Stamp:
    """A line that starts an event: when, in which format, and its message if unwrapped."""

    when: datetime
    """UTC."""
    format: str
    message: str | None = None
    """The program's own text when the line wraps it (JSON, CRI); None: the whole line."""
    partial: bool = False
    """CRI ``P``: the message continues in the next line of the same stream."""
    stream: str | None = None
    """CRI: ``stdout``/``stderr``."""
    verbatim: bool = True
    """The message is written in the line as it reads, but for JSON string escapes (False:
    JSON bytes or an object, re-encoded)."""


def decode(raw: bytes) -> str:
    """Bytes as text: UTF-8, with invalid bytes shown as ``\\xNN``."""
    return raw.decode("utf-8", "backslashreplace")


# --------------------------------------------------------------------------- the parser


class LineParser:
    """Recognises the time an event starts, line by line, for one set of options.

    ``until`` (the window's end) supplies the year of formats that write none (syslog,
    klog): the latest year that does not put the line more than a week after ``until``.
    """

    def __init__(self, options: FileLogOptions, until: datetime) -> None:
        self.options = options
        self.zone: tzinfo = UTC if options.timezone == "UTC" else ZoneInfo(options.timezone)
        self.until = until
        self._pattern = re.compile(options.timestamp_pattern) if options.timestamp_pattern else None
        self._field = tuple(options.timestamp_field.split(".")) if options.timestamp_field else None
        self._zone_cache: dict[tuple[bytes | None, bytes | None], tzinfo | None] = {}
        digit: list[Callable[[bytes], Stamp | None]] = [
            self._iso,
            self._nginx_error,
            self._clf,
        ]
        letter: list[Callable[[bytes], Stamp | None]] = [
            self._level_iso,
            self._klog,
            self._syslog,
            self._clf,
        ]
        self._by_first: dict[int, list[Callable[[bytes], Stamp | None]]] = {}
        for byte in range(256):
            char = chr(byte)
            if char.isdigit():
                self._by_first[byte] = digit
            elif char == "{":
                self._by_first[byte] = [self._json]
            elif char == "[":
                self._by_first[byte] = [self._bracket, self._level_iso, self._clf]
            elif char == "<":
                self._by_first[byte] = [self._syslog5424, self._syslog]
            elif char.isascii() and char.isalpha():
                self._by_first[byte] = letter
            else:
                self._by_first[byte] = [self._clf]

    # ---------------------------------------------------------------- entry point

    def parse(self, line: bytes) -> Stamp | None:
        """The event ``line`` starts, or None when it starts none with a known time.

        ``line`` has no line ending. Indented lines are never event starts (the caller
        treats them as continuations), nor are empty ones.
        """
        if not line or line[0] in b" \t":
            return None
        if self._pattern is not None:
            stamp = self._custom(line)
            if stamp is not None:
                return stamp
        for recognise in self._by_first[line[0]]:
            stamp = recognise(line)
            if stamp is not None:
                return stamp
        if b"=" in line:
            return self._logfmt(line)
        return None

    # ---------------------------------------------------------------- time building

    def _zone_for(self, z: bytes | None, abbr: bytes | None) -> tzinfo | None:
        """The zone of a written offset or abbreviation; the configured zone when none.

        None when an abbreviation is not one this run can trust (see the module doc);
        abbreviations other than UTC/GMT are resolved later against the local time.
        """
        key = (z, abbr)
        if key in self._zone_cache:
            return self._zone_cache[key]
        zone: tzinfo | None
        if abbr is not None:
            zone = UTC if abbr.decode() in _UTC_NAMES else None
        elif z is None:
            zone = self.zone
        else:
            zone = _offset(z)
        self._zone_cache[key] = zone
        return zone

    def build(
        self,
        year: int,
        month: int,
        day: int,
        hour: int,
        minute: int,
        second: int,
        fraction: bytes | None,
        z: bytes | None,
        abbr: bytes | None = None,
    ) -> datetime | None:
        """The UTC time of a written local time and zone, or None when it is not known."""
        micros = int(fraction[:6].ljust(6, b"0")) if fraction else 0
        try:
            local = datetime(year, month, day, hour, minute, second, micros)
        except ValueError:
            return None
        if abbr is not None and abbr.decode() not in _UTC_NAMES:
            return self._by_abbreviation(local, abbr.decode())
        zone = self._zone_for(z, abbr)
        if zone is None:
            return None
        return _to_utc(local, zone)

    def _by_abbreviation(self, local: datetime, abbr: str) -> datetime | None:
        offsets = set()
        for fold in (0, 1):
            candidate = local.replace(tzinfo=self.zone, fold=fold)
            if candidate.tzname() == abbr:
                offsets.add(candidate.utcoffset())
        if len(offsets) != 1:
            return None
        offset = offsets.pop()
        assert offset is not None
        return _to_utc(local, timezone(offset))

    def _year_for(self, month: int, day: int, hour: int, minute: int, second: int) -> int | None:
        """The year a timestamp without one belongs to: the window's end's year, or the
        one before when that would put it more than a week after the window."""
        year = self.until.year
        for candidate in (year, year - 1):
            try:
                when = datetime(candidate, month, day, hour, minute, second, tzinfo=UTC)
            except ValueError:
                continue
            if when <= self.until + timedelta(days=7):
                return candidate
        return None

    def _from_groups(self, m: re.Match[bytes], fmt: str) -> Stamp | None:
        when = self.build(
            int(m["Y"]),
            int(m["M"]),
            int(m["D"]),
            int(m["h"]),
            int(m["m"]),
            int(m["s"]),
            m["f"],
            m["z"],
            m["abbr"],
        )
        return None if when is None else Stamp(when, fmt)

    # ---------------------------------------------------------------- formats

    def _iso(self, line: bytes) -> Stamp | None:
        m = _CRI.match(line)
        if m is not None:
            when = self._from_groups(m, "cri")
            if when is None:
                return None
            return Stamp(
                when.when,
                "cri",
                message=decode(line[m.end() :]),
                partial=m["tag"] == b"P",
                stream=m["stream"].decode(),
            )
        m = ISO_LINE.match(line)
        if m is None:
            return None
        fmt = "python-logging" if m["f"] is not None and line[19:20] == b"," else "iso8601"
        return self._from_groups(m, fmt)

    def _level_iso(self, line: bytes) -> Stamp | None:
        m = _LEVEL_ISO.match(line)
        return None if m is None else self._from_groups(m, "level-iso8601")

    def _bracket(self, line: bytes) -> Stamp | None:
        m = _BRACKET_ISO.match(line)
        return None if m is None else self._from_groups(m, "bracketed-iso8601")

    def _clf(self, line: bytes) -> Stamp | None:
        if b"[" not in line[:300]:
            return None
        m = _CLF.match(line)
        if m is None:
            return None
        when = self.build(
            int(m["Y"]),
            _MONTHS[m["Mon"]],
            int(m["D"]),
            int(m["h"]),
            int(m["m"]),
            int(m["s"]),
            m["f"],
            m["z"],
        )
        return None if when is None else Stamp(when, "common-log")

    def _nginx_error(self, line: bytes) -> Stamp | None:
        m = _NGINX_ERROR.match(line)
        if m is None:
            return None
        when = self.build(
            int(m["Y"]), int(m["M"]), int(m["D"]), int(m["h"]), int(m["m"]), int(m["s"]), None, None
        )
        return None if when is None else Stamp(when, "nginx-error")

    def _klog(self, line: bytes) -> Stamp | None:
        m = _KLOG.match(line)
        if m is None:
            return None
        return self._yearless(m, int(m["M"]), "klog")

    def _syslog(self, line: bytes) -> Stamp | None:
        m = _SYSLOG.match(line)
        if m is None:
            return None
        return self._yearless(m, _MONTHS[m["Mon"]], "syslog")

    def _yearless(self, m: re.Match[bytes], month: int, fmt: str) -> Stamp | None:
        day, hour, minute, second = int(m["D"]), int(m["h"]), int(m["m"]), int(m["s"])
        year = self._year_for(month, day, hour, minute, second)
        if year is None:
            return None
        when = self.build(year, month, day, hour, minute, second, m["f"], None)
        return None if when is None else Stamp(when, fmt)

    def _syslog5424(self, line: bytes) -> Stamp | None:
        m = _SYSLOG5424.match(line)
        return None if m is None else self._from_groups(m, "syslog-rfc5424")

    def _logfmt(self, line: bytes) -> Stamp | None:
        m = _LOGFMT.search(line)
        if m is None:
            return None
        value = m["q"] if m["q"] is not None else m["v"]
        when = self.time_text(value)
        if when is None and _NUMBER.fullmatch(value.decode("ascii", "replace")):
            when = epoch(float(value))
        return None if when is None else Stamp(when, "logfmt")

    def _custom(self, line: bytes) -> Stamp | None:
        assert self._pattern is not None
        text = decode(line)
        m = self._pattern.match(text)
        if m is None or m["time"] is None:
            return None
        written = m["time"]
        when: datetime | None
        if self.options.timestamp_format is not None:
            try:
                parsed = datetime.strptime(written, self.options.timestamp_format)
            except ValueError:
                return None
            if parsed.tzinfo is None:
                when = self._local_to_utc(parsed)
            else:
                try:
                    when = parsed.astimezone(UTC)
                except OverflowError:
                    when = None
        else:
            when = self.time_text(written.encode("utf-8", "surrogateescape"))
        if when is None:
            return None
        message = m.groupdict().get("message")
        return Stamp(when, "pattern", message=message)

    def _local_to_utc(self, local: datetime) -> datetime | None:
        return self.build(
            local.year,
            local.month,
            local.day,
            local.hour,
            local.minute,
            local.second,
            f"{local.microsecond:06d}".encode(),
            None,
        )

    def time_text(self, text: bytes) -> datetime | None:
        """A whole written time (JSON value, logfmt value, a pattern's ``time`` group):
        ISO 8601, common-log, nginx-error, syslog or klog style; None when none fits."""
        text = text.strip()
        for regex in (ISO_LINE, _CLF, _NGINX_ERROR, _SYSLOG):
            m = regex.match(text)
            if m is None or m.end() != len(text):
                continue
            if regex is ISO_LINE:
                stamp = self._from_groups(m, "")
            elif regex is _CLF:
                stamp = self._clf(text)
            elif regex is _NGINX_ERROR:
                stamp = self._nginx_error(text)
            else:
                stamp = self._syslog(text)
            return None if stamp is None else stamp.when
        return None

    # ---------------------------------------------------------------- JSON

    def _json(self, line: bytes) -> Stamp | None:
        if not line.rstrip().endswith(b"}"):
            return None
        try:
            data = json.loads(line)
        except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
            return None
        if not isinstance(data, dict):
            return None
        when = self._json_time(data)
        if when is None:
            return None
        message, verbatim = _json_message(data)
        return Stamp(when, _json_format(data), message=message, verbatim=verbatim)

    def _json_time(self, data: dict[str, Any]) -> datetime | None:
        if self._field is not None:
            value: Any = data
            for part in self._field:
                if not isinstance(value, dict) or part not in value:
                    return None
                value = value[part]
            return self.json_value_time(value)
        for key in _JSON_TIME_KEYS:
            if key in data:
                when = self.json_value_time(data[key])
                if when is not None:
                    return when
        return None

    def json_value_time(self, value: object) -> datetime | None:
        """The time a JSON value holds: ISO text, epoch number, or epoch digits as text
        (journald's ``__REALTIME_TIMESTAMP``)."""
        if isinstance(value, str):
            if _NUMBER.fullmatch(value.strip()):
                return epoch(float(value))
            return self.time_text(value.encode("utf-8", "surrogatepass"))
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return epoch(value)


def epoch(value: float) -> datetime | None:
    """Epoch time, its unit told by its size: seconds below 1e11, then milliseconds,
    microseconds (from 1e14) and nanoseconds (from 1e17). None when out of range."""
    if value != value:  # NaN
        return None
    magnitude = abs(value)
    scale = 1 if magnitude < 1e11 else 1e3 if magnitude < 1e14 else 1e6 if magnitude < 1e17 else 1e9
    if isinstance(value, int) and scale != 1:
        seconds, rest = divmod(value, int(scale))
        micros = rest * 1_000_000 // int(scale)
        try:
            return _EPOCH + timedelta(seconds=seconds, microseconds=micros)
        except OverflowError:
            return None
    try:
        return _EPOCH + timedelta(seconds=value / scale)
    except (OverflowError, ValueError):  # inf, or beyond year 9999
        return None


def _offset(written: bytes) -> tzinfo | None:
    text = written.strip()
    if text in (b"Z", b"z"):
        return UTC
    sign = -1 if text[:1] == b"-" else 1
    digits = text[1:].replace(b":", b"")
    hours, minutes = int(digits[:2]), int(digits[2:4] or b"0")
    if hours > 23 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _to_utc(local: datetime, zone: tzinfo) -> datetime | None:
    """``local`` in ``zone`` as UTC; None when the zone makes it ambiguous or impossible."""
    if isinstance(zone, ZoneInfo):
        first = local.replace(tzinfo=zone, fold=0)
        second = local.replace(tzinfo=zone, fold=1)
        if first.utcoffset() != second.utcoffset():
            return None  # repeated or skipped by a daylight-saving change
        aware = first
    else:
        aware = local.replace(tzinfo=zone)
    try:
        return aware.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 or 9999 pushed out of range by the offset
        return None


def _json_format(data: dict[str, Any]) -> str:
    if "log" in data and "stream" in data and "time" in data:
        return "docker-json"
    if "__REALTIME_TIMESTAMP" in data:
        return "journald-json"
    if "message" in data and "timestamp" in data and ("logStreamName" in data or "eventId" in data):
        return "cloudwatch-json"
    return "json"


def _json_message(data: dict[str, Any]) -> tuple[str | None, bool]:
    """The message of a JSON line, and whether it is written verbatim in it."""
    for key in _JSON_MESSAGE_KEYS:
        if key not in data:
            continue
        value = data[key]
        if isinstance(value, str):
            return (value.removesuffix("\n") if key == "log" else value), True
        if isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 256 for v in value
        ):
            return decode(bytes(value)), False  # journald writes binary messages as byte arrays
        return json.dumps(value, ensure_ascii=False), False
    return None, True


# --------------------------------------------------------------------------- multi-line shapes

_PY_TRACEBACK = re.compile(rb"Traceback \(most recent call last\):\s*$")
_PY_CHAIN = re.compile(
    rb"(?:The above exception was the direct cause of the following exception:"
    rb"|During handling of the above exception, another exception occurred:)\s*$"
)
_PY_EXCEPTION = re.compile(rb"[A-Za-z_][\w.]*(?::.*)?$")
_JAVA_EXCEPTION = re.compile(
    rb"(?:Exception in thread \".*\" )?(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*"
    rb"(?:Exception|Error|Throwable)(?::.*)?$"
)
_JAVA_CAUSE = re.compile(rb"Caused by: ")
_GO_START = re.compile(rb"(?:panic: |fatal error: |goroutine \d+ \[[^\]]*\]:\s*$)")
_GO_LINE = re.compile(
    rb"(?:goroutine \d+ \[[^\]]*\]:\s*$|created by |\[signal |exit status \d+\s*$"
    rb"|[\w./*()\-\[\]{}]+\(.*\)\s*$)"
)


def shape_after(shape: str | None, line: bytes) -> str | None:
    """The multi-line shape an unindented, non-blank line continues, or None.

    ``shape`` is the shape the event is in so far (None: a plain event). A Python
    traceback (``Traceback (most recent call last):`` … the exception line, chained
    tracebacks too), a Java stack trace (the exception line, ``Caused by:``) or a Go panic
    (``panic:``, ``goroutine N [running]:``, its function lines) continue the event.
    """
    if _PY_TRACEBACK.match(line):
        return "python"
    if shape in ("python", "python-exception") and _PY_CHAIN.match(line):
        return "python-chain"
    if shape == "python" and _PY_EXCEPTION.match(line):
        return "python-exception"
    if _JAVA_EXCEPTION.match(line) or _JAVA_CAUSE.match(line):
        return "java"
    if _GO_START.match(line):
        return "go"
    if shape == "go" and _GO_LINE.match(line):
        return "go"
    return None
