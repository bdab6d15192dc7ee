"""The Logs Insights engine: queries, equality with FilterLogEvents over moto, statuses, cancel.

Against moto's server, StartQuery/GetQueryResults/StopQuery are answered by the test-side
evaluator (:mod:`tests.insights_evaluator`) over moto's stored events, so both engines read
the same data over HTTP; FilterLogEvents is moto's own. Answers moto cannot produce
(timestamps in epoch milliseconds, rows outside the window, result pages, malformed
values) are recorded bodies sent through a real boto3 client (:mod:`tests.collect.replay`).
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reporter.collect.aws import AwsClients, make_clients
from reporter.collect.insights import (
    MAX_POLLS,
    MAX_TEXTS_PER_QUERY,
    ROW_LIMIT,
    Backoff,
    Boto3Insights,
    QueryError,
    QueryRegistry,
    decode_excerpts,
    decode_stats,
    excerpt_query,
    insights_command,
    insights_string,
    plan_queries,
    run_query,
    stats_query,
    timestamp_ms,
)
from reporter.collect.logs import Boto3Logs, collect_cloudwatch, epoch_ms_window
from reporter.collect.matching import EXCERPTS, Marker
from reporter.errors import Cancelled
from reporter.model import LogsEvidence, Status
from reporter.redact import REDACTED, Redactor
from tests.collect.replay import Replay, error_body, keyed
from tests.collect.test_logs import GROUP, MARKERS, NEW, OLD, SINCE, UNTIL, at, ms, seed
from tests.conftest import emulator_options
from tests.faults.conftest import moto_api
from tests.faults.middleware import Fault, FaultInjector, Kind
from tests.insights_evaluator import InsightsEvaluator, insights_emulator, parse_query, tokenize
from tests.insights_evaluator import unquote as evaluator_unquote

FAST = Backoff(first=0.01, factor=1.0, cap=0.01)
NO_WAIT = Backoff(first=0.0, factor=1.0, cap=0.0)
WINDOW = epoch_ms_window(SINCE, UNTIL)


@dataclass
class Env:
    url: str
    injector: FaultInjector
    evaluator: InsightsEvaluator
    aws: AwsClients


@pytest.fixture(scope="module")
def emulator() -> Iterator[tuple[str, FaultInjector, InsightsEvaluator]]:
    with insights_emulator() as running:
        yield running


@pytest.fixture
def env(emulator: tuple[str, FaultInjector, InsightsEvaluator]) -> Iterator[Env]:
    url, injector, evaluator = emulator
    moto_api(url, "/moto-api/reset")
    evaluator.reset()
    injector.disarm()
    injector.forget()
    yield Env(url, injector, evaluator, make_clients(emulator_options(url)))
    injector.disarm()
    evaluator.reset()
    moto_api(url, "/moto-api/reset")


def make_groups(aws: AwsClients, groups: dict[str, Sequence[str]]) -> None:
    for group, streams in groups.items():
        aws.logs.create_log_group(logGroupName=group)
        for stream in streams:
            aws.logs.create_log_stream(logGroupName=group, logStreamName=stream)


def collect(
    env: Env,
    groups: Sequence[str],
    markers: Sequence[Marker],
    engine: Any,
    since: datetime = SINCE,
    until: datetime = UNTIL,
    **kw: Any,
) -> LogsEvidence:
    return collect_cloudwatch(
        Boto3Logs(env.aws.logs),
        groups,
        since,
        until,
        markers,
        Redactor(),
        engine=engine,
        insights=Boto3Insights(env.aws.logs, backoff=FAST),
        **kw,
    )


def facts(evidence: LogsEvidence) -> list[tuple[Any, ...]]:
    """What both engines must agree on, per text."""
    return [
        (m.text, m.kinds, m.count, m.first_seen, m.last_seen, m.excerpts, m.outside_window)
        for m in evidence.matches
    ]


def assert_same(filtered: LogsEvidence, insighted: LogsEvidence) -> None:
    assert filtered.error is None, filtered.error
    assert insighted.error is None, insighted.error
    assert (filtered.engine, insighted.engine) == ("filter", "insights")
    assert facts(insighted) == facts(filtered)
    assert insighted.live_event == filtered.live_event


# --------------------------------------------------------------------------- queries


def test_stats_query_counts_each_combination_of_texts() -> None:
    assert stats_query(["a b", "c"], 1000, 2000) == (
        'fields strcontains(@message, "a b") as m0, strcontains(@message, "c") as m1\n'
        "| filter toMillis(@timestamp) >= 1000 and toMillis(@timestamp) <= 2000\n"
        "| filter m0 > 0 or m1 > 0\n"
        "| stats count(*) as matched, min(@timestamp) as first_seen,"
        " max(@timestamp) as last_seen by m0, m1\n"
        "| limit 10000"
    )


def test_excerpt_query_fetches_the_latest_few() -> None:
    assert excerpt_query("x'y", 1000, 2000) == (
        "fields @timestamp, @logStream, @log, @message\n"
        "| filter toMillis(@timestamp) >= 1000 and toMillis(@timestamp) <= 2000\n"
        '| filter strcontains(@message, "x\'y") > 0\n'
        "| sort @timestamp desc\n"
        f"| limit {EXCERPTS}"
    )


def test_string_literals_quote_and_escape_only_when_needed() -> None:
    assert insights_string("plain text") == '"plain text"'
    assert insights_string('say "hi"') == "'say \"hi\"'"
    assert insights_string("it's") == '"it\'s"'
    assert insights_string('it\'s "x"') == '"it\'s \\"x\\""'
    assert insights_string("C:\\Temp") == '"C:\\\\Temp"'
    assert insights_string("a.*b[0-9]+(x)|y$^ /re/") == '"a.*b[0-9]+(x)|y$^ /re/"'


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_every_text_reads_back_as_itself(text: str) -> None:
    literal = insights_string(text)
    tokens = tokenize(f"filter strcontains(@message, {literal}) > 0")
    strings = [t.text for t in tokens if t.kind == "string"]
    assert strings == [literal]
    assert evaluator_unquote(literal) == text
    assert len(parse_query(stats_query([text, "x"], 0, 1)).commands) == 5


def test_plan_puts_at_most_13_texts_in_a_query() -> None:
    texts = [f"text {n}" for n in range(30)]
    plans = plan_queries([*texts, texts[0]], 0, 1)
    assert [len(p) for p in plans] == [13, 13, 4]
    assert [t for p in plans for t in p] == texts
    assert MAX_TEXTS_PER_QUERY == 13
    assert 2**MAX_TEXTS_PER_QUERY - 1 < ROW_LIMIT  # every combination fits in one answer


def test_plan_keeps_each_query_under_10000_characters() -> None:
    texts = [c + "\\" * 499 for c in "abcdefghij"]  # 1,000 characters each once escaped
    plans = plan_queries(texts, 0, 1)
    assert len(plans) > 1
    assert all(len(stats_query(p, 0, 1)) <= 10_000 for p in plans)
    assert [t for p in plans for t in p] == texts


def test_backoff_grows_to_its_cap() -> None:
    backoff = Backoff()
    delays = [backoff.delay(n) for n in range(8)]
    assert delays[0] == 0.5
    assert delays == sorted(delays)
    assert delays[-1] == 5.0
    assert backoff.delay(10_000) == 5.0


def test_insights_command_re_runs_the_query() -> None:
    query = stats_query(['it\'s "x"'], 1_764_147_600_500, 1_764_154_200_000)
    command = insights_command(["/ecs/a", "/ecs/b"], 1_764_147_600_500, 1_764_154_200_000, query)
    words = shlex.split(command)
    assert words[:3] == ["aws", "logs", "start-query"]
    assert words[3:6] == ["--log-group-names", "/ecs/a", "/ecs/b"]
    assert words[6:10] == ["--start-time", "1764147600", "--end-time", "1764154200"]
    assert words[10:] == ["--query-string", query]
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/a"
    assert "--log-group-identifiers" in insights_command([arn], 0, 1000, query)


def test_the_evaluator_refuses_what_the_collector_never_sends() -> None:
    for query in (
        "parse @message 'a=*' as a",
        "fields @message | filter @message like /x/",
        "stats avg(x) by y",
        "filter strcontains(@message, 'a\\nb') > 0",
    ):
        with pytest.raises(Exception, match=r"unsupported|unexpected"):
            parse_query(query)


# --------------------------------------------------------------------------- same as filter

HOSTILE = [
    'payload={"a": 1}',
    "platform='linkedin'",
    'it\'s "quoted"',
    "C:\\Temp\\x",
    "a.*b[0-9]+(x)|y$^",
    "| stats count(*) by m0 # not a command",
    "naïve ✓ 日本",
    "GET /api/v1/items?id=1&x=/re/ HTTP/1.1",
]


def test_both_engines_count_the_same_on_hostile_texts(env: Env) -> None:
    make_groups(env.aws, {GROUP: ["ecs/backend/1", "ecs/backend/2"]})
    one_ms = timedelta(milliseconds=1)
    events = [
        (SINCE - one_ms, f"{NEW} before the window"),
        (SINCE, f"{NEW} at since"),
        (UNTIL, f"{NEW} at until"),
        (UNTIL + one_ms, f"{NEW} after the window"),
        (at(1), f"x{OLD} and {NEW} together"),
        (at(2), "unrelated"),
    ]
    events += [(at(3 + n), f"event {n}: {text}") for n, text in enumerate(HOSTILE)]
    events += [(at(20 + n), f"{HOSTILE[0]} {HOSTILE[3]} #{n}") for n in range(7)]
    seed(GROUP, "ecs/backend/1", events[::2])
    seed(GROUP, "ecs/backend/2", events[1::2])
    markers = [*MARKERS, *(Marker(t, ("expected",)) for t in HOSTILE), Marker(NEW, ("context",))]

    filtered = collect(env, [GROUP], markers, "filter")
    insighted = collect(env, [GROUP], markers, "insights")

    assert_same(filtered, insighted)
    new = insighted.match(NEW)
    assert new is not None
    assert (new.count, new.first_seen, new.last_seen) == (3, SINCE, UNTIL)
    counts = {m.text: m.count for m in insighted.matches}
    assert counts[HOSTILE[0]] == counts[HOSTILE[3]] == 8
    assert counts[OLD] == 1
    assert all(counts[text] >= 1 for text in HOSTILE)
    assert len(insighted.queries) == 1 + len(HOSTILE) + 2  # one stats query, one per text seen
    assert insighted.queries[0].startswith("fields strcontains(@message,")
    assert insighted.filter_patterns == ()
    stats = [call for call in env.evaluator.calls if call[0] == "StartQuery"]
    assert stats[0][1]["logGroupNames"] == [GROUP]
    assert (stats[0][1]["startTime"], stats[0][1]["endTime"]) == (
        ms(SINCE) // 1000,
        ms(UNTIL) // 1000,
    )


def test_a_window_with_milliseconds_is_held_exactly(env: Env) -> None:
    """StartQuery takes seconds; the query's toMillis filter keeps the exact window."""
    make_groups(env.aws, {GROUP: ["s"]})
    since = SINCE + timedelta(milliseconds=500)
    until = UNTIL - timedelta(milliseconds=250)
    seed(
        GROUP,
        "s",
        [
            (SINCE + timedelta(milliseconds=499), f"{NEW} just before"),
            (since, f"{NEW} at since"),
            (until, f"{NEW} at until"),
            (until + timedelta(milliseconds=1), f"{NEW} just after"),
        ],
    )
    filtered = collect(env, [GROUP], MARKERS, "filter", since=since, until=until)
    insighted = collect(env, [GROUP], MARKERS, "insights", since=since, until=until)
    assert_same(filtered, insighted)
    new = insighted.match(NEW)
    assert new is not None
    assert (new.count, new.first_seen, new.last_seen) == (2, since, until)


