"""CloudWatch Logs Insights: every watched text counted server-side, with first and last seen.

One *stats query* per window (per :data:`MAX_TEXTS_PER_QUERY` texts) marks each event with
one 0/1 field per text and counts the events of every combination that occurs::

    fields strcontains(@message, "a") as m0, strcontains(@message, "b") as m1
    | filter toMillis(@timestamp) >= 1764147600000 and toMillis(@timestamp) <= 1764154200000
    | filter m0 > 0 or m1 > 0
    | stats count(*) as matched, min(@timestamp) as first_seen, max(@timestamp) as last_seen
      by m0, m1
    | limit 10000

A text's count is the sum over the rows where its field is 1, its first and last seen the
least first and greatest last of those rows: exact even when one event holds several
texts. With at most 13 texts a query has at most 2^13 - 1 = 8191 rows, so the 10,000-row
limit never cuts a count. Then, for each text seen, an *excerpt query* fetches its latest
few events (``sort @timestamp desc | limit 5``).

StartQuery takes whole seconds; the ``toMillis(@timestamp)`` filter holds the exact
millisecond window. Texts are string literals (``strcontains`` is a literal, case-sensitive
substring test, so regular-expression characters mean nothing): in double quotes, or in
single quotes when the text holds a double quote but no single quote or backslash;
otherwise double quotes with ``\\`` and ``"`` escaped by a backslash.

Queries are polled with GetQueryResults (backoff :class:`Backoff`); ``Failed``,
``Cancelled``, ``Timeout`` and ``Unknown`` are errors; a query still running after
:data:`MAX_POLLS` polls is stopped. On ``cancel`` every query still running gets StopQuery:
it only ever stops the collector's own queries (their ids come from its own StartQuery).
"""

from __future__ import annotations

import re
import shlex
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from reporter.collect.aws import AWS_ERRORS, aws_error, missing_field
from reporter.collect.logs import (
    MAX_EPOCH_MS,
    MalformedResponse,
    PageGuard,
    call_aws,
    check_cancel,
    describe,
    event_time,
    make_excerpt,
    malformed,
    run_tasks,
    watch_parsing,
)
from reporter.collect.matching import EXCERPTS, Marker, fitting_groups
from reporter.errors import Cancelled
from reporter.model import EvidenceError, LogExcerpt, LogMatch
from reporter.redact import Redactor

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_logs.type_defs import StartQueryRequestTypeDef

START = "logs:StartQuery"
RESULTS = "logs:GetQueryResults"
STOP = "logs:StopQuery"

MAX_TEXTS_PER_QUERY = 13
"""Texts one stats query counts: at most 2^13 - 1 = 8191 rows, under :data:`ROW_LIMIT`."""

MAX_QUERY_CHARS = 10_000
"""StartQuery's limit on ``queryString``."""

ROW_LIMIT = 10_000
"""Rows a query returns at most (``limit``, and a GetQueryResults page)."""

MAX_POLLS = 360
"""GetQueryResults calls per query before it is stopped: about 30 minutes with :data:`BACKOFF`
(Logs Insights itself gives up after 60)."""

MAX_RESULT_PAGES = 10
"""GetQueryResults pages of one finished query: 100,000 rows, the most a query can hold."""

STOP_WAIT_SECONDS = 1.0
"""On cancel: how long to wait for StopQuery calls other threads have under way."""

RUNNING = frozenset({"Scheduled", "Running"})
ENDED = frozenset({"Complete", "Failed", "Cancelled", "Timeout", "Unknown"})

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z?")


@dataclass(frozen=True)
class Backoff:
    """Waits between polls: ``first``, then times ``factor`` each poll, at most ``cap`` seconds."""

    first: float = 0.5
    factor: float = 1.5
    cap: float = 5.0

    def delay(self, poll: int) -> float:
        """Seconds to wait before poll number ``poll`` (from 0)."""
        return min(self.cap, self.first * self.factor ** min(poll, 64))


