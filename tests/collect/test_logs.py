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

from botocore.exceptions import ClientError
from moto.logs.models import LogEvent, logs_backends

from reporter.collect.aws import AwsClients, make_clients
from reporter.collect.logs import (
    MAX_PATTERN_CHARS,
    REPEATED_TOKEN_LIMIT,
    Boto3Logs,
    collect_cloudwatch,
    epoch_ms_window,
    filter_patterns,
    pattern_for,
    quote_term,
)
from reporter.collect.matching import EXCERPTS, Marker
from reporter.redact import REDACTED, Redactor
from tests.collect.helpers import unreachable_options
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