def test_several_groups_both_engines_label_streams_with_their_group(env: Env) -> None:
    groups = ["/ecs/api", "/ecs/worker", "/ecs/cron"]
    make_groups(env.aws, {g: ["main"] for g in groups})
    for n, group in enumerate(groups):
        seed(group, "main", [(at(n * 10 + k), f"{NEW} from {group} #{k}") for k in range(3)])
    seed(groups[1], "main", [(at(50), f"x{OLD}")])

    filtered = collect(env, groups, MARKERS, "filter")
    insighted = collect(env, groups, MARKERS, "insights")

    assert_same(filtered, insighted)
    assert insighted.groups == tuple(groups)
    assert insighted.group == groups[0]
    new = insighted.match(NEW)
    assert new is not None
    assert new.count == 9
    assert [(e.stream, e.timestamp) for e in new.excerpts] == [
        ("/ecs/worker:main", at(11)),
        ("/ecs/worker:main", at(12)),
        ("/ecs/cron:main", at(20)),
        ("/ecs/cron:main", at(21)),
        ("/ecs/cron:main", at(22)),
    ]
    starts = [body for name, body in env.evaluator.calls if name == "StartQuery"]
    assert all(body["logGroupNames"] == groups for body in starts)


def test_thirteen_texts_in_every_combination_are_never_truncated(env: Env) -> None:
    """8191 combinations: the most one stats query can return, all counted exactly."""
    make_groups(env.aws, {GROUP: ["s"]})
    texts = [f"<T{n:02d}>" for n in range(MAX_TEXTS_PER_QUERY)]
    combos = range(1, 2**MAX_TEXTS_PER_QUERY)
    seed(
        GROUP,
        "s",
        [
            (
                SINCE + timedelta(milliseconds=mask),
                " ".join(t for i, t in enumerate(texts) if mask >> i & 1),
            )
            for mask in combos
        ],
    )
    markers = [Marker(t, ("expected",)) for t in texts]

    filtered = collect(env, [GROUP], markers, "filter")
    insighted = collect(env, [GROUP], markers, "insights")

    assert_same(filtered, insighted)
    assert [m.count for m in insighted.matches] == [2 ** (MAX_TEXTS_PER_QUERY - 1)] * len(texts)
    stats_rows = next(
        q for q in env.evaluator.queries.values() if q.query == insighted.queries[0]
    ).rows
    assert len(stats_rows) == len(combos) < ROW_LIMIT