BACKOFF = Backoff()


# --------------------------------------------------------------------------- queries


def insights_string(text: str) -> str:
    """``text`` as a Logs Insights string literal that means exactly ``text``."""
    if "\\" not in text:
        if '"' not in text:
            return f'"{text}"'
        if "'" not in text:
            return f"'{text}'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _window_filter(start_ms: int, end_ms: int) -> str:
    return f"filter toMillis(@timestamp) >= {start_ms} and toMillis(@timestamp) <= {end_ms}"


def stats_query(texts: Sequence[str], start_ms: int, end_ms: int) -> str:
    """The query counting ``texts`` by combination (field ``m<i>`` is 1 when text ``i`` occurs)."""
    flags = ", ".join(
        f"strcontains(@message, {insights_string(text)}) as m{i}" for i, text in enumerate(texts)
    )
    seen = " or ".join(f"m{i} > 0" for i in range(len(texts)))
    by = ", ".join(f"m{i}" for i in range(len(texts)))
    return "\n| ".join(
        (
            f"fields {flags}",
            _window_filter(start_ms, end_ms),
            f"filter {seen}",
            "stats count(*) as matched, min(@timestamp) as first_seen,"
            f" max(@timestamp) as last_seen by {by}",
            f"limit {ROW_LIMIT}",
        )
    )


def excerpt_query(text: str, start_ms: int, end_ms: int, count: int = EXCERPTS) -> str:
    """The query fetching the latest ``count`` events that hold ``text``."""
    return "\n| ".join(
        (
            "fields @timestamp, @logStream, @log, @message",
            _window_filter(start_ms, end_ms),
            f"filter strcontains(@message, {insights_string(text)}) > 0",
            "sort @timestamp desc",
            f"limit {count}",
        )
    )


def plan_queries(texts: Sequence[str], start_ms: int, end_ms: int) -> list[list[str]]:
    """``texts`` (in order, duplicates dropped) in groups of at most 13 whose query fits 10,000."""
    return fitting_groups(
        texts,
        lambda group: (
            len(group) <= MAX_TEXTS_PER_QUERY
            and len(stats_query(group, start_ms, end_ms)) <= MAX_QUERY_CHARS
        ),
    )


def query_seconds(start_ms: int, end_ms: int) -> tuple[int, int]:
    """StartQuery's whole-second range covering ``[start_ms, end_ms]`` (start down, end up)."""
    return start_ms // 1000, -(-end_ms // 1000)


def insights_command(groups: Sequence[str], start_ms: int, end_ms: int, query: str) -> str:
    """The AWS CLI command that runs ``query`` again, for a report: ``aws logs start-query ...``."""
    start_s, end_s = query_seconds(start_ms, end_ms)
    option = (
        "--log-group-identifiers"
        if any(g.startswith("arn:") for g in groups)
        else "--log-group-names"
    )
    return " ".join(
        [
            "aws logs start-query",
            option,
            *(shlex.quote(g) for g in groups),
            f"--start-time {start_s} --end-time {end_s}",
            "--query-string",
            shlex.quote(query),
        ]
    )


# --------------------------------------------------------------------------- the API seam


class InsightsApi(Protocol):
    """StartQuery, GetQueryResults and StopQuery answers, exactly as CloudWatch returns them."""

    backoff: Backoff
    """How long to wait between GetQueryResults polls."""

    def start_query(
        self, groups: Sequence[str], start_s: int, end_s: int, query: str
    ) -> Mapping[str, Any]:
        """StartQuery over ``groups`` and the inclusive epoch-second range."""
        ...

    def get_query_results(self, query_id: str, next_token: str | None = None) -> Mapping[str, Any]:
        """GetQueryResults for ``query_id`` (a further page with ``next_token``)."""
        ...

    def stop_query(self, query_id: str) -> Mapping[str, Any]:
        """StopQuery for one of our own queries."""
        ...


