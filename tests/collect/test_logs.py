"""The CloudWatch Logs collector: against moto's server over HTTP, and recorded AWS pages.

moto refuses PutLogEvents older than 14 days, so events at fixed dates are seeded into
moto's in-process backend (the server runs in this process); recent events go through
PutLogEvents. moto's filter treats ``?"a" ?"b"`` patterns as "match everything" and a
single ``"a"`` as containment of the escaped text, which is fine: the classifier judges.

Where moto cannot produce a response (an empty page that still carries a token, a token
handed back forever, a throttled second page, malformed events), a recorded client
replays pages shaped exactly like the FilterLogEvents response in the AWS API reference:
``{"events": [{"logStreamName", "timestamp", "message", "ingestionTime", "eventId"}],
"searchedLogStreams": [], "nextToken": "..."}``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any, cast

import pytest
from botocore.exceptions import ClientError
from moto.logs.models import LogEvent, logs_backends

from reporter.collect.aws import AwsClients, make_clients
from reporter.collect.logs import (
    AUTO_INSIGHTS_GROUPS,
    AUTO_INSIGHTS_WINDOW,
    MAX_PAGES,
    MAX_PATTERN_CHARS,
    REPEATED_TOKEN_LIMIT,
    Boto3Logs,
    PageGuard,
    choose_engine,
    collect_cloudwatch,
    epoch_ms_window,
    filter_patterns,
    pattern_for,
    quote_term,
)
from reporter.collect.matching import EXCERPTS, Marker
from reporter.errors import Cancelled
from reporter.redact import REDACTED, Redactor
from tests.collect.helpers import client_error, unreachable_options
from tests.collect.replay import Replay, keyed
from tests.conftest import ACCOUNT, REGION

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient

GROUP = "/ecs/content-marketing-swarm-dev"
SINCE = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
UNTIL = datetime(2025, 11, 26, 11, 0, tzinfo=UTC)
NEW = "Requested platforms"
OLD = ", platform='linkedin'"
MARKERS = [Marker(NEW, ("expected",)), Marker(OLD, ("retired",))]


def ms(when: datetime) -> int:
    return int((when - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000)


def seed(group: str, stream: str, events: Sequence[tuple[datetime, str]]) -> None:
    """Append events to moto's backend directly (PutLogEvents refuses old timestamps)."""
    backend = logs_backends[ACCOUNT][REGION]
    log_stream = backend.groups[group].streams[stream]
    for when, message in events:
        log_stream.events.append(LogEvent(ms(when), {"timestamp": ms(when), "message": message}))


def make_group(aws: AwsClients, group: str, streams: Sequence[str]) -> None:
    aws.logs.create_log_group(logGroupName=group)
    for stream in streams:
        aws.logs.create_log_stream(logGroupName=group, logStreamName=stream)


def at(minutes: float) -> datetime:
    return SINCE + timedelta(minutes=minutes)


# --------------------------------------------------------------------------- patterns


def test_quote_term_escapes_backslash_and_quote() -> None:
    assert quote_term("Requested platforms") == '"Requested platforms"'
    assert quote_term('say "hi"') == '"say \\"hi\\""'
    assert quote_term("C:\\temp") == '"C:\\\\temp"'
    assert quote_term('\\"') == '"\\\\\\""'


def test_pattern_for_one_text_is_just_the_quoted_term() -> None:
    assert pattern_for(["a b"]) == '"a b"'
    assert pattern_for(["a", 'b"c']) == '?"a" ?"b\\"c"'


def test_filter_patterns_keeps_every_text_in_one_group_when_it_fits() -> None:
    texts = [f"text number {n}" for n in range(20)]
    assert filter_patterns(texts) == [texts]
    assert filter_patterns([*texts, texts[0]]) == [texts]  # duplicates searched once


def test_filter_patterns_splits_at_1024_characters() -> None:
    texts = [c * 300 for c in "abcdefg"]
    groups = filter_patterns(texts)
    assert len(groups) > 1
    assert [t for g in groups for t in g] == texts
    for group in groups:
        assert len(pattern_for(group)) <= MAX_PATTERN_CHARS
    # greedy: no group could have taken the next group's first text
    for group, following in pairwise(groups):
        assert len(pattern_for([*group, following[0]])) > MAX_PATTERN_CHARS


def test_filter_patterns_boundary_exactly_1024() -> None:
    # two texts: '?"x" ?"y"' costs len(x) + len(y) + 7 characters
    a = "a" * 500
    b = "b" * (MAX_PATTERN_CHARS - 7 - 500)
    assert len(pattern_for([a, b])) == MAX_PATTERN_CHARS
    assert filter_patterns([a, b]) == [[a, b]]
    assert filter_patterns([a, b + "b"]) == [[a], [b + "b"]]


def test_filter_patterns_counts_escapes() -> None:
    a = '"' * 300  # each quote costs two characters once escaped
    b = "b" * 400
    assert len(pattern_for([a, b])) == 600 + 400 + 7
    c = "c" * 20
    assert filter_patterns([a, b, c]) == [[a, b], [c]]