def test_fourteen_texts_take_two_stats_queries(env: Env) -> None:
    make_groups(env.aws, {GROUP: ["s"]})
    texts = [f"<T{n:02d}>" for n in range(MAX_TEXTS_PER_QUERY + 1)]
    seed(GROUP, "s", [(at(n), f"{texts[n]} {texts[-1 - n]}") for n in range(len(texts))])
    markers = [Marker(t, ("retired",)) for t in texts]
    filtered = collect(env, [GROUP], markers, "filter")
    insighted = collect(env, [GROUP], markers, "insights")
    assert_same(filtered, insighted)
    assert sum(q.startswith("fields strcontains") for q in insighted.queries) == 2


def test_secrets_in_insights_excerpts_are_redacted(env: Env) -> None:
    make_groups(env.aws, {GROUP: ["s"]})
    seed(GROUP, "s", [(at(1), f"{NEW} key=AKIAABCDEFGHIJKLMNOP")])
    evidence = collect(env, [GROUP], MARKERS, "insights")
    message = evidence.matches[0].excerpts[0].message
    assert "AKIA" not in message
    assert REDACTED in message


def test_insights_engine_still_asks_for_liveness(env: Env) -> None:
    make_groups(env.aws, {GROUP: ["s"]})
    seed(GROUP, "s", [(at(5), "GET /health 200")])
    evidence = collect(env, [GROUP], MARKERS, "insights")
    assert evidence.live_event is not None
    assert evidence.live_event.message == "GET /health 200"
    assert [m.count for m in evidence.matches] == [0, 0]
    assert evidence.queries == (stats_query([NEW, OLD], *WINDOW),)  # nothing seen: no excerpts