class Boto3Insights:
    """:class:`InsightsApi` over a boto3 CloudWatch Logs client.

    Groups are sent as ``logGroupNames``, or all as ``logGroupIdentifiers`` when one is an
    ARN. An answer botocore cannot parse raises
    :class:`~reporter.collect.logs.MalformedResponse`; AWS errors propagate.
    """

    def __init__(self, client: CloudWatchLogsClient, backoff: Backoff = BACKOFF) -> None:
        self.client = client
        self.backoff = backoff
        watch_parsing(client, ("StartQuery", "GetQueryResults", "StopQuery"))

    def start_query(
        self, groups: Sequence[str], start_s: int, end_s: int, query: str
    ) -> Mapping[str, Any]:
        """Call StartQuery."""
        request: StartQueryRequestTypeDef = {
            "startTime": start_s,
            "endTime": end_s,
            "queryString": query,
        }
        if any(group.startswith("arn:") for group in groups):
            request["logGroupIdentifiers"] = list(groups)
        else:
            request["logGroupNames"] = list(groups)
        return call_aws(self.client, "StartQuery", self.client.start_query, **request)

    def get_query_results(self, query_id: str, next_token: str | None = None) -> Mapping[str, Any]:
        """Call GetQueryResults."""
        if next_token is None:
            return call_aws(
                self.client, "GetQueryResults", self.client.get_query_results, queryId=query_id
            )
        return call_aws(
            self.client,
            "GetQueryResults",
            self.client.get_query_results,
            queryId=query_id,
            nextToken=next_token,
        )

    def stop_query(self, query_id: str) -> Mapping[str, Any]:
        """Call StopQuery."""
        return call_aws(self.client, "StopQuery", self.client.stop_query, queryId=query_id)


class QueryRegistry:
    """The collector's queries still running, so that a cancelled run can stop each one once."""

    def __init__(self, api: InsightsApi) -> None:
        self.api = api
        self._running: set[str] = set()
        self._stopping = 0
        self._changed = threading.Condition()
        self.stop_errors: list[EvidenceError] = []
        """StopQuery calls that failed: the query may run on until Logs Insights ends it (it
        costs, it changes nothing). A cancelled run names them in its ``Cancelled``."""
        self.stopped: list[str] = []
        """Query ids StopQuery was sent for."""

    def add(self, query_id: str) -> None:
        """``query_id`` started."""
        with self._changed:
            self._running.add(query_id)

    def ended(self, query_id: str) -> None:
        """``query_id`` ended on its own: nothing to stop."""
        with self._changed:
            self._running.discard(query_id)

    def stop(self, query_id: str) -> None:
        """StopQuery for ``query_id`` unless it ended or was stopped already."""
        with self._changed:
            if query_id not in self._running:
                return
            self._running.discard(query_id)
            self.stopped.append(query_id)
            self._stopping += 1
        error: EvidenceError | None = None
        try:
            self.api.stop_query(query_id)
        except AWS_ERRORS as exc:
            error = aws_error(STOP, exc)
        except MalformedResponse as exc:
            error = exc.error
        finally:
            with self._changed:
                self._stopping -= 1
                if error is not None:
                    self.stop_errors.append(error)
                self._changed.notify_all()

    def stop_all(self) -> None:
        """StopQuery for every query still running; wait (1 s at most) for those in flight."""
        with self._changed:
            running = sorted(self._running)
        for query_id in running:
            self.stop(query_id)
        with self._changed:
            self._changed.wait_for(lambda: self._stopping == 0, STOP_WAIT_SECONDS)


class QueryError(Exception):
    """A query that gave no usable result; ``started`` is False when StartQuery itself failed."""

    def __init__(self, error: EvidenceError, started: bool = True) -> None:
        super().__init__(error.line())
        self.error = error
        self.started = started


def _pause(cancel: threading.Event | None, seconds: float) -> bool:
    """Wait ``seconds``; True as soon as ``cancel`` is set."""
    if cancel is None:
        if seconds > 0:
            time.sleep(seconds)
        return False
    return cancel.wait(seconds)