def test_epoch_ms_window_is_inclusive_and_rounds_inward() -> None:
    assert epoch_ms_window(SINCE, UNTIL) == (ms(SINCE), ms(UNTIL))
    odd = timedelta(microseconds=500)
    assert epoch_ms_window(SINCE + odd, UNTIL + odd) == (ms(SINCE) + 1, ms(UNTIL))


# --------------------------------------------------------------------------- moto


def test_counts_first_last_and_latest_excerpts_oldest_first(aws: AwsClients) -> None:
    make_group(aws, GROUP, ["ecs/backend/a"])
    events = [(at(n), f"INFO Requested platforms: ['linkedin'] #{n}") for n in range(8)]
    events += [(at(30), "INFO Parsed content item, platform='linkedin'")]
    events += [(at(40), "INFO unrelated")]
    seed(GROUP, "ecs/backend/a", events)

    evidence = collect_cloudwatch(Boto3Logs(aws.logs), GROUP, SINCE, UNTIL, MARKERS, Redactor())

    assert evidence.error is None
    assert evidence.source == "cloudwatch"
    assert evidence.group == GROUP
    assert (evidence.since, evidence.until) == (SINCE, UNTIL)
    assert evidence.filter_patterns == ('?"Requested platforms" ?", platform=\'linkedin\'"',)
    assert evidence.events_scanned == 10  # moto's ?-pattern returns every event
    assert evidence.pages == 1
    new = evidence.match(NEW)
    assert new is not None
    assert new.kinds == ("expected",)
    assert new.count == 8
    assert (new.first_seen, new.last_seen) == (at(0), at(7))
    assert len(new.excerpts) == EXCERPTS
    assert [e.timestamp for e in new.excerpts] == [at(n) for n in range(3, 8)]
    assert new.excerpts[-1].message == "INFO Requested platforms: ['linkedin'] #7"
    assert {e.stream for e in new.excerpts} == {"ecs/backend/a"}
    old = evidence.match(OLD)
    assert old is not None
    assert (old.count, old.first_seen, old.last_seen) == (1, at(30), at(30))
    assert [m.text for m in evidence.matches] == [NEW, OLD]


def test_window_edges_are_inclusive(aws: AwsClients) -> None:
    make_group(aws, GROUP, ["s"])
    one_ms = timedelta(milliseconds=1)
    seed(
        GROUP,
        "s",
        [
            (SINCE - one_ms, "Requested platforms before"),
            (SINCE, "Requested platforms at since"),
            (UNTIL, "Requested platforms at until"),
            (UNTIL + one_ms, "Requested platforms after"),
        ],
    )
    evidence = collect_cloudwatch(Boto3Logs(aws.logs), GROUP, SINCE, UNTIL, MARKERS, Redactor())
    new = evidence.match(NEW)
    assert new is not None
    assert new.count == 2
    assert (new.first_seen, new.last_seen) == (SINCE, UNTIL)
    assert [e.message for e in new.excerpts] == [
        "Requested platforms at since",
        "Requested platforms at until",
    ]


def test_several_streams_and_many_pages(aws: AwsClients) -> None:
    streams = ["ecs/backend/1", "ecs/backend/2", "ecs/backend/3"]
    make_group(aws, GROUP, streams)
    for i, stream in enumerate(streams):
        seed(GROUP, stream, [(at(n + i / 10), f"{NEW} from {stream} #{n}") for n in range(7)])
    seed(GROUP, streams[0], [(at(50), f"x{OLD}")])

    api = Boto3Logs(aws.logs, page_limit=4)
    evidence = collect_cloudwatch(api, GROUP, SINCE, UNTIL, MARKERS, Redactor())

    assert evidence.error is None
    assert evidence.events_scanned == 22
    assert evidence.pages == 6  # 22 events, 4 per page
    new = evidence.match(NEW)
    assert new is not None
    assert new.count == 21
    assert (new.first_seen, new.last_seen) == (at(0), at(6.2))
    assert [(e.stream, e.timestamp) for e in new.excerpts] == [
        ("ecs/backend/2", at(5.1)),
        ("ecs/backend/3", at(5.2)),
        ("ecs/backend/1", at(6)),
        ("ecs/backend/2", at(6.1)),
        ("ecs/backend/3", at(6.2)),
    ]
    old = evidence.match(OLD)
    assert old is not None
    assert old.count == 1


def test_put_log_events_recent_window(aws: AwsClients) -> None:
    """Events sent through PutLogEvents (recent, as moto requires) are found too."""
    make_group(aws, GROUP, ["s"])
    now = datetime.now(UTC).replace(microsecond=0)
    aws.logs.put_log_events(
        logGroupName=GROUP,
        logStreamName="s",
        logEvents=[
            {"timestamp": ms(now - timedelta(minutes=5)), "message": f"{NEW}: ['x']"},
            {"timestamp": ms(now - timedelta(minutes=4)), "message": f"item{OLD}"},
        ],
    )
    evidence = collect_cloudwatch(
        Boto3Logs(aws.logs), GROUP, now - timedelta(hours=1), now, MARKERS, Redactor()
    )
    assert evidence.error is None
    assert [m.count for m in evidence.matches] == [1, 1]
    assert evidence.matches[0].first_seen == now - timedelta(minutes=5)