# --------------------------------------------------------------------------- engine choice


def test_auto_picks_insights_for_five_groups(env: Env) -> None:
    groups = [f"/ecs/g{n}" for n in range(5)]
    make_groups(env.aws, {g: ["s"] for g in groups})
    seed(groups[3], "s", [(at(1), NEW)])
    evidence = collect(env, groups, MARKERS, "auto")
    assert evidence.engine == "insights"
    assert evidence.fallback is None
    assert evidence.matches[0].count == 1


def test_auto_picks_insights_for_a_long_window(env: Env) -> None:
    make_groups(env.aws, {GROUP: ["s"]})
    seed(GROUP, "s", [(at(1), NEW)])
    evidence = collect(env, [GROUP], MARKERS, "auto", since=SINCE - timedelta(hours=30))
    assert evidence.engine == "insights"


def test_auto_falls_back_to_filter_when_start_query_is_denied(env: Env) -> None:
    groups = [f"/ecs/g{n}" for n in range(5)]
    make_groups(env.aws, {g: ["s"] for g in groups})
    seed(groups[0], "s", [(at(1), NEW), (at(2), f"a{OLD}")])
    env.injector.arm(Fault("StartQuery", Kind.ACCESS_DENIED))

    evidence = collect(env, groups, MARKERS, "auto")

    assert evidence.engine == "filter"
    assert evidence.error is None
    assert evidence.fallback is not None
    assert (evidence.fallback.operation, evidence.fallback.code) == (
        "logs:StartQuery",
        "AccessDeniedException",
    )
    assert evidence.queries == ()
    assert [m.count for m in evidence.matches] == [1, 1]
    assert "GetQueryResults" not in env.evaluator.operations()