def _query_id(response: Mapping[str, Any]) -> str:
    if not isinstance(response, Mapping):
        raise QueryError(malformed(START, "the response", f"is {describe(response)}"), False)
    query_id = response.get("queryId")
    if query_id is None:
        raise QueryError(missing_field(START, "queryId"), False)
    if not isinstance(query_id, str) or not query_id:
        raise QueryError(malformed(START, "queryId", f"is {describe(query_id)}, not an id"), False)
    return query_id


def _status(response: Mapping[str, Any]) -> str:
    if not isinstance(response, Mapping):
        raise QueryError(malformed(RESULTS, "the response", f"is {describe(response)}"))
    status = response.get("status")
    if status is None:
        raise QueryError(missing_field(RESULTS, "status"))
    if not isinstance(status, str) or status not in RUNNING | ENDED:
        raise QueryError(malformed(RESULTS, "status", f"is {describe(status)}, not a query status"))
    return status


def _rows(response: Mapping[str, Any]) -> list[Any]:
    results = response.get("results")
    if results is None:
        raise QueryError(missing_field(RESULTS, "results"))
    if not isinstance(results, list):
        raise QueryError(malformed(RESULTS, "results", f"is {describe(results)}, not a list"))
    return results


@dataclass
class _Ran:
    rows: list[Any]
    pages: int


def run_query(
    api: InsightsApi,
    groups: Sequence[str],
    window: tuple[int, int],
    query: str,
    registry: QueryRegistry,
    cancel: threading.Event | None,
) -> _Ran:
    """Start ``query``, poll until it ends, read every page of its rows.

    Raises :class:`QueryError` (the query gave no usable result) or :class:`Cancelled`
    (after StopQuery). A query that this function leaves while it still runs is stopped.
    """
    check_cancel(cancel)
    start_s, end_s = query_seconds(*window)
    try:
        query_id = _query_id(api.start_query(groups, start_s, end_s, query))
    except AWS_ERRORS as exc:
        raise QueryError(aws_error(START, exc), started=False) from None
    except MalformedResponse as exc:
        raise QueryError(exc.error, started=False) from None
    registry.add(query_id)
    try:
        polls = 0
        while True:
            if _pause(cancel, api.backoff.delay(polls)):
                registry.stop(query_id)
                raise Cancelled("the Logs Insights query was cancelled")
            polls += 1
            response = _results(api, query_id)
            status = _status(response)
            if status in RUNNING:
                if polls >= MAX_POLLS:
                    raise QueryError(
                        EvidenceError(
                            operation=RESULTS,
                            code="QueryStillRunning",
                            message=f"the query was still {status} after {polls} polls; stopped it",
                        )
                    )
                continue
            registry.ended(query_id)
            if status != "Complete":
                raise QueryError(
                    EvidenceError(
                        operation=RESULTS,
                        code=f"Query{status}",
                        message=f"the Logs Insights query ended {status}",
                    )
                )
            return _all_rows(api, query_id, response, cancel)
    finally:
        registry.stop(query_id)  # only a query still running: after an error or a cancel


def _results(api: InsightsApi, query_id: str, token: str | None = None) -> Mapping[str, Any]:
    try:
        return api.get_query_results(query_id, token)
    except AWS_ERRORS as exc:
        raise QueryError(aws_error(RESULTS, exc)) from None
    except MalformedResponse as exc:
        raise QueryError(exc.error) from None


def _all_rows(
    api: InsightsApi, query_id: str, first: Mapping[str, Any], cancel: threading.Event | None
) -> _Ran:
    rows = list(_rows(first))
    guard = PageGuard(RESULTS, MAX_RESULT_PAGES)
    page = first
    while True:
        stop = guard.after(page, empty=not _rows(page))
        if stop is not None:
            raise QueryError(stop)
        token = page.get("nextToken")
        if token is None:
            return _Ran(rows, guard.pages)
        check_cancel(cancel)
        page = _results(api, query_id, str(token))
        if _status(page) != "Complete":
            raise QueryError(
                malformed(RESULTS, "status", "changed from Complete while reading result pages")
            )
        rows.extend(_rows(page))