def test_a_single_text_is_sent_as_one_quoted_term(aws: AwsClients) -> None:
    make_group(aws, GROUP, ["s"])
    seed(GROUP, "s", [(at(1), f"{NEW}: a"), (at(2), "something else")])
    evidence = collect_cloudwatch(
        Boto3Logs(aws.logs), GROUP, SINCE, UNTIL, [MARKERS[0]], Redactor()
    )
    assert evidence.filter_patterns == ('"Requested platforms"',)
    assert evidence.events_scanned == 1  # moto applies a single quoted term
    assert evidence.matches[0].count == 1


def test_quotes_and_backslashes_match_literally(aws: AwsClients) -> None:
    make_group(aws, GROUP, ["s"])
    quoted = 'payload="{\\"a\\": 1}"'
    windows = "path C:\\Temp\\x"
    seed(GROUP, "s", [(at(1), f"got {quoted} ok"), (at(2), f"{windows}"), (at(3), "payload={a}")])
    markers = [Marker(quoted, ("expected",)), Marker(windows, ("retired",))]
    evidence = collect_cloudwatch(Boto3Logs(aws.logs), GROUP, SINCE, UNTIL, markers, Redactor())
    assert evidence.filter_patterns == (
        '?"payload=\\"{\\\\\\"a\\\\\\": 1}\\"" ?"path C:\\\\Temp\\\\x"',
    )
    assert [m.count for m in evidence.matches] == [1, 1]


def test_split_patterns_keep_counts_exact(aws: AwsClients) -> None:
    """Three 400-character texts need two patterns; each event counts once per text."""
    make_group(aws, GROUP, ["s"])
    a, b, c = ("A" * 400, "B" * 400, "C" * 400)
    seed(
        GROUP,
        "s",
        [(at(1), a), (at(2), a + b), (at(3), c), (at(4), a + c), (at(5), "none")],
    )
    markers = [Marker(a, ("expected",)), Marker(b, ("expected",)), Marker(c, ("retired",))]
    evidence = collect_cloudwatch(Boto3Logs(aws.logs), GROUP, SINCE, UNTIL, markers, Redactor())
    assert evidence.error is None
    assert len(evidence.filter_patterns) == 2
    assert evidence.filter_patterns[1] == quote_term(c)
    assert all(len(p) <= MAX_PATTERN_CHARS for p in evidence.filter_patterns)
    assert [m.text for m in evidence.matches] == [a, b, c]
    assert [m.count for m in evidence.matches] == [3, 1, 2]
    assert [m.kinds for m in evidence.matches] == [("expected",), ("expected",), ("retired",)]
    # moto returns all 5 events for the ?-pattern, and the 2 containing C for "C...C"
    assert evidence.events_scanned == 7
    assert evidence.pages == 2


def test_secrets_in_excerpts_are_redacted(aws: AwsClients) -> None:
    make_group(aws, GROUP, ["s"])
    seed(GROUP, "s", [(at(1), f"{NEW} key=AKIAABCDEFGHIJKLMNOP")])
    evidence = collect_cloudwatch(Boto3Logs(aws.logs), GROUP, SINCE, UNTIL, MARKERS, Redactor())
    message = evidence.matches[0].excerpts[0].message
    assert "AKIA" not in message
    assert REDACTED in message


def test_missing_group_is_an_error(aws: AwsClients) -> None:
    evidence = collect_cloudwatch(
        Boto3Logs(aws.logs), "/ecs/nope", SINCE, UNTIL, MARKERS, Redactor()
    )
    assert evidence.error is not None
    assert evidence.error.operation == "logs:FilterLogEvents"
    assert evidence.error.code == "ResourceNotFoundException"
    assert [m.count for m in evidence.matches] == [0, 0]


def test_unreachable_endpoint_is_an_error() -> None:
    options = unreachable_options(REGION)
    api = Boto3Logs(make_clients(options).logs)
    evidence = collect_cloudwatch(api, GROUP, SINCE, UNTIL, MARKERS, Redactor())
    assert evidence.error is not None
    assert evidence.error.code == "ConnectionError"


def test_no_markers_asks_nothing() -> None:
    client = RecordedClient([])
    evidence = collect_cloudwatch(Boto3Logs(client.typed()), GROUP, SINCE, UNTIL, [], Redactor())
    assert client.requests == []
    assert client.live_requests == []
    assert evidence.error is None
    assert evidence.matches == ()
    assert evidence.filter_patterns == ()


# --------------------------------------------------------------------------- recorded pages