def test_insights_asked_for_and_denied_is_an_error_not_a_fallback(env: Env) -> None:
    make_groups(env.aws, {GROUP: ["s"]})
    seed(GROUP, "s", [(at(1), NEW)])
    env.injector.arm(Fault("StartQuery", Kind.ACCESS_DENIED))
    evidence = collect(env, [GROUP], MARKERS, "insights")
    assert evidence.engine == "insights"
    assert evidence.fallback is None
    assert evidence.error is not None
    assert evidence.error.code == "AccessDeniedException"
    assert [m.count for m in evidence.matches] == [0, 0]


# --------------------------------------------------------------------------- statuses and polling


@pytest.mark.parametrize("status", ["Failed", "Cancelled", "Timeout", "Unknown"])
def test_a_query_that_does_not_complete_is_an_error(env: Env, status: str) -> None:
    make_groups(env.aws, {GROUP: ["s"]})
    seed(GROUP, "s", [(at(1), NEW)])
    env.evaluator.final_status = status
    evidence = collect(env, [GROUP], MARKERS, "insights")
    assert evidence.error is not None
    assert (evidence.error.operation, evidence.error.code) == (
        "logs:GetQueryResults",
        f"Query{status}",
    )
    assert [m.count for m in evidence.matches] == [0, 0]
    assert "StopQuery" not in env.evaluator.operations()  # it ended on its own


def test_queries_are_polled_until_complete(env: Env) -> None:
    make_groups(env.aws, {GROUP: ["s"]})
    seed(GROUP, "s", [(at(1), NEW)])
    env.evaluator.polls = 3
    evidence = collect(env, [GROUP], MARKERS, "insights")
    assert evidence.error is None
    assert evidence.matches[0].count == 1
    operations = env.evaluator.operations()
    assert operations.count("StartQuery") == 2  # stats, then the excerpts of the text seen
    assert operations.count("GetQueryResults") == 2 * 4