# --------------------------------------------------------------------------- decoding rows


def _cells(row: object, where: str) -> dict[str, str]:
    """A result row as ``{field: value}``; a field without a value is left out."""
    if not isinstance(row, list):
        raise QueryError(malformed(RESULTS, where, f"is {describe(row)}, not a list"))
    cells: dict[str, str] = {}
    for index, cell in enumerate(row):
        if not isinstance(cell, Mapping):
            raise QueryError(
                malformed(RESULTS, f"{where}[{index}]", f"is {describe(cell)}, not an object")
            )
        name, value = cell.get("field"), cell.get("value")
        if not isinstance(name, str):
            raise QueryError(
                malformed(RESULTS, f"{where}[{index}].field", f"is {describe(name)}, not a string")
            )
        if value is None:
            continue
        if not isinstance(value, str):
            raise QueryError(
                malformed(RESULTS, f"{where}[{index}].value", f"is {describe(value)}, not a string")
            )
        cells[name] = value
    return cells


def _value(cells: Mapping[str, str], name: str, where: str) -> str:
    value = cells.get(name)
    if value is None:
        raise QueryError(missing_field(RESULTS, f"{where}.{name}"))
    return value


def _number(text: str, where: str) -> int:
    """An integral decimal (``12``, ``12.0``, ``1.2E1``) as an int, else MalformedResponse."""
    if text.isascii() and text.isdigit() and len(text) <= len(str(MAX_EPOCH_MS)):
        return int(text)  # the usual answer, without Decimal
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise QueryError(malformed(RESULTS, where, f"is {describe(text)}, not a number")) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise QueryError(malformed(RESULTS, where, f"is {describe(text)}, not a whole number"))
    if abs(number) > MAX_EPOCH_MS:
        raise QueryError(malformed(RESULTS, where, f"is {describe(text)}, out of range"))
    return int(number)


def _flag(text: str, where: str) -> bool:
    value = _number(text, where)
    if value not in (0, 1):
        raise QueryError(malformed(RESULTS, where, f"is {describe(text)}, not 0 or 1"))
    return value == 1


def _count(text: str, where: str) -> int:
    """A stats row's event count: at least 1 (a combination without events has no row)."""
    value = _number(text, where)
    if value < 1:
        raise QueryError(malformed(RESULTS, where, f"is {describe(text)}, not a count of events"))
    return value


def timestamp_ms(text: str, where: str) -> int:
    """A Logs Insights time (``2025-11-26 09:00:00.000``, UTC, or epoch milliseconds) in ms."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        value = _number(text, where)
    else:
        year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
        fraction = (match.group(7) or "").ljust(3, "0")[:3]
        try:
            when = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError:
            raise QueryError(
                malformed(RESULTS, where, f"is {describe(text)}, not a date")
            ) from None
        value = (when - _EPOCH) // timedelta(milliseconds=1) + int(fraction)
    if not 0 <= value <= MAX_EPOCH_MS:
        raise QueryError(malformed(RESULTS, where, f"is {describe(text)}, out of range"))
    return value


@dataclass
class _Tally:
    count: int = 0
    first_ms: int | None = None
    last_ms: int | None = None
    outside: int = 0
    excerpts: tuple[LogExcerpt, ...] = ()


@dataclass
class _Counted:
    """One stats query's result."""

    texts: list[str]
    tallies: dict[str, _Tally] = field(default_factory=dict)
    events: int = 0
    outside: int = 0
    pages: int = 0
    error: EvidenceError | None = None