class RecordedClient:
    """Replays FilterLogEvents responses; records each request's parameters.

    Requests without ``filterPattern`` (the liveness call) are answered from ``live``
    (default: one empty page) and recorded in ``live_requests``; the others from
    ``responses``. A response that is an exception is raised instead; after the last
    response, the last one is repeated (a service that keeps answering the same thing).
    """

    def __init__(
        self,
        responses: Sequence[Mapping[str, Any] | Exception],
        live: Sequence[Mapping[str, Any] | Exception] | None = None,
    ) -> None:
        self.responses = list(responses)
        self.live: list[Mapping[str, Any] | Exception] = [page([])] if live is None else list(live)
        self.requests: list[dict[str, Any]] = []
        self.live_requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def filter_log_events(self, **kwargs: Any) -> Mapping[str, Any]:
        with self._lock:
            if "filterPattern" in kwargs:
                self.requests.append(kwargs)
                replies, index = self.responses, len(self.requests)
            else:
                self.live_requests.append(kwargs)
                replies, index = self.live, len(self.live_requests)
        response = replies[min(index, len(replies)) - 1]
        if isinstance(response, Exception):
            raise response
        return response

    def typed(self) -> CloudWatchLogsClient:
        return cast("CloudWatchLogsClient", self)


def event(
    when: datetime, message: str, stream: str = "ecs/backend/abc", n: int = 0
) -> dict[str, Any]:
    """One FilteredLogEvent, as the AWS API reference shapes it."""
    return {
        "logStreamName": stream,
        "timestamp": ms(when),
        "message": message,
        "ingestionTime": ms(when) + 250,
        "eventId": f"3799{n:052d}",
    }


def page(events: Sequence[Mapping[str, Any]], token: str | None = None) -> dict[str, Any]:
    """One FilterLogEvents response; searchedLogStreams is deprecated and comes back empty."""
    response: dict[str, Any] = {
        "events": list(events),
        "searchedLogStreams": [],
        "ResponseMetadata": {"RequestId": "r", "HTTPStatusCode": 200, "RetryAttempts": 0},
    }
    if token is not None:
        response["nextToken"] = token
    return response


def run(client: RecordedClient, markers: Sequence[Marker] = MARKERS, **kw: Any) -> Any:
    return collect_cloudwatch(
        Boto3Logs(client.typed(), **kw), GROUP, SINCE, UNTIL, markers, Redactor()
    )


def test_requests_carry_window_pattern_token_and_limit() -> None:
    client = RecordedClient([page([event(at(1), NEW)], "tok-1"), page([event(at(2), NEW, n=1)])])
    evidence = run(client, page_limit=500)
    assert evidence.pages == 2
    base = {
        "logGroupName": GROUP,
        "startTime": ms(SINCE),
        "endTime": ms(UNTIL),
        "filterPattern": pattern_for([NEW, OLD]),
        "limit": 500,
    }
    assert client.requests == [base, {**base, "nextToken": "tok-1"}]


def test_group_arn_is_sent_as_identifier() -> None:
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{GROUP}"
    client = RecordedClient([page([])])
    collect_cloudwatch(Boto3Logs(client.typed()), arn, SINCE, UNTIL, MARKERS, Redactor())
    assert client.requests[0]["logGroupIdentifier"] == arn
    assert "logGroupName" not in client.requests[0]


def test_empty_page_with_token_is_not_the_end() -> None:
    client = RecordedClient(
        [
            page([], "t1"),
            page([], "t2"),
            page([event(at(1), f"{NEW}: x")], "t3"),
            page([], "t3"),
            page([event(at(2), f"a{OLD}", n=1)]),
        ]
    )
    evidence = run(client)
    assert evidence.error is None
    assert evidence.pages == 5
    assert evidence.events_scanned == 2
    assert [m.count for m in evidence.matches] == [1, 1]
    assert [r.get("nextToken") for r in client.requests] == [None, "t1", "t2", "t3", "t3"]


def test_a_token_repeated_a_few_times_is_tolerated() -> None:
    """CloudWatch hands the same token back on empty pages while it searches (boto3#1584)."""
    repeats = [page([], "same")] * (REPEATED_TOKEN_LIMIT - 1)
    client = RecordedClient(
        [page([event(at(1), NEW)], "same"), *repeats, page([event(at(2), NEW, n=1)])]
    )
    evidence = run(client)
    assert evidence.error is None
    assert evidence.matches[0].count == 2


def test_a_token_repeated_forever_is_a_pagination_loop() -> None:
    client = RecordedClient([page([event(at(1), NEW)], "stuck"), page([], "stuck")])
    evidence = run(client)
    assert evidence.error is not None
    assert evidence.error.code == "PaginationLoop"
    assert evidence.error.operation == "logs:FilterLogEvents"
    assert evidence.pages == REPEATED_TOKEN_LIMIT + 1
    assert evidence.matches[0].count == 1  # what was read is kept


def test_a_failed_second_page_keeps_the_first() -> None:
    throttled = ClientError(
        {
            "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
            "ResponseMetadata": {
                "RequestId": "r",
                "HostId": "",
                "HTTPStatusCode": 400,
                "HTTPHeaders": {},
                "RetryAttempts": 2,
            },
        },
        "FilterLogEvents",
    )
    client = RecordedClient([page([event(at(1), NEW)], "t1"), throttled])
    evidence = run(client)
    assert evidence.error is not None
    assert evidence.error.code == "ThrottlingException"
    assert "Rate exceeded" in evidence.error.message
    assert evidence.matches[0].count == 1
    assert evidence.pages == 1