def test_cancel_stops_the_running_query(env: Env) -> None:
    make_groups(env.aws, {GROUP: ["s"]})
    seed(GROUP, "s", [(at(1), NEW)])
    env.evaluator.polls = 10**6  # never completes
    cancel = threading.Event()
    outcome: list[BaseException | LogsEvidence] = []

    def run() -> None:
        try:
            outcome.append(
                collect_cloudwatch(
                    Boto3Logs(env.aws.logs), [GROUP], SINCE, UNTIL, MARKERS, Redactor(),
                    engine="insights", insights=Boto3Insights(env.aws.logs), cancel=cancel,
                )
            )  # fmt: skip
        except Cancelled as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    assert env.evaluator.wait_for("GetQueryResults")  # the query is running
    polls_before = env.evaluator.operations().count("GetQueryResults")
    cancel.set()
    worker.join(timeout=30)

    assert not worker.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], Cancelled)
    (started,) = [q for q in env.evaluator.queries.values()]
    assert started.status == "Cancelled"
    stops = [body for name, body in env.evaluator.calls if name == "StopQuery"]
    assert stops == [{"queryId": started.id}]
    assert env.evaluator.operations().count("GetQueryResults") <= polls_before + 1


def test_a_stop_query_that_fails_is_named_in_cancelled(env: Env) -> None:
    make_groups(env.aws, {GROUP: ["s"]})
    env.evaluator.polls = 10**6
    env.injector.arm(Fault("StopQuery", Kind.ACCESS_DENIED))
    cancel = threading.Event()
    raised: list[Cancelled] = []

    def run() -> None:
        try:
            collect(env, [GROUP], MARKERS, "insights", cancel=cancel)
        except Cancelled as exc:
            raised.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    assert env.evaluator.wait_for("GetQueryResults")  # the query is running
    cancel.set()
    worker.join(timeout=30)
    assert len(raised) == 1
    assert "logs:StopQuery failed: AccessDeniedException" in str(raised[0])


def test_a_query_still_running_after_the_poll_budget_is_stopped() -> None:
    answers = {
        "StartQuery " + stats_query([NEW, OLD], *WINDOW): {"queryId": "q-1"},
        "GetQueryResults q-1": {"status": "Running", "results": []},
        "StopQuery q-1": {"success": True},
    }
    replay = Replay(keyed(answers))
    api = Boto3Insights(replay.client, backoff=NO_WAIT)
    registry = QueryRegistry(api)
    with pytest.raises(QueryError) as raised:
        run_query(api, [GROUP], WINDOW, stats_query([NEW, OLD], *WINDOW), registry, None)
    assert raised.value.error.code == "QueryStillRunning"
    assert replay.operations().count("GetQueryResults") == MAX_POLLS
    assert replay.operations()[-1] == "StopQuery"
    assert registry.stopped == ["q-1"]


# --------------------------------------------------------------------------- recorded answers


def recorded_run(answers: dict[str, Any], markers: Sequence[Marker] = MARKERS) -> LogsEvidence:
    replay = Replay(keyed({"FilterLogEvents live": {"events": []}, **answers}))
    return collect_cloudwatch(
        Boto3Logs(replay.client), [GROUP], SINCE, UNTIL, markers, Redactor(),
        engine="insights", insights=Boto3Insights(replay.client, backoff=NO_WAIT),
    )  # fmt: skip


def cells(**values: str) -> list[dict[str, str]]:
    return [{"field": name, "value": value} for name, value in values.items()]


def stats_answer(*rows: list[dict[str, str]]) -> dict[str, Any]:
    """A GetQueryResults body as the API reference shapes it."""
    return {
        "results": [list(row) for row in rows],
        "statistics": {"recordsMatched": 3.0, "recordsScanned": 90.0, "bytesScanned": 9000.0},
        "status": "Complete",
    }


STATS = "StartQuery " + stats_query([NEW, OLD], *WINDOW)