def decode_stats(rows: Sequence[object], texts: Sequence[str], window: tuple[int, int]) -> _Counted:
    """Per-text counts and first/last seen from a stats query's rows (see the module doc).

    A row whose first and last seen are both outside the window is not counted (its events
    go to ``outside``); a row reaching across an edge cannot be split, so it is not counted
    and sets an error. Raises :class:`QueryError` for a malformed row.
    """
    start_ms, end_ms = window
    counted = _Counted(list(texts), {t: _Tally() for t in texts})
    if len(rows) >= ROW_LIMIT:
        counted.error = EvidenceError(
            operation=RESULTS,
            code="Truncated",
            message=f"the query returned {len(rows)} rows, its limit: counts may be cut",
        )
    for index, row in enumerate(rows):
        where = f"results[{index}]"
        cells = _cells(row, where)
        flags = [_flag(_value(cells, f"m{i}", where), f"{where}.m{i}") for i in range(len(texts))]
        matched = _count(_value(cells, "matched", where), f"{where}.matched")
        first = timestamp_ms(_value(cells, "first_seen", where), f"{where}.first_seen")
        last = timestamp_ms(_value(cells, "last_seen", where), f"{where}.last_seen")
        if first > last:
            raise QueryError(malformed(RESULTS, where, "has first_seen after last_seen"))
        hits = [text for text, flag in zip(texts, flags, strict=True) if flag]
        if not hits:
            continue
        if last < start_ms or first > end_ms:
            counted.outside += matched
            for text in hits:
                counted.tallies[text].outside += matched
            continue
        if first < start_ms or last > end_ms:
            counted.error = counted.error or EvidenceError(
                operation=RESULTS,
                code="OutsideWindow",
                message=(
                    f"Logs Insights counted {matched} events from {event_time(first).isoformat()}"
                    f" to {event_time(last).isoformat()}, reaching outside the window; not counted"
                ),
            )
            continue
        counted.events += matched
        for text in hits:
            tally = counted.tallies[text]
            tally.count += matched
            tally.first_ms = first if tally.first_ms is None else min(tally.first_ms, first)
            tally.last_ms = last if tally.last_ms is None else max(tally.last_ms, last)
    return counted


def _group_of(log: str | None) -> str:
    """``123456789012:/ecs/app`` (the ``@log`` field) -> ``/ecs/app``."""
    if not log:
        return ""
    return log.split(":", 1)[1] if ":" in log else log


@dataclass
class _Excerpts:
    text: str
    excerpts: tuple[LogExcerpt, ...] = ()
    outside: int = 0
    pages: int = 0
    error: EvidenceError | None = None


def decode_excerpts(
    rows: Sequence[object],
    text: str,
    window: tuple[int, int],
    several: bool,
    redactor: Redactor,
) -> _Excerpts:
    """The latest events holding ``text`` (oldest first) from an excerpt query's rows.

    Events outside the window are left out and counted in ``outside``; a row whose message
    does not hold ``text`` means the answer is not what was asked: MalformedResponse.
    """
    start_ms, end_ms = window
    found = _Excerpts(text)
    kept: list[tuple[int, str, str]] = []
    for index, row in enumerate(rows):
        where = f"results[{index}]"
        cells = _cells(row, where)
        when = timestamp_ms(_value(cells, "@timestamp", where), f"{where}.@timestamp")
        message = _value(cells, "@message", where)
        if text not in message:
            raise QueryError(malformed(RESULTS, f"{where}.@message", "does not hold the text"))
        if not start_ms <= when <= end_ms:
            found.outside += 1
            continue
        stream = cells.get("@logStream", "")
        if several:
            stream = f"{_group_of(cells.get('@log'))}:{stream}"
        kept.append((when, stream, message))
    kept.sort()
    found.excerpts = tuple(
        make_excerpt(event_time(ms), stream, message, redactor)
        for ms, stream, message in kept[-EXCERPTS:]
    )
    return found


# --------------------------------------------------------------------------- collect