def test_a_page_without_events_is_a_missing_field() -> None:
    client = RecordedClient([page([event(at(1), NEW)], "t1"), {"nextToken": "t2"}])
    evidence = run(client)
    assert evidence.error is not None
    assert evidence.error.code == "MissingField"
    assert "events" in evidence.error.message
    assert evidence.matches[0].count == 1
    assert len(client.requests) == 2


def test_events_without_timestamp_or_message_are_skipped_and_flagged() -> None:
    no_message = {k: v for k, v in event(at(2), NEW).items() if k != "message"}
    no_time = {k: v for k, v in event(at(3), NEW).items() if k != "timestamp"}
    no_stream = {k: v for k, v in event(at(4), NEW).items() if k != "logStreamName"}
    client = RecordedClient([page([event(at(1), NEW), no_message, no_time, no_stream])])
    evidence = run(client)
    assert evidence.events_scanned == 2
    assert evidence.matches[0].count == 2
    assert evidence.matches[0].excerpts[-1].stream == ""
    assert evidence.error is not None
    assert evidence.error.code == "MissingField"
    assert "message" in evidence.error.message  # the first problem is reported


def test_a_text_too_long_for_any_pattern_scans_every_event() -> None:
    huge = '"' * 600  # 1202 characters once quoted and escaped
    client = RecordedClient([page([event(at(1), f"x{huge}y"), event(at(2), "nothing", n=1)])])
    evidence = run(client, [Marker(huge, ("expected",))])
    assert evidence.filter_patterns == ("",)
    assert client.requests[0]["filterPattern"] == ""
    assert evidence.matches[0].count == 1