def test_epoch_millisecond_times_are_read_too() -> None:
    evidence = recorded_run(
        {
            STATS: {"queryId": "s"},
            "GetQueryResults s": stats_answer(
                cells(
                    m0="1", m1="0", matched="2", first_seen=str(ms(at(1))), last_seen="1.76415E12"
                )
            ),
            "StartQuery " + excerpt_query(NEW, *WINDOW): {"queryId": "e"},
            "GetQueryResults e": stats_answer(
                cells(**{"@timestamp": "2025-11-26 09:01:00.000", "@message": f"{NEW} x"})
            ),
        }
    )
    assert evidence.error is None
    new = evidence.matches[0]
    assert (new.count, new.first_seen) == (2, at(1))
    assert new.last_seen == datetime(2025, 11, 26, 9, 40, tzinfo=UTC)  # 1.76415E12 ms
    assert [e.timestamp for e in new.excerpts] == [at(1)]


def test_rows_outside_the_window_are_recorded_and_a_straddling_row_is_an_error() -> None:
    before = str(ms(SINCE - timedelta(minutes=5)))
    after = str(ms(UNTIL + timedelta(minutes=5)))
    rows = (
        cells(m0="1", m1="0", matched="4", first_seen=before, last_seen=before),
        cells(m0="0", m1="1", matched="2", first_seen=before, last_seen=after),
    )
    counted = decode_stats(rows, [NEW, OLD], WINDOW)
    assert counted.tallies[NEW].count == 0
    assert counted.tallies[NEW].outside == 4
    assert counted.outside == 4
    assert counted.tallies[OLD].count == 0
    assert counted.error is not None
    assert counted.error.code == "OutsideWindow"

    evidence = recorded_run({STATS: {"queryId": "s"}, "GetQueryResults s": stats_answer(*rows)})
    assert evidence.outside_window == 4
    assert evidence.matches[0].outside_window == 4
    bundle_checks = checks_for(evidence)
    assert bundle_checks["fix.logs_retired"] is Status.UNKNOWN
    assert bundle_checks["fix.logs_expected"] is Status.UNKNOWN


def test_excerpts_outside_the_window_are_left_out() -> None:
    rows = [
        cells(**{"@timestamp": "2025-11-26 08:00:00.000", "@message": NEW}),
        cells(**{"@timestamp": "2025-11-26 09:30:00.000", "@message": NEW, "@logStream": "a"}),
    ]
    found = decode_excerpts(rows, NEW, WINDOW, several=False, redactor=Redactor())
    assert found.outside == 1
    assert [(e.timestamp, e.stream) for e in found.excerpts] == [(at(30), "a")]


@pytest.mark.parametrize(
    ("row", "where"),
    [
        (cells(m0="2", m1="0", matched="1", first_seen="0", last_seen="0"), "results[0].m0"),
        (cells(m0="1", m1="0", matched="-1", first_seen="0", last_seen="0"), "matched"),
        (cells(m0="1", m1="0", matched="1.5", first_seen="0", last_seen="0"), "matched"),
        (cells(m0="1", m1="0", matched="0", first_seen="0", last_seen="0"), "matched"),
        (cells(m0="1", m1="0", matched="1", first_seen="soon", last_seen="0"), "first_seen"),
        (cells(m0="1", m1="0", matched="1", first_seen="1e20", last_seen="0"), "first_seen"),
        (
            cells(m0="1", m1="0", matched="1", first_seen="2025-13-45 00:00:00", last_seen="0"),
            "first_seen",
        ),
        (cells(m0="1", m1="0", matched="1", first_seen="5", last_seen="4"), "first_seen after"),
        (cells(m0="1", matched="1", first_seen="0", last_seen="0"), "m1"),
        ([{"field": "m0", "value": 1}], "results[0][0].value"),
        ([{"field": 5, "value": "1"}], "results[0][0].field"),
        ("row", "results[0]"),
    ],
)
def test_malformed_rows_are_named(row: Any, where: str) -> None:
    with pytest.raises(QueryError) as raised:
        decode_stats([row], [NEW, OLD], WINDOW)
    assert raised.value.error.code in ("MalformedResponse", "MissingField")
    assert where in raised.value.error.message