@dataclass
class InsightsOutcome:
    """What the Logs Insights engine found, for ``collect_cloudwatch``."""

    matches: tuple[LogMatch, ...]
    queries: tuple[str, ...]
    events: int = 0
    """Events counted (each stats query's events in the window holding at least one text)."""
    pages: int = 0
    """GetQueryResults result pages read (one per finished query, usually)."""
    outside: int = 0
    error: EvidenceError | None = None
    start_error: EvidenceError | None = None
    """A StartQuery of a stats query failed: nothing was counted by Insights."""


def collect_insights(
    api: InsightsApi,
    groups: Sequence[str],
    start_ms: int,
    end_ms: int,
    markers: Sequence[Marker],
    redactor: Redactor,
    *,
    cancel: threading.Event | None,
    progress: Callable[[int], None],
    registry: QueryRegistry,
) -> InsightsOutcome:
    """Count every marker text over ``groups`` in ``[start_ms, end_ms]`` with Logs Insights.

    Stats queries run concurrently, then one excerpt query per text seen. The first error
    (stats before excerpts, in text order) is kept; counts from queries that worked are
    kept too. Raises :class:`Cancelled` once ``cancel`` is set, after StopQuery for the
    queries still running.
    """
    window = (start_ms, end_ms)
    texts = list(dict.fromkeys(m.text for m in markers))
    plans = plan_queries(texts, start_ms, end_ms)
    stats = [stats_query(chunk, start_ms, end_ms) for chunk in plans]

    def count(chunk: list[str], query: str) -> _Counted | QueryError:
        try:
            ran = run_query(api, groups, window, query, registry, cancel)
            counted = decode_stats(ran.rows, chunk, window)
        except QueryError as exc:
            return exc
        counted.pages = ran.pages
        progress(counted.events)
        return counted

    counted = run_tasks(
        [partial(count, c, q) for c, q in zip(plans, stats, strict=True)],
        cancel,
        on_cancel=registry.stop_all,
    )
    tallies: dict[str, _Tally] = {}
    outcome = InsightsOutcome(matches=(), queries=tuple(stats))
    for result in counted:
        if isinstance(result, QueryError):
            if result.started:
                outcome.error = outcome.error or result.error
            else:
                outcome.start_error = outcome.start_error or result.error
            continue
        tallies.update(result.tallies)
        outcome.events += result.events
        outcome.pages += result.pages
        outcome.outside += result.outside
        outcome.error = outcome.error or result.error
    if outcome.start_error is not None:
        outcome.matches = tuple(_match(marker, tallies.get(marker.text)) for marker in markers)
        return outcome

    seen = [text for text in texts if text in tallies and tallies[text].count > 0]
    several = len(groups) > 1

    def fetch(text: str, query: str) -> _Excerpts:
        try:
            ran = run_query(api, groups, window, query, registry, cancel)
            found = decode_excerpts(ran.rows, text, window, several, redactor)
        except QueryError as exc:
            return _Excerpts(text, error=exc.error)
        found.pages = ran.pages
        return found

    excerpts = [excerpt_query(text, start_ms, end_ms) for text in seen]
    fetched = run_tasks(
        [partial(fetch, t, q) for t, q in zip(seen, excerpts, strict=True)],
        cancel,
        on_cancel=registry.stop_all,
    )
    for found in fetched:
        tally = tallies[found.text]
        tally.excerpts = found.excerpts
        tally.outside += found.outside
        outcome.outside += found.outside
        outcome.pages += found.pages
        outcome.error = outcome.error or found.error
    outcome.queries = (*stats, *excerpts)
    outcome.matches = tuple(_match(marker, tallies.get(marker.text)) for marker in markers)
    return outcome


def _match(marker: Marker, tally: _Tally | None) -> LogMatch:
    if tally is None:
        return LogMatch(text=marker.text, kinds=marker.kinds)
    return LogMatch(
        text=marker.text,
        kinds=marker.kinds,
        count=tally.count,
        first_seen=event_time(tally.first_ms) if tally.first_ms is not None else None,
        last_seen=event_time(tally.last_ms) if tally.last_ms is not None else None,
        excerpts=tally.excerpts,
        outside_window=tally.outside,
    )
