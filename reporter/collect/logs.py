"""CloudWatch Logs: every marker text counted in one pass over FilterLogEvents.

The texts are ORed into one filter pattern (``?"a" ?"b"``) so CloudWatch returns only
events that may matter; the :class:`~reporter.collect.matching.Classifier` then decides by
literal, case-sensitive containment, so the pattern is a pre-filter and never the judge.
Only when the OR pattern would exceed CloudWatch's 1024-character limit is it split into
several patterns; each group of texts is classified only against its own events, so the
counts stay exact, and the groups run concurrently.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from reporter.collect.aws import AWS_ERRORS, aws_error, missing_field
from reporter.collect.matching import Classifier, Marker
from reporter.model import EvidenceError, LogMatch, LogsEvidence
from reporter.redact import Redactor

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_logs.type_defs import FilterLogEventsRequestTypeDef

OPERATION = "logs:FilterLogEvents"

MAX_PATTERN_CHARS = 1024
"""CloudWatch's limit on ``filterPattern``."""

REPEATED_TOKEN_LIMIT = 50
"""Empty pages in a row that hand back the token just sent before the scan is called a loop.

CloudWatch legitimately returns the same ``nextToken`` with an empty page a few times
while it searches streams without matches (boto/boto3#1584), so one repeat is not a loop;
fifty in a row is.
"""

MAX_WORKERS = 4
"""Most filter patterns scanned at the same time."""

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
    groups: list[list[str]] = []
    current: list[str] = []
    for text in dict.fromkeys(texts):
        if current and len(pattern_for([*current, text])) > MAX_PATTERN_CHARS:
            groups.append(current)
            current = []
        current.append(text)
    if current:
        groups.append(current)
    return groups


def _sent_pattern(texts: Sequence[str]) -> str:
    pattern = pattern_for(texts)
    return pattern if len(pattern) <= MAX_PATTERN_CHARS else ""


# --------------------------------------------------------------------------- the API seam


class LogsApi(Protocol):
    """Pages of FilterLogEvents responses, exactly as CloudWatch returns them."""

    def filter_pages(
        self, group: str, start_ms: int, end_ms: int, pattern: str
    ) -> Iterator[Mapping[str, Any]]:
        """Every response page for the window and pattern, in order."""
        ...


class Boto3Logs:
    """:class:`LogsApi` over a boto3 CloudWatch Logs client.

    Pages are requested until a response carries no ``nextToken``: an empty page that
    still has one is not the end (CloudWatch returns those while it searches).
    ``page_limit`` sets ``limit`` (events per page, 1 to 10000); ``None`` keeps the
    service default. A group given as an ARN is sent as ``logGroupIdentifier``.
    """

    def __init__(self, client: CloudWatchLogsClient, page_limit: int | None = None) -> None:
        self.client = client
        self.page_limit = page_limit

    def filter_pages(
        self, group: str, start_ms: int, end_ms: int, pattern: str
    ) -> Iterator[Mapping[str, Any]]:
        """Call FilterLogEvents until no ``nextToken``; botocore errors propagate."""
        request: FilterLogEventsRequestTypeDef = {
            "startTime": start_ms,
            "endTime": end_ms,
            "filterPattern": pattern,
        }
        if group.startswith("arn:"):
            request["logGroupIdentifier"] = group
        else:
            request["logGroupName"] = group
        if self.page_limit is not None:
            request["limit"] = self.page_limit
        while True:
            page = self.client.filter_log_events(**request)
            yield page
            token = page.get("nextToken")
            if not token:
                return
            request["nextToken"] = token


# --------------------------------------------------------------------------- scanning