def test_a_full_page_of_rows_is_called_truncated() -> None:
    row = cells(m0="1", m1="0", matched="1", first_seen=str(WINDOW[0]), last_seen=str(WINDOW[0]))
    counted = decode_stats([row] * ROW_LIMIT, [NEW, OLD], WINDOW)
    assert counted.error is not None
    assert counted.error.code == "Truncated"


def test_timestamps_in_both_forms() -> None:
    assert timestamp_ms("2025-11-26 09:00:00.123", "t") == ms(SINCE) + 123
    assert timestamp_ms("2025-11-26T09:00:00Z", "t") == ms(SINCE)
    assert timestamp_ms(str(ms(SINCE)), "t") == ms(SINCE)
    assert timestamp_ms("1.7641476E12", "t") == 1_764_147_600_000


def test_result_pages_are_followed_and_a_repeated_token_stops() -> None:
    row = cells(m0="1", m1="0", matched="1", first_seen=str(ms(at(1))), last_seen=str(ms(at(1))))
    row2 = cells(m0="0", m1="1", matched="3", first_seen=str(ms(at(2))), last_seen=str(ms(at(4))))
    excerpt = cells(**{"@timestamp": str(ms(at(4))), "@message": f"x{OLD}"})
    paged = {
        STATS: {"queryId": "s"},
        "GetQueryResults s": {**stats_answer(row), "nextToken": "p2"},
        "GetQueryResults s p2": stats_answer(row2),
        "StartQuery " + excerpt_query(NEW, *WINDOW): {"queryId": "n"},
        "GetQueryResults n": stats_answer(cells(**{"@timestamp": str(ms(at(1))), "@message": NEW})),
        "StartQuery " + excerpt_query(OLD, *WINDOW): {"queryId": "o"},
        "GetQueryResults o": stats_answer(excerpt),
    }
    evidence = recorded_run(paged)
    assert evidence.error is None
    assert [(m.count, m.first_seen, m.last_seen) for m in evidence.matches] == [
        (1, at(1), at(1)),
        (3, at(2), at(4)),
    ]
    assert evidence.pages == 2 + 1 + 1

    looping = {**paged, "GetQueryResults s p2": {**stats_answer(row2), "nextToken": "p2"}}
    evidence = recorded_run(looping)
    assert evidence.error is not None
    assert evidence.error.code == "PaginationLoop"
    assert "CloudWatch repeated a page token" in evidence.error.message


def test_a_malformed_start_query_answer_is_named() -> None:
    evidence = recorded_run({STATS: {"queryId": 5}})
    assert evidence.error is not None
    assert (evidence.error.operation, evidence.error.code) == (
        "logs:StartQuery",
        "MalformedResponse",
    )
    assert "queryId" in evidence.error.message


def test_a_body_botocore_cannot_parse_is_named() -> None:
    evidence = recorded_run({STATS: {"queryId": "s"}, "GetQueryResults s": {"results": 7}})
    assert evidence.error is not None
    assert evidence.error.code == "MalformedResponse"
    assert evidence.error.message.startswith("results is an integer 7, not a list")


def test_a_denied_get_query_results_stops_the_query() -> None:
    replay = Replay(
        keyed(
            {
                "FilterLogEvents live": {"events": []},
                STATS: {"queryId": "s"},
                "GetQueryResults s": error_body("AccessDeniedException"),
                "StopQuery s": {"success": True},
            }
        )
    )
    evidence = collect_cloudwatch(
        Boto3Logs(replay.client), [GROUP], SINCE, UNTIL, MARKERS, Redactor(),
        engine="insights", insights=Boto3Insights(replay.client, backoff=NO_WAIT),
    )  # fmt: skip
    assert evidence.error is not None
    assert (evidence.error.operation, evidence.error.code) == (
        "logs:GetQueryResults",
        "AccessDeniedException",
    )
    assert replay.operations().count("StopQuery") == 1


def checks_for(evidence: LogsEvidence) -> dict[str, Status]:
    """The logs checks of a one-hotfix spec (expects NEW, retires OLD) on ``evidence``."""
    from tests.collect.test_cloudwatch_properties import logs_checks

    return logs_checks(evidence)