def test_split_groups_each_keep_their_counts_and_the_first_error_wins() -> None:
    def denied(code: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": "no"}}, "FilterLogEvents")

    texts = [c * 400 for c in "ABCDE"]  # groups: [A, B], [C, D], [E]
    markers = [Marker(t, ("expected",)) for t in texts]

    class PerPattern(RecordedClient):
        def filter_log_events(self, **kwargs: Any) -> Mapping[str, Any]:
            if "filterPattern" not in kwargs:
                return super().filter_log_events(**kwargs)
            self.requests.append(kwargs)
            if "C" * 400 in kwargs["filterPattern"]:
                raise denied("AccessDeniedException")
            if "E" * 400 in kwargs["filterPattern"]:
                raise denied("ThrottlingException")
            return page([event(at(1), "".join(texts))])

    client = PerPattern([])
    evidence = run(client, markers)
    assert len(evidence.filter_patterns) == 3
    assert len(client.requests) == 3
    # every event holds every text, but a text is only counted by its own group's scan
    assert [m.count for m in evidence.matches] == [1, 1, 0, 0, 0]
    assert evidence.events_scanned == 1
    assert evidence.error is not None
    assert evidence.error.code == "AccessDeniedException"


def test_duplicate_marker_texts_keep_their_own_kinds() -> None:
    markers = [Marker(NEW, ("expected",)), Marker(OLD, ("retired",)), Marker(NEW, ("context",))]
    client = RecordedClient([page([event(at(1), NEW)])])
    evidence = run(client, markers)
    assert [m.kinds for m in evidence.matches] == [("expected",), ("retired",), ("context",)]
    assert [m.count for m in evidence.matches] == [1, 0, 1]
    assert client.requests[0]["filterPattern"] == pattern_for([NEW, OLD])


# --------------------------------------------------------------------------- the window


def test_events_outside_the_window_are_recorded_not_counted() -> None:
    one_ms = timedelta(milliseconds=1)
    client = RecordedClient(
        [
            page(
                [
                    event(SINCE - one_ms, f"{NEW} early", n=1),
                    event(SINCE, f"{NEW} at since", n=2),
                    event(at(5), f"x{OLD}", n=3),
                    event(UNTIL + one_ms, f"{NEW} and {OLD} late", n=4),
                    event(UNTIL + timedelta(days=400), "unrelated, far off", n=5),
                ]
            )
        ]
    )
    evidence = run(client)
    assert evidence.error is None
    assert evidence.outside_window == 3
    assert evidence.events_scanned == 2
    new, old = evidence.matches
    assert (new.count, new.first_seen, new.last_seen, new.outside_window) == (1, SINCE, SINCE, 2)
    assert (old.count, old.outside_window) == (1, 1)
    assert [e.message for e in new.excerpts] == [f"{NEW} at since"]


# --------------------------------------------------------------------------- liveness


def test_liveness_asks_for_one_event_of_any_kind(aws: AwsClients) -> None:
    make_group(aws, GROUP, ["s"])
    seed(GROUP, "s", [(SINCE - timedelta(minutes=1), f"{NEW} before"), (at(3), "GET /health")])
    evidence = collect_cloudwatch(Boto3Logs(aws.logs), GROUP, SINCE, UNTIL, MARKERS, Redactor())
    assert evidence.live_event is not None
    assert (evidence.live_event.timestamp, evidence.live_event.message) == (at(3), "GET /health")
    assert evidence.live_event.stream == "s"
    assert evidence.live_error is None
    assert [m.count for m in evidence.matches] == [0, 0]


def test_a_silent_window_has_no_live_event(aws: AwsClients) -> None:
    make_group(aws, GROUP, ["s"])
    seed(GROUP, "s", [(UNTIL + timedelta(minutes=1), "after the window")])
    evidence = collect_cloudwatch(Boto3Logs(aws.logs), GROUP, SINCE, UNTIL, MARKERS, Redactor())
    assert evidence.live_event is None
    assert evidence.live_error is None
    assert evidence.error is None


def test_the_liveness_request_has_no_pattern_and_limit_1() -> None:
    live = [page([], "l1"), page([event(at(9), "hello AKIAABCDEFGHIJKLMNOP")], "l2")]
    client = RecordedClient([page([])], live)
    evidence = run(client, page_limit=500)
    base = {"logGroupName": GROUP, "startTime": ms(SINCE), "endTime": ms(UNTIL), "limit": 1}
    assert client.live_requests == [base, {**base, "nextToken": "l1"}]  # stops at the event
    assert evidence.live_event is not None
    assert evidence.live_event.timestamp == at(9)
    assert "AKIA" not in evidence.live_event.message  # redacted like every excerpt


def test_a_live_event_outside_the_window_is_not_liveness() -> None:
    live = [page([event(UNTIL + timedelta(hours=1), "late")], "l1"), page([])]
    evidence = run(RecordedClient([page([])], live))
    assert evidence.live_event is None
    assert evidence.live_error is None
    assert evidence.outside_window == 1


def test_a_failed_liveness_call_is_live_error_and_leaves_the_search_alone() -> None:
    denied = client_error("AccessDeniedException", "no", "FilterLogEvents")
    evidence = run(RecordedClient([page([event(at(1), NEW)])], [denied]))
    assert evidence.live_event is None
    assert evidence.live_error is not None
    assert evidence.live_error.code == "AccessDeniedException"
    assert evidence.error is None
    assert evidence.matches[0].count == 1


def test_liveness_of_several_groups_takes_the_first_live_group(aws: AwsClients) -> None:
    groups = ["/ecs/quiet", "/ecs/busy", "/ecs/late"]
    for group in groups:
        make_group(aws, group, ["s"])
    seed("/ecs/busy", "s", [(at(7), "busy")])
    seed("/ecs/late", "s", [(at(1), "late")])
    evidence = collect_cloudwatch(Boto3Logs(aws.logs), groups, SINCE, UNTIL, MARKERS, Redactor())
    assert evidence.live_event is not None
    assert (evidence.live_event.stream, evidence.live_event.message) == ("/ecs/busy:s", "busy")


# --------------------------------------------------------------------------- paging


def test_a_token_of_an_earlier_page_is_a_loop() -> None:
    client = RecordedClient(
        [
            page([event(at(1), NEW)], "t1"),
            page([event(at(2), NEW, n=1)], "t2"),
            page([event(at(3), f"x{OLD}", n=2)], "t1"),
        ]
    )
    evidence = run(client)
    assert evidence.error is not None
    assert evidence.error.code == "PaginationLoop"
    assert "CloudWatch repeated a page token" in evidence.error.message
    assert evidence.pages == 3
    assert [m.count for m in evidence.matches] == [2, 1]  # what was read is kept
    assert len(client.requests) == 3


def test_the_token_just_sent_coming_back_with_events_is_a_loop() -> None:
    client = RecordedClient([page([event(at(1), NEW)], "t1"), page([event(at(2), NEW, n=1)], "t1")])
    evidence = run(client)
    assert evidence.error is not None
    assert evidence.error.code == "PaginationLoop"
    assert "came back with events" in evidence.error.message
    assert evidence.matches[0].count == 2
    assert len(client.requests) == 2


def test_echoed_empty_pages_are_counted_per_run_of_echoes() -> None:
    """Echoes are tolerated in runs shorter than the limit, however many runs there are."""
    responses: list[Mapping[str, Any] | Exception] = []
    for n in range(3):
        responses.append(page([event(at(n), NEW, n=n)], f"t{n}"))
        responses += [page([], f"t{n}")] * (REPEATED_TOKEN_LIMIT - 1)
    responses.append(page([]))
    evidence = run(RecordedClient(responses))
    assert evidence.error is None
    assert evidence.matches[0].count == 3
    assert evidence.pages == len(responses)


class EndlessClient(RecordedClient):
    """Every page has one event and a fresh token: only the page budget ends it."""

    def filter_log_events(self, **kwargs: Any) -> Mapping[str, Any]:
        if "filterPattern" not in kwargs:
            return super().filter_log_events(**kwargs)
        n = len(self.requests)
        self.requests.append(kwargs)
        return page([event(at(n % 100), NEW, n=n)], f"token-{n}")


def test_more_pages_than_the_budget_stops_paging() -> None:
    client = EndlessClient([])
    evidence = run(client)
    assert evidence.error is not None
    assert evidence.error.code == "PageBudgetExceeded"
    assert f"more than {MAX_PAGES} pages" in evidence.error.message
    assert evidence.pages == MAX_PAGES
    assert len(client.requests) == MAX_PAGES
    assert evidence.matches[0].count == MAX_PAGES  # what was read is kept


def test_page_guard_rules() -> None:
    guard = PageGuard("logs:FilterLogEvents", budget=10)
    assert guard.after({"nextToken": "a"}, empty=False) is None
    assert guard.after({"nextToken": "a"}, empty=True) is None  # echo of the token sent
    assert guard.after({"nextToken": "b"}, empty=False) is None
    looped = guard.after({"nextToken": "a"}, empty=True)  # "a" is not the token just sent
    assert looped is not None
    assert looped.code == "PaginationLoop"
    assert guard.after({}, empty=True) is None  # no token: the end
    bad = PageGuard("logs:FilterLogEvents").after({"nextToken": 7}, empty=True)
    assert bad is not None
    assert bad.code == "MalformedResponse"
    assert "nextToken" in bad.message


# --------------------------------------------------------------------------- malformed answers


@pytest.mark.parametrize(
    ("broken", "named"),
    [
        ({"timestamp": 1e20}, "events[1].timestamp is a number"),
        ({"timestamp": 10**20}, "events[1].timestamp is 100000000000000000000, out of range"),
        ({"timestamp": -1}, "out of range"),
        ({"timestamp": "2025-11-26T09:05:00Z"}, "events[1].timestamp is a string"),
        ({"timestamp": True}, "events[1].timestamp is a boolean"),
        ({"message": 12}, "events[1].message is an integer"),
        ({"message": ["a"]}, "events[1].message is a list"),
    ],
)
def test_a_value_of_the_wrong_type_or_range_is_malformed(
    broken: dict[str, Any], named: str
) -> None:
    good = event(at(1), NEW)
    bad = {**event(at(2), f"x{OLD}", n=1), **broken}
    evidence = run(RecordedClient([page([good, bad, event(at(3), NEW, n=2)])]))
    assert evidence.error is not None
    assert evidence.error.code == "MalformedResponse"
    assert named in evidence.error.message
    assert evidence.matches[0].count == 2  # the others were read
    assert evidence.matches[1].count == 0


def test_a_stream_of_the_wrong_type_is_malformed_but_the_event_counts() -> None:
    evidence = run(RecordedClient([page([{**event(at(1), NEW), "logStreamName": 5}])]))
    assert evidence.error is not None
    assert "events[0].logStreamName" in evidence.error.message
    assert evidence.matches[0].count == 1
    assert evidence.matches[0].excerpts[0].stream == ""


@pytest.mark.parametrize(
    ("response", "named"),
    [
        ({"events": 5}, "events is an integer 5, not a list"),
        ({"events": {}}, "events is an object {}, not a list"),  # botocore would say []
        ({"events": [5]}, "events[0] is an integer 5"),
        ({"events": [], "nextToken": 5}, "nextToken is an integer 5"),
        ({"events": [{"timestamp": 1.5e20, "message": "m"}]}, "events[0].timestamp"),
        (b"\xff\xfe not json", "the response is not JSON"),
    ],
)
def test_botocore_seam_names_the_malformed_field(response: Any, named: str) -> None:
    replay = Replay(keyed({"FilterLogEvents ": response, "FilterLogEvents live": {"events": []}}))
    evidence = collect_cloudwatch(
        Boto3Logs(replay.client), GROUP, SINCE, UNTIL, MARKERS, Redactor()
    )
    assert evidence.error is not None
    assert (evidence.error.operation, evidence.error.code) == (
        "logs:FilterLogEvents",
        "MalformedResponse",
    )
    assert named in evidence.error.message


def test_a_response_that_is_not_an_object_is_malformed() -> None:
    client = RecordedClient([cast("Mapping[str, Any]", ["not", "a", "page"])])
    evidence = run(client)
    assert evidence.error is not None
    assert evidence.error.code == "MalformedResponse"


# --------------------------------------------------------------------------- several groups


def test_several_groups_are_read_and_merged(aws: AwsClients) -> None:
    groups = ["/ecs/api", "/ecs/worker"]
    for group in groups:
        make_group(aws, group, ["main", "side"])
    seed("/ecs/api", "main", [(at(n), f"{NEW} api #{n}") for n in range(4)])
    seed("/ecs/worker", "side", [(at(n + 0.5), f"{NEW} worker #{n}") for n in range(4)])
    seed("/ecs/worker", "main", [(at(30), f"x{OLD}")])

    evidence = collect_cloudwatch(
        Boto3Logs(aws.logs), [*groups, groups[0]], SINCE, UNTIL, MARKERS, Redactor()
    )

    assert evidence.error is None
    assert (evidence.group, evidence.groups, evidence.engine) == (
        groups[0],
        tuple(groups),
        "filter",
    )
    assert evidence.filter_patterns == (pattern_for([NEW, OLD]),)
    new, old = evidence.matches
    assert (new.count, new.first_seen, new.last_seen) == (8, at(0), at(3.5))
    assert [e.stream for e in new.excerpts] == [
        "/ecs/worker:side",
        "/ecs/api:main",
        "/ecs/worker:side",
        "/ecs/api:main",
        "/ecs/worker:side",
    ]
    assert (old.count, old.excerpts[0].stream) == (1, "/ecs/worker:main")
    assert evidence.events_scanned == 9


def test_a_missing_group_among_several_keeps_the_others(aws: AwsClients) -> None:
    make_group(aws, "/ecs/here", ["s"])
    seed("/ecs/here", "s", [(at(1), NEW)])
    evidence = collect_cloudwatch(
        Boto3Logs(aws.logs), ["/ecs/here", "/ecs/gone"], SINCE, UNTIL, MARKERS, Redactor()
    )
    assert evidence.error is not None
    assert evidence.error.code == "ResourceNotFoundException"
    assert evidence.matches[0].count == 1


def test_choose_engine() -> None:
    one, five = ["/a"], [f"/g{n}" for n in range(AUTO_INSIGHTS_GROUPS)]
    day = AUTO_INSIGHTS_WINDOW
    assert choose_engine("auto", one, SINCE, SINCE + day) == "filter"
    assert choose_engine("auto", one, SINCE, SINCE + day + timedelta(seconds=1)) == "insights"
    assert choose_engine("auto", five[:-1], SINCE, UNTIL) == "filter"
    assert choose_engine("auto", five, SINCE, UNTIL) == "insights"
    assert choose_engine("filter", five, SINCE, SINCE + 10 * day) == "filter"
    assert choose_engine("insights", one, SINCE, UNTIL) == "insights"


def test_auto_without_an_insights_api_reads_with_filter() -> None:
    groups = [f"/ecs/g{n}" for n in range(AUTO_INSIGHTS_GROUPS)]
    client = RecordedClient([page([event(at(1), NEW)])])
    evidence = collect_cloudwatch(
        Boto3Logs(client.typed()), groups, SINCE, UNTIL, MARKERS, Redactor(), engine="auto"
    )
    assert evidence.engine == "filter"
    assert len(client.requests) == len(groups)
    with pytest.raises(ValueError, match="InsightsApi"):
        collect_cloudwatch(
            Boto3Logs(client.typed()), groups, SINCE, UNTIL, MARKERS, Redactor(), engine="insights"
        )


# --------------------------------------------------------------------------- progress and cancel


def test_on_events_reports_every_page() -> None:
    seen: list[int] = []
    client = RecordedClient(
        [page([event(at(1), NEW), event(at(2), "x", n=1)], "t1"), page([]), page([])]
    )
    collect_cloudwatch(
        Boto3Logs(client.typed()), GROUP, SINCE, UNTIL, MARKERS, Redactor(), on_events=seen.append
    )
    assert seen == [2]


class CancellingClient(RecordedClient):
    """Fresh pages forever; sets ``cancel`` while answering page ``at``."""

    def __init__(self, cancel: threading.Event, at_page: int) -> None:
        super().__init__([])
        self.cancel, self.at_page = cancel, at_page

    def filter_log_events(self, **kwargs: Any) -> Mapping[str, Any]:
        if "filterPattern" not in kwargs:
            return super().filter_log_events(**kwargs)
        n = len(self.requests)
        self.requests.append(kwargs)
        if n + 1 == self.at_page:
            self.cancel.set()
        return page([event(at(1), NEW, n=n)], f"t{n}")


def test_cancel_stops_paging_and_raises_cancelled() -> None:
    cancel = threading.Event()
    client = CancellingClient(cancel, at_page=3)
    with pytest.raises(Cancelled):
        collect_cloudwatch(
            Boto3Logs(client.typed()), GROUP, SINCE, UNTIL, MARKERS, Redactor(), cancel=cancel
        )
    assert len(client.requests) == 3  # the page being answered when cancel came was the last
    for thread in threading.enumerate():
        if thread.name.startswith("reporter-logs-"):
            thread.join(timeout=10)
    assert not [t for t in threading.enumerate() if t.name.startswith("reporter-logs-")]


def test_cancel_before_the_start_asks_nothing() -> None:
    cancel = threading.Event()
    cancel.set()
    client = RecordedClient([page([event(at(1), NEW)])])
    with pytest.raises(Cancelled):
        collect_cloudwatch(
            Boto3Logs(client.typed()), GROUP, SINCE, UNTIL, MARKERS, Redactor(), cancel=cancel
        )
    assert client.requests == client.live_requests == []


def test_an_unexpected_error_in_a_worker_reaches_the_caller() -> None:
    class Broken(RecordedClient):
        def filter_log_events(self, **kwargs: Any) -> Mapping[str, Any]:
            raise RuntimeError("a bug, not an AWS error")

    with pytest.raises(RuntimeError, match="a bug"):
        run(Broken([]))
