"""CloudWatch Logs: every marker text counted in ``[since, until]`` over one or several groups.

Two engines count the same thing (see ``docs/cloudwatch.md``):

- ``filter``: FilterLogEvents. The texts are ORed into one filter pattern (``?"a" ?"b"``) so
  CloudWatch returns only events that may matter; the
  :class:`~reporter.collect.matching.Classifier` then decides by literal, case-sensitive
  containment, so the pattern is a pre-filter and never the judge. Only when the OR
  pattern would exceed CloudWatch's 1024-character limit is it split into several
  patterns; each group of texts is classified only against its own events, so the counts
  stay exact. Every (group, pattern) scan runs concurrently.
- ``insights``: CloudWatch Logs Insights counts server-side
  (:mod:`reporter.collect.insights`).

Whatever the engine, the collector:

- holds the window for every event: an event dated outside ``[since, until]`` is not
  counted, only recorded in ``outside_window``;
- asks each group for one event of any kind in the window (FilterLogEvents without a
  pattern, ``limit=1``, concurrently with the scan): ``live_event`` says the source was
  live;
- stops paging on a page token seen before or past :data:`MAX_PAGES` pages;
- turns an answer of the wrong shape into ``MalformedResponse`` (never a traceback);
- stops within about a second once ``cancel`` is set, raising
  :class:`~reporter.errors.Cancelled` (Logs Insights queries still running are stopped).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, cast

from botocore.parsers import ResponseParserError

from reporter.collect.aws import AWS_ERRORS, aws_error, missing_field
from reporter.collect.matching import EXCERPTS, KEPT_CHARS, Classifier, Marker, fitting_groups
from reporter.errors import Cancelled
from reporter.model import EvidenceError, LogExcerpt, LogMatch, LogsEvidence
from reporter.redact import Redactor
from reporter.text import clean

if TYPE_CHECKING:
    from botocore.model import Shape
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_logs.type_defs import FilterLogEventsRequestTypeDef

    from reporter.collect.insights import InsightsApi

T = TypeVar("T")

OPERATION = "logs:FilterLogEvents"

MAX_PATTERN_CHARS = 1024
"""CloudWatch's limit on ``filterPattern``."""

MAX_PAGES = 10_000
"""Most pages one scan reads before it stops with ``PageBudgetExceeded``.

A FilterLogEvents page holds up to 10,000 events (or 1 MB), so 10,000 pages are room for
up to 100 million matching events, far more than the few marker texts of a hotfix produce
in a window, while a scan that keeps getting fresh tokens without ever ending (a service
fault no token check can see) ends after a bounded number of calls (about an hour at
CloudWatch's usual latency) instead of never. Empty pages count too.
"""

REPEATED_TOKEN_LIMIT = 50
"""Empty pages in a row that hand back the token just sent before the scan is called a loop.

CloudWatch legitimately returns the very token it was sent with an empty page while it is
still searching streams without matches (boto/boto3#1584): re-sending it continues the
search. So that one case is tolerated, fifty times in a row. Everything else that brings
back a token already seen is a loop and ends the scan at once: a token seen on any
earlier page other than the one just sent (a cycle), and the token just sent coming back
*with* events (following it could read those events again).
"""

LIVENESS_MAX_PAGES = 100
"""Most pages the liveness call reads looking for one event before it gives up (unknown)."""

MAX_WORKERS = 4
"""Most calls (scans, liveness calls, Insights queries) in flight at the same time."""

AUTO_INSIGHTS_GROUPS = 5
"""``engine = "auto"`` uses Logs Insights from this many groups on."""

AUTO_INSIGHTS_WINDOW = timedelta(hours=24)
"""``engine = "auto"`` uses Logs Insights for a window longer than this."""

CANCEL_POLL_SECONDS = 0.1
"""How often a waiting collector looks at ``cancel``."""

CANCEL_GRACE_SECONDS = 0.5
"""After ``cancel``: how long the collector waits for its workers to stop before it raises."""

MAX_EPOCH_MS = 253_402_300_799_999
"""9999-12-31T23:59:59.999Z: the latest timestamp a datetime holds."""

ENGINE_FILTER: Literal["filter"] = "filter"
ENGINE_INSIGHTS: Literal["insights"] = "insights"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


# --------------------------------------------------------------------------- patterns