def epoch_ms_window(since: datetime, until: datetime) -> tuple[int, int]:
    """``[since, until]`` as inclusive epoch milliseconds (start rounded up, end down)."""
    start = -((_EPOCH - since) // _MS)
    end = (until - _EPOCH) // _MS
    return start, end


def _event_time(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


@dataclass
class _Scan:
    """One filter pattern's pass: its own classifier and what the pages said."""

    pattern: str
    classifier: Classifier
    pages: int = 0
    error: EvidenceError | None = None


def _feed_page(scan: _Scan, page: Mapping[str, Any]) -> bool:
    """Classify one page's events; False when the page is unusable (error set)."""
    events = page.get("events")
    if not isinstance(events, list):
        scan.error = missing_field(OPERATION, "events")
        return False
    for event in events:
        timestamp = event.get("timestamp") if isinstance(event, Mapping) else None
        message = event.get("message") if isinstance(event, Mapping) else None
        if isinstance(timestamp, bool) or not isinstance(timestamp, int):
            scan.error = scan.error or missing_field(OPERATION, "events[].timestamp")
            continue
        if not isinstance(message, str):
            scan.error = scan.error or missing_field(OPERATION, "events[].message")
            continue
        stream = event.get("logStreamName")
        scan.classifier.feed(
            _event_time(timestamp), stream if isinstance(stream, str) else "", message
        )
    return True


def _loop_error(token: str) -> EvidenceError:
    return EvidenceError(
        operation=OPERATION,
        code="PaginationLoop",
        message=(
            f"the same nextToken came back with no events {REPEATED_TOKEN_LIMIT} times in a row"
            f" ({token[:40]}...); stopped paging"
        ),
    )


def _run_scan(api: LogsApi, group: str, start_ms: int, end_ms: int, scan: _Scan) -> _Scan:
    """Page through one pattern, feeding its classifier; errors end the scan, data is kept."""
    previous: str | None = None
    repeats = 0
    try:
        for page in api.filter_pages(group, start_ms, end_ms, scan.pattern):
            scan.pages += 1
            if not _feed_page(scan, page):
                return scan
            token = page.get("nextToken")
            empty = not page.get("events")
            repeats = repeats + 1 if (empty and token is not None and token == previous) else 0
            if repeats >= REPEATED_TOKEN_LIMIT:
                scan.error = _loop_error(str(token))
                return scan
            previous = token
    except AWS_ERRORS as exc:
        scan.error = aws_error(OPERATION, exc)
    return scan


def _merge(
    markers: Sequence[Marker], scans: Sequence[_Scan], redactor: Redactor
) -> tuple[LogMatch, ...]:
    """Each marker's match from the scan that searched its text, in marker order."""
    by_text: dict[str, LogMatch] = {}
    for scan in scans:
        for match in scan.classifier.matches(redactor):
            by_text[match.text] = match
    return tuple(by_text[m.text].model_copy(update={"kinds": m.kinds}) for m in markers)


def collect_cloudwatch(
    api: LogsApi,
    group: str,
    since: datetime,
    until: datetime,
    markers: Sequence[Marker],
    redactor: Redactor,
) -> LogsEvidence:
    """Count every marker text in ``group`` between ``since`` and ``until`` (both inclusive).

    - One FilterLogEvents scan per filter pattern (usually one), paged until no
      ``nextToken``; several patterns run concurrently.
    - ``events_scanned`` is the number of events the filter returned (summed over the
      patterns: an event matching texts of two patterns is returned, and counted, twice);
      ``pages`` the number of response pages.
    - An event without an integer ``timestamp`` or a string ``message`` cannot be
      classified: it is skipped, not counted in ``events_scanned``, and the scan goes on,
      but ``error`` is set (MissingField), since the skipped event might have held a text.
      A missing ``logStreamName`` only leaves the excerpt's stream empty.
    - A page without ``events`` ends that scan with a MissingField error; a failed call
      (including ResourceNotFoundException for a missing group) ends it with the AWS
      error; the same token handed back on :data:`REPEATED_TOKEN_LIMIT` empty pages in a
      row ends it with ``PaginationLoop``. Matches collected before are kept either way,
      and the first error (in pattern order) is reported: the evidence is incomplete.
    - No markers: nothing is asked of AWS.
    """
    start_ms, end_ms = epoch_ms_window(since, until)
    first: dict[str, Marker] = {}
    for marker in markers:
        first.setdefault(marker.text, marker)
    scans = [
        _Scan(_sent_pattern(texts), Classifier([first[t] for t in texts]))
        for texts in filter_patterns([m.text for m in markers])
    ]
    if len(scans) == 1:
        _run_scan(api, group, start_ms, end_ms, scans[0])
    elif scans:
        with ThreadPoolExecutor(max_workers=min(len(scans), MAX_WORKERS)) as pool:
            list(pool.map(lambda s: _run_scan(api, group, start_ms, end_ms, s), scans))
    return LogsEvidence(
        source="cloudwatch",
        group=group,
        since=since,
        until=until,
        filter_patterns=tuple(s.pattern for s in scans),
        events_scanned=sum(s.classifier.events for s in scans),
        pages=sum(s.pages for s in scans),
        matches=_merge(markers, scans, redactor),
        error=next((s.error for s in scans if s.error is not None), None),
    )