def quote_term(text: str) -> str:
    """``text`` as a quoted filter-pattern term: ``"..."`` with ``\\`` and ``"`` escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def pattern_for(texts: Sequence[str]) -> str:
    """The filter pattern matching any of ``texts``: ``?"a" ?"b"``; one text is just ``"a"``."""
    if len(texts) == 1:
        return quote_term(texts[0])
    return " ".join("?" + quote_term(text) for text in texts)


def filter_patterns(texts: Sequence[str]) -> list[list[str]]:
    """Group ``texts`` (in order, duplicates dropped) so each group's pattern fits 1024 characters.

    Usually one group holds every text. A text too long to fit even alone gets a group of
    its own; :func:`collect_cloudwatch` scans that group with the empty pattern (every
    event) and relies on the classifier alone.
    """
    return fitting_groups(texts, lambda group: len(pattern_for(group)) <= MAX_PATTERN_CHARS)


def _sent_pattern(texts: Sequence[str]) -> str:
    pattern = pattern_for(texts)
    return pattern if len(pattern) <= MAX_PATTERN_CHARS else ""


# --------------------------------------------------------------------------- malformed answers


class MalformedResponse(Exception):
    """An AWS answer without the documented shape; ``error`` is its ``MalformedResponse``."""

    def __init__(self, error: EvidenceError) -> None:
        super().__init__(error.line())
        self.error = error


def malformed(operation: str, where: str, problem: str) -> EvidenceError:
    """The error for a field of the wrong type or out of range: ``events[2].timestamp is ...``."""
    return EvidenceError(
        operation=operation, code="MalformedResponse", message=f"{where} {problem}"
    )


def describe(value: object) -> str:
    """A value as an error message shows it: its JSON type and a short rendering."""
    kind = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }.get(type(value), type(value).__name__)
    shown = repr(value)
    return f"{kind} {shown[:40]}{'...' if len(shown) > 40 else ''}"


_PARSE_ERRORS: tuple[type[BaseException], ...] = (
    ResponseParserError,
    TypeError,
    AttributeError,
    ValueError,
    KeyError,
    IndexError,
    OverflowError,
)
"""What botocore's parser raises on a body that does not fit the operation's shape."""

_bodies = threading.local()
"""The last raw response body botocore was about to parse, per thread."""


def _check_answer(
    response_dict: Mapping[str, Any] | None = None, operation_model: Any = None, **_: Any
) -> None:
    """botocore's ``before-parse`` hook: refuse a successful answer not shaped as documented.

    botocore's parser does not check types: it turns ``{}`` where a list belongs into an
    empty list (a page with no events, a query with no rows: a false "not seen") and
    raises ``TypeError`` or ``AttributeError`` on other mismatches. So every 2xx JSON body
    is checked against the operation's output shape first (:func:`shape_problem`).
    """
    body = response_dict.get("body") if isinstance(response_dict, Mapping) else None
    _bodies.last = body
    status = response_dict.get("status_code") if isinstance(response_dict, Mapping) else None
    if not isinstance(body, bytes) or not body or not isinstance(status, int) or status >= 300:
        return
    name = f"logs:{getattr(operation_model, 'name', 'unknown')}"
    try:
        document = json.loads(body)
    except ValueError:
        raise MalformedResponse(malformed(name, "the response", "is not JSON")) from None
    problem = shape_problem(getattr(operation_model, "output_shape", None), document, "")
    if problem is not None:
        where, what = problem
        raise MalformedResponse(malformed(name, where or "the response", what))


def watch_parsing(client: object, operations: Sequence[str]) -> None:
    """Check every successful answer of ``operations`` against its documented shape.

    Registers :func:`_check_answer` as a ``before-parse`` hook of ``client`` (idempotent),
    so a field of the wrong type raises :class:`MalformedResponse` naming it, whether or
    not botocore's parser would have noticed. Clients without botocore's event system
    (recorded responses in tests) are left alone.
    """
    meta = getattr(client, "meta", None)
    events = getattr(meta, "events", None)
    service_model = getattr(meta, "service_model", None)
    if events is None or service_model is None:
        return
    service_id = service_model.service_id.hyphenize()
    for operation in operations:
        events.register(
            f"before-parse.{service_id}.{operation}",
            _check_answer,
            unique_id=f"reporter-check-answer-{service_id}-{operation}",
        )


def call_aws(
    client: object, operation: str, call: Callable[..., Mapping[str, Any]], **params: Any
) -> Mapping[str, Any]:
    """``call(**params)``; an answer not shaped as documented raises :class:`MalformedResponse`.

    That is found by the :func:`watch_parsing` hook, or, failing that, by botocore's parser
    raising. AWS errors (``ClientError``, ``BotoCoreError``) propagate unchanged.
    """
    _bodies.last = None
    try:
        return call(**params)
    except AWS_ERRORS:
        raise
    except _PARSE_ERRORS as exc:
        raise MalformedResponse(_parse_failure(client, operation, exc)) from None


def _parse_failure(client: object, operation: str, exc: BaseException) -> EvidenceError:
    name = f"logs:{operation}"
    body = getattr(_bodies, "last", None)
    meta = getattr(client, "meta", None)
    model = getattr(meta, "service_model", None)
    if isinstance(body, bytes) and model is not None:
        try:
            document = json.loads(body)
        except ValueError:
            return malformed(name, "the response", "is not JSON")
        problem = shape_problem(model.operation_model(operation).output_shape, document, "")
        if problem is not None:
            where, what = problem
            return malformed(name, where or "the response", what)
    return malformed(name, "the response", f"could not be parsed ({type(exc).__name__}: {exc})")


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "blob": (str,),
    "integer": (int,),
    "long": (int,),
    "double": (int, float),
    "float": (int, float),
    "boolean": (bool,),
    "timestamp": (int, float, str),
}


def shape_problem(shape: Shape | None, value: object, where: str) -> tuple[str, str] | None:
    """The first place where ``value`` (a JSON document) does not fit botocore's ``shape``.

    Returns ``(field path, problem)`` such as ``("events[0]", "is an integer 5, not an
    object")``, or None when it fits. Unknown keys and null values are not problems.
    """
    if shape is None or value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return where, f"is {describe(value)}, not an object"
        members: Mapping[str, Shape] = getattr(shape, "members", {})
        for name, member in members.items():
            problem = shape_problem(member, value.get(name), f"{where}.{name}".lstrip("."))
            if problem is not None:
                return problem
        return None
    if kind == "list":
        if not isinstance(value, list):
            return where, f"is {describe(value)}, not a list"
        item: Shape = getattr(shape, "member")  # noqa: B009 - list shapes have one
        for index, element in enumerate(value):
            problem = shape_problem(item, element, f"{where}[{index}]")
            if problem is not None:
                return problem
        return None
    if kind == "map":
        return None if isinstance(value, dict) else (where, f"is {describe(value)}, not an object")
    wanted = _JSON_TYPES.get(kind)
    if wanted is None:
        return None
    if isinstance(value, bool) and bool not in wanted:
        return where, f"is {describe(value)}, not a {kind}"
    if not isinstance(value, wanted):
        return where, f"is {describe(value)}, not a {kind}"
    return None


# --------------------------------------------------------------------------- the API seam


class LogsApi(Protocol):
    """Pages of FilterLogEvents responses, exactly as CloudWatch returns them."""

    def filter_pages(
        self,
        group: str,
        start_ms: int,
        end_ms: int,
        pattern: str | None,
        limit: int | None = None,
    ) -> Iterator[Mapping[str, Any]]:
        """Every response page for the window and pattern, in order.

        ``pattern`` None sends no ``filterPattern`` (every event); ``limit`` (events per
        page) overrides the API object's own page size.
        """
        ...


class Boto3Logs:
    """:class:`LogsApi` over a boto3 CloudWatch Logs client.

    Pages are requested until a response carries no ``nextToken``: an empty page that
    still has one is not the end (CloudWatch returns those while it searches). The next
    page is only requested when the caller asks for it, so a caller that stops iterating
    (a loop, a cancelled run) sends nothing more. ``page_limit`` sets ``limit`` (events
    per page, 1 to 10000); ``None`` keeps the service default. A group given as an ARN is
    sent as ``logGroupIdentifier``. An answer botocore cannot parse raises
    :class:`MalformedResponse`.
    """

    def __init__(self, client: CloudWatchLogsClient, page_limit: int | None = None) -> None:
        self.client = client
        self.page_limit = page_limit
        watch_parsing(client, ("FilterLogEvents",))

    def filter_pages(
        self,
        group: str,
        start_ms: int,
        end_ms: int,
        pattern: str | None,
        limit: int | None = None,
    ) -> Iterator[Mapping[str, Any]]:
        """Call FilterLogEvents until no ``nextToken``; botocore errors propagate."""
        request: FilterLogEventsRequestTypeDef = {"startTime": start_ms, "endTime": end_ms}
        if pattern is not None:
            request["filterPattern"] = pattern
        if group.startswith("arn:"):
            request["logGroupIdentifier"] = group
        else:
            request["logGroupName"] = group
        page_size = limit if limit is not None else self.page_limit
        if page_size is not None:
            request["limit"] = page_size
        while True:
            page = call_aws(
                self.client, "FilterLogEvents", self.client.filter_log_events, **request
            )
            yield page
            token = page.get("nextToken") if isinstance(page, Mapping) else None
            if not isinstance(token, str) or not token:
                return
            request["nextToken"] = token


# --------------------------------------------------------------------------- window and events


def epoch_ms_window(since: datetime, until: datetime) -> tuple[int, int]:
    """``[since, until]`` as inclusive epoch milliseconds (start rounded up, end down)."""
    start = -((_EPOCH - since) // _MS)
    end = (until - _EPOCH) // _MS
    return start, end


def event_time(ms: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime."""
    return _EPOCH + timedelta(milliseconds=ms)


def group_label(group: str) -> str:
    """A group as excerpts name it: its name (an ARN's ``log-group:`` part, without ``:*``)."""
    if group.startswith("arn:") and ":log-group:" in group:
        group = group.split(":log-group:", 1)[1]
        if group.endswith(":*"):
            group = group[:-2]
    return group


def make_excerpt(when: datetime, stream: str, message: str, redactor: Redactor) -> LogExcerpt:
    """A log event as stored: redacted, cut and escaped exactly as the Classifier's excerpts."""
    return LogExcerpt(
        timestamp=when,
        stream=clean(stream, redactor, 300),
        message=clean(message[:KEPT_CHARS], redactor, total=len(message)),
    )


@dataclass(frozen=True)
class _Event:
    ms: int
    message: str
    stream: str
    problem: EvidenceError | None = None
    """A field the event can be counted without (the stream) had the wrong type."""


def _read_event(event: object, where: str) -> _Event | EvidenceError:
    """One FilteredLogEvent, checked: its time, message and stream, or why it is unusable."""
    if not isinstance(event, Mapping):
        return malformed(OPERATION, where, f"is {describe(event)}, not an object")
    timestamp = event.get("timestamp")
    if timestamp is None:
        return missing_field(OPERATION, "events[].timestamp")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        return malformed(
            OPERATION, f"{where}.timestamp", f"is {describe(timestamp)}, not an integer"
        )
    if not 0 <= timestamp <= MAX_EPOCH_MS:
        return malformed(
            OPERATION, f"{where}.timestamp", f"is {timestamp}, out of range for epoch milliseconds"
        )
    message = event.get("message")
    if message is None:
        return missing_field(OPERATION, "events[].message")
    if not isinstance(message, str):
        return malformed(OPERATION, f"{where}.message", f"is {describe(message)}, not a string")
    stream = event.get("logStreamName")
    if stream is None or isinstance(stream, str):
        return _Event(timestamp, message, stream or "")
    problem = malformed(OPERATION, f"{where}.logStreamName", f"is {describe(stream)}, not a string")
    return _Event(timestamp, message, "", problem)


def _page_events(page: object) -> list[Any] | EvidenceError:
    if not isinstance(page, Mapping):
        return malformed(OPERATION, "the response", f"is {describe(page)}, not an object")
    events = page.get("events")
    if events is None:
        return missing_field(OPERATION, "events")
    if not isinstance(events, list):
        return malformed(OPERATION, "events", f"is {describe(events)}, not a list")
    return events


# --------------------------------------------------------------------------- paging


@dataclass
class PageGuard:
    """Decides, page after page, whether following ``nextToken`` may go on.

    See :data:`REPEATED_TOKEN_LIMIT` for what counts as a loop and :data:`MAX_PAGES` for
    the budget. ``operation`` names the call in the errors.
    """

    operation: str
    budget: int = MAX_PAGES
    pages: int = 0
    seen: set[str] = field(default_factory=set)
    sent: str | None = None
    echoes: int = 0

    def after(self, page: Mapping[str, Any], empty: bool) -> EvidenceError | None:
        """Count ``page``; the error that stops paging, or None (its token, if any, is next)."""
        self.pages += 1
        token = page.get("nextToken")
        if token is None:
            return None
        if not isinstance(token, str) or not token:
            return malformed(self.operation, "nextToken", f"is {describe(token)}, not a token")
        if token == self.sent:
            if not empty:
                return self._loop("the token just sent came back with events")
            self.echoes += 1
            if self.echoes >= REPEATED_TOKEN_LIMIT:
                return self._loop(
                    f"the token just sent came back with no events {self.echoes} times in a row"
                )
        elif token in self.seen:
            return self._loop("a token of an earlier page came back")
        else:
            self.echoes = 0
            self.seen.add(token)
        if self.pages >= self.budget:
            return EvidenceError(
                operation=self.operation,
                code="PageBudgetExceeded",
                message=f"more than {self.budget} pages; stopped paging, what was read is kept",
            )
        self.sent = token
        return None

    def _loop(self, what: str) -> EvidenceError:
        return EvidenceError(
            operation=self.operation,
            code="PaginationLoop",
            message=f"CloudWatch repeated a page token ({what}, page {self.pages}); stopped paging",
        )


def check_cancel(cancel: threading.Event | None) -> None:
    """Raise :class:`Cancelled` once ``cancel`` is set."""
    if cancel is not None and cancel.is_set():
        raise Cancelled("the CloudWatch Logs search was cancelled")


# --------------------------------------------------------------------------- running tasks


class Progress:
    """``on_events`` made safe to call from several threads (calls are serialised)."""

    def __init__(self, on_events: Callable[[int], None] | None) -> None:
        self._on_events = on_events
        self._lock = threading.Lock()

    def __call__(self, events: int) -> None:
        """Report ``events`` more events read."""
        if self._on_events is not None and events:
            with self._lock:
                self._on_events(events)


def run_tasks(
    tasks: Sequence[Callable[[], T]],
    cancel: threading.Event | None,
    workers: int = MAX_WORKERS,
    on_cancel: Callable[[], None] | None = None,
) -> list[T]:
    """Run ``tasks`` on up to ``workers`` daemon threads; their results, in task order.

    A task's exception is raised here (the first in task order) once every task ended.
    Once ``cancel`` is set: tasks not started are skipped, the running ones get
    :data:`CANCEL_GRACE_SECONDS` to notice it (each checks between its calls), then
    ``on_cancel`` runs and :class:`Cancelled` is raised. A task still inside an HTTP call
    finishes that call in the background, sees ``cancel`` and ends; being a daemon thread
    it never holds the process up.
    """
    count = len(tasks)
    results: list[T | None] = [None] * count
    errors: list[BaseException | None] = [None] * count
    state = {"next": 0, "done": 0}
    ready = threading.Condition()

    def work() -> None:
        while True:
            with ready:
                index = state["next"]
                if index >= count:
                    return
                state["next"] += 1
            try:
                check_cancel(cancel)
                results[index] = tasks[index]()
            except Exception as exc:  # noqa: BLE001 - handed to the caller, re-raised below
                errors[index] = exc
            with ready:
                state["done"] += 1
                ready.notify_all()

    threads = [
        threading.Thread(target=work, name=f"reporter-logs-{n}", daemon=True)
        for n in range(min(workers, count))
    ]
    for thread in threads:
        thread.start()
    with ready:
        while state["done"] < count and not (cancel is not None and cancel.is_set()):
            ready.wait(CANCEL_POLL_SECONDS)
        if state["done"] < count:
            ready.wait_for(lambda: state["done"] >= count, CANCEL_GRACE_SECONDS)
    if cancel is not None and cancel.is_set():
        if on_cancel is not None:
            on_cancel()
        raise Cancelled("the CloudWatch Logs search was cancelled")
    for error in errors:
        if error is not None:
            raise error
    return cast("list[T]", results)


# --------------------------------------------------------------------------- the filter engine


@dataclass
class _Scan:
    """One filter pattern's pass over one group: its own classifier and what the pages said."""

    group: str
    pattern: str
    label: str
    """Prefix of excerpt streams (``group:``) when several groups are read, else empty."""
    classifier: Classifier
    pages: int = 0
    error: EvidenceError | None = None
    outside: int = 0
    outside_by_text: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Window:
    start_ms: int
    end_ms: int

    def holds(self, ms: int) -> bool:
        return self.start_ms <= ms <= self.end_ms


def _feed_page(scan: _Scan, page: Mapping[str, Any], window: _Window) -> tuple[bool, int]:
    """Classify one page's events; (False, n) when the page is unusable (error set)."""
    events = _page_events(page)
    if isinstance(events, EvidenceError):
        scan.error = scan.error or events
        return False, 0
    for index, raw in enumerate(events):
        event = _read_event(raw, f"events[{index}]")
        if isinstance(event, EvidenceError):
            scan.error = scan.error or event
            continue
        if event.problem is not None:
            scan.error = scan.error or event.problem
        if not window.holds(event.ms):
            scan.outside += 1
            for marker in scan.classifier.markers:
                if marker.text in event.message:
                    scan.outside_by_text[marker.text] = scan.outside_by_text.get(marker.text, 0) + 1
            continue
        scan.classifier.feed(event_time(event.ms), scan.label + event.stream, event.message)
    return True, len(events)


def _run_scan(
    api: LogsApi,
    scan: _Scan,
    window: _Window,
    cancel: threading.Event | None,
    progress: Progress,
) -> _Scan:
    """Page through one pattern of one group; errors end the scan, what was read is kept."""
    guard = PageGuard(OPERATION)
    check_cancel(cancel)
    try:
        for page in api.filter_pages(scan.group, window.start_ms, window.end_ms, scan.pattern):
            scan.pages += 1
            usable, events = _feed_page(scan, page, window)
            progress(events)
            if not usable:
                return scan
            stop = guard.after(page, empty=events == 0)
            if stop is not None:
                scan.error = scan.error or stop
                return scan
            check_cancel(cancel)
    except AWS_ERRORS as exc:
        scan.error = scan.error or aws_error(OPERATION, exc)
    except MalformedResponse as exc:
        scan.error = scan.error or exc.error
    return scan


def _merge_matches(parts: Sequence[LogMatch], text: str) -> LogMatch:
    """One text's matches from several scans (groups) as one: counts add, latest excerpts win."""
    firsts = [m.first_seen for m in parts if m.first_seen is not None]
    lasts = [m.last_seen for m in parts if m.last_seen is not None]
    excerpts = sorted(
        (e for m in parts for e in m.excerpts), key=lambda e: (e.timestamp, e.stream, e.message)
    )
    return LogMatch(
        text=text,
        kinds=parts[0].kinds if parts else (),
        count=sum(m.count for m in parts),
        first_seen=min(firsts) if firsts else None,
        last_seen=max(lasts) if lasts else None,
        excerpts=tuple(excerpts[-EXCERPTS:]),
        outside_window=sum(m.outside_window for m in parts),
    )


def _filter_matches(
    markers: Sequence[Marker], scans: Sequence[_Scan], redactor: Redactor
) -> tuple[LogMatch, ...]:
    """Each marker's match from the scans that searched its text, in marker order."""
    by_text: dict[str, list[LogMatch]] = {}
    for scan in scans:
        for match in scan.classifier.matches(redactor):
            outside = scan.outside_by_text.get(match.text, 0)
            by_text.setdefault(match.text, []).append(
                match.model_copy(update={"outside_window": outside})
            )
    return tuple(
        _merge_matches(by_text.get(m.text, []), m.text).model_copy(update={"kinds": m.kinds})
        for m in markers
    )


def _filter_scans(groups: Sequence[str], markers: Sequence[Marker]) -> list[_Scan]:
    first: dict[str, Marker] = {}
    for marker in markers:
        first.setdefault(marker.text, marker)
    several = len(groups) > 1
    return [
        _Scan(
            group,
            _sent_pattern(texts),
            f"{group_label(group)}:" if several else "",
            Classifier([first[t] for t in texts]),
        )
        for group in groups
        for texts in filter_patterns([m.text for m in markers])
    ]


# --------------------------------------------------------------------------- liveness


@dataclass
class _Live:
    """One group's answer to "is there any event in the window?"."""

    group: str
    label: str
    event: _Event | None = None
    error: EvidenceError | None = None
    outside: int = 0
    pages: int = 0


def _run_liveness(
    api: LogsApi, live: _Live, window: _Window, cancel: threading.Event | None
) -> _Live:
    """FilterLogEvents without a pattern, ``limit=1``, until one event in the window shows up."""
    guard = PageGuard(OPERATION, LIVENESS_MAX_PAGES)
    check_cancel(cancel)
    try:
        for page in api.filter_pages(live.group, window.start_ms, window.end_ms, None, limit=1):
            live.pages += 1
            events = _page_events(page)
            if isinstance(events, EvidenceError):
                live.error = live.error or events
                return live
            for index, raw in enumerate(events):
                event = _read_event(raw, f"events[{index}]")
                if isinstance(event, EvidenceError):
                    live.error = live.error or event
                elif not window.holds(event.ms):
                    live.outside += 1
                else:
                    live.event = event
                    return live
            stop = guard.after(page, empty=not events)
            if stop is not None:
                live.error = live.error or stop
                return live
            check_cancel(cancel)
    except AWS_ERRORS as exc:
        live.error = live.error or aws_error(OPERATION, exc)
    except MalformedResponse as exc:
        live.error = live.error or exc.error
    return live


def _liveness_result(
    lives: Sequence[_Live], redactor: Redactor
) -> tuple[LogExcerpt | None, EvidenceError | None]:
    """The first group's (in spec order) live event; an error only when no group showed one."""
    for live in lives:
        if live.event is not None:
            stream = live.label + live.event.stream
            return make_excerpt(
                event_time(live.event.ms), stream, live.event.message, redactor
            ), None
    return None, next((live.error for live in lives if live.error is not None), None)


# --------------------------------------------------------------------------- collect


def _group_list(groups: Sequence[str] | str) -> tuple[str, ...]:
    if isinstance(groups, str):
        return (groups,)
    return tuple(dict.fromkeys(groups))


def choose_engine(
    engine: Literal["auto", "filter", "insights"],
    groups: Sequence[str],
    since: datetime,
    until: datetime,
) -> Literal["filter", "insights"]:
    """The engine that searches: ``engine`` itself, or what ``auto`` decides.

    ``auto`` picks Logs Insights for :data:`AUTO_INSIGHTS_GROUPS` groups or more, or for a
    window longer than :data:`AUTO_INSIGHTS_WINDOW`, and FilterLogEvents otherwise (free of
    the per-GB charge, no query to wait for, exact on a small estate).
    """
    if engine != "auto":
        return engine
    if len(groups) >= AUTO_INSIGHTS_GROUPS or until - since > AUTO_INSIGHTS_WINDOW:
        return ENGINE_INSIGHTS
    return ENGINE_FILTER


def collect_cloudwatch(
    api: LogsApi,
    groups: Sequence[str],
    since: datetime,
    until: datetime,
    markers: Sequence[Marker],
    redactor: Redactor,
    *,
    engine: Literal["auto", "filter", "insights"] = "auto",
    insights: InsightsApi | None = None,
    cancel: threading.Event | None = None,
    on_events: Callable[[int], None] | None = None,
) -> LogsEvidence:
    """Count every marker text in ``groups`` between ``since`` and ``until`` (both inclusive).

    - ``groups``: one or more group names or ARNs (a single string is one group);
      duplicates are read once. ``group`` of the evidence is the first, ``groups`` all.
    - ``engine``: ``filter`` (FilterLogEvents), ``insights`` (Logs Insights through
      ``insights``, required then) or ``auto`` (:func:`choose_engine`; without an
      ``insights`` API it is ``filter``). When ``auto`` chose Insights and a StartQuery
      fails (denied, throttled past retries, a malformed query...), the filter engine runs
      instead and ``fallback`` records why.
    - Filter engine: one FilterLogEvents scan per (group, filter pattern), all concurrent,
      each paged until no ``nextToken``. ``events_scanned`` is the number of events in the
      window the filter returned (summed over scans: an event matching texts of two
      patterns counts twice); ``pages`` the number of response pages.
    - Every event outside ``[since, until]`` is left out of the counts and counted in
      ``outside_window`` (and per text in ``LogMatch.outside_window``).
    - An event without an integer ``timestamp`` or a string ``message`` (or with one out of
      range) cannot be classified: it is skipped and ``error`` is set (``MissingField`` /
      ``MalformedResponse``), since it might have held a text; the scan goes on. A page
      without ``events``, a failed call (including ResourceNotFoundException for a missing
      group), an answer botocore cannot parse, a repeated page token or more than
      :data:`MAX_PAGES` pages end that scan. Matches collected before are kept either way,
      and the first error (in group, then pattern order) is reported: the evidence is
      incomplete.
    - Liveness: per group one FilterLogEvents without a pattern and ``limit=1`` (paged
      until an event in the window appears), concurrent with the search. ``live_event`` is
      that event of the first group (in order) that has one; ``live_error`` is set only when
      no group showed one and a call failed.
    - ``on_events`` is called (serialised) with the number of events each page or query
      brought. ``cancel`` set: :class:`Cancelled` within about a second, after StopQuery
      for any Logs Insights query still running.
    - No markers: nothing is asked of AWS.
    """
    names = _group_list(groups)
    if not names:
        raise ValueError("collect_cloudwatch needs at least one log group")
    chosen = choose_engine(engine, names, since, until)
    if chosen == ENGINE_INSIGHTS and insights is None:
        if engine == "insights":
            raise ValueError("engine 'insights' needs an InsightsApi")
        chosen = ENGINE_FILTER
    start_ms, end_ms = epoch_ms_window(since, until)
    window = _Window(start_ms, end_ms)
    base = LogsEvidence(
        source="cloudwatch", group=names[0], groups=names, engine=chosen, since=since, until=until
    )
    if not markers:
        return base
    progress = Progress(on_events)
    several = len(names) > 1
    lives = [_Live(group, f"{group_label(group)}:" if several else "") for group in names]
    live_tasks: list[Callable[[], object]] = [
        partial(_run_liveness, api, live, window, cancel) for live in lives
    ]

    fallback: EvidenceError | None = None
    if chosen == ENGINE_INSIGHTS and insights is not None:
        from reporter.collect.insights import QueryRegistry, collect_insights

        registry = QueryRegistry(insights)
        outcome_box: list[Any] = []

        def search() -> None:
            outcome_box.append(
                collect_insights(
                    insights, names, window.start_ms, window.end_ms, markers, redactor,
                    cancel=cancel, progress=progress, registry=registry,
                )
            )  # fmt: skip

        try:
            run_tasks([search, *live_tasks], cancel, on_cancel=registry.stop_all)
        except Cancelled:
            if registry.stop_errors:
                failed = "; ".join(error.line() for error in registry.stop_errors)
                raise Cancelled(f"the CloudWatch Logs search was cancelled ({failed})") from None
            raise
        outcome = outcome_box[0]
        if outcome.start_error is None or engine != "auto":
            live_event, live_error = _liveness_result(lives, redactor)
            return base.model_copy(
                update={
                    "queries": outcome.queries,
                    "events_scanned": outcome.events,
                    "pages": outcome.pages,
                    "matches": outcome.matches,
                    "error": outcome.error or outcome.start_error,
                    "outside_window": outcome.outside + sum(live.outside for live in lives),
                    "live_event": live_event,
                    "live_error": live_error,
                }
            )
        fallback = outcome.start_error
        live_tasks = []  # liveness already asked

    scans = _filter_scans(names, markers)
    scan_tasks: list[Callable[[], object]] = [
        partial(_run_scan, api, scan, window, cancel, progress) for scan in scans
    ]
    run_tasks([*scan_tasks, *live_tasks], cancel)
    live_event, live_error = _liveness_result(lives, redactor)
    return base.model_copy(
        update={
            "engine": ENGINE_FILTER,
            "filter_patterns": tuple(s.pattern for s in scans if s.group == names[0]),
            "events_scanned": sum(s.classifier.events for s in scans),
            "pages": sum(s.pages for s in scans),
            "matches": _filter_matches(markers, scans, redactor),
            "error": next((s.error for s in scans if s.error is not None), None),
            "outside_window": sum(s.outside for s in scans) + sum(live.outside for live in lives),
            "live_event": live_event,
            "live_error": live_error,
            "fallback": fallback,
        }
    )
