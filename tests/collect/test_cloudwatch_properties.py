"""Malformed CloudWatch answers never crash the run and never make a check pass.

Recorded FilterLogEvents, StartQuery, GetQueryResults and StopQuery bodies, shaped as in
the AWS API reference, are mutated at random (a value of another JSON type, a number out
of range, a malformed string where a count, a 0/1 flag or a time belongs, a required
field removed, a body that is not JSON) and sent through a real boto3 client, botocore's
parser and the collector's seam (:mod:`tests.collect.replay`); the logs checks then run
with :func:`reporter.checks.run_checks`. Never an exception; never a ``pass`` that the
unmutated answers would not give.

Only malformations are generated, never a different valid answer: an event removed from a
page, a message changed or ``nextToken`` dropped would be a different, well-formed story
(it can legitimately hide a retired text), not a malformed one.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporter.checks import run_checks
from reporter.collect.insights import Backoff, Boto3Insights, excerpt_query, stats_query
from reporter.collect.logs import Boto3Logs, collect_cloudwatch, epoch_ms_window
from reporter.model import Evidence, ImageEvidence, LogsEvidence, Status
from reporter.redact import Redactor
from reporter.spec import Spec
from tests.collect.replay import Replay, keyed
from tests.collect.test_logs import GROUP, MARKERS, NEW, OLD, SINCE, UNTIL, at, ms

NO_WAIT = Backoff(first=0.0, factor=1.0, cap=0.0)
WINDOW = epoch_ms_window(SINCE, UNTIL)

SPEC = Spec.model_validate(
    {
        "claimed_deployed_at": SINCE,
        "image": {"repository": "app"},
        "logs": {"group": GROUP},
        "hotfix": [{"id": "fix", "expect_logs": [NEW], "retired_logs": [OLD]}],
    }
)

EVENTS = [
    (at(1), f"{NEW} a", "ecs/app/1"),
    (at(2), "GET /health 200", "ecs/app/2"),
    (at(3), f"item{OLD}", "ecs/app/1"),
    (at(4), f"{NEW} b", "ecs/app/2"),
]
SCENARIOS = {
    "both seen": EVENTS,
    "retired gone": [e for e in EVENTS if OLD not in e[1]],
    "expected missing": [e for e in EVENTS if NEW not in e[1]],
}


def logs_checks(evidence: LogsEvidence) -> dict[str, Status]:
    """The status of each logs check of :data:`SPEC` on ``evidence``."""
    full = Evidence(
        collected_at=UNTIL, image=ImageEvidence(repository="app", tag="latest"), logs=evidence
    )
    return {c.id: c.status for c in run_checks(SPEC, full) if c.kind.startswith("logs_")}


def shown(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.") + f"{ms(when) % 1000:03d}"


def filtered_event(when: datetime, message: str, stream: str, n: int) -> dict[str, Any]:
    return {
        "logStreamName": stream,
        "timestamp": ms(when),
        "message": message,
        "ingestionTime": ms(when) + 200,
        "eventId": f"{n:056d}",
    }


def answers_for(events: Sequence[tuple[datetime, str, str]]) -> dict[str, Any]:
    """Every recorded answer both engines need for ``events`` (by ``request_key``)."""
    raw = [filtered_event(w, m, s, n) for n, (w, m, s) in enumerate(events)]
    answers: dict[str, Any] = {
        "FilterLogEvents ": {"events": raw[:2], "searchedLogStreams": [], "nextToken": "t1"},
        "FilterLogEvents t1": {"events": raw[2:], "searchedLogStreams": []},
        "FilterLogEvents live": {"events": raw[:1], "searchedLogStreams": [], "nextToken": "l1"},
        "StartQuery " + stats_query([NEW, OLD], *WINDOW): {"queryId": "q-stats"},
    }
    combos: dict[tuple[str, str], list[datetime]] = {}
    for when, message, _ in events:
        flags = (str(int(NEW in message)), str(int(OLD in message)))
        if flags != ("0", "0"):
            combos.setdefault(flags, []).append(when)
    answers["GetQueryResults q-stats"] = {
        "results": [
            [
                {"field": "m0", "value": m0},
                {"field": "m1", "value": m1},
                {"field": "matched", "value": str(len(times))},
                {"field": "first_seen", "value": shown(min(times))},
                {"field": "last_seen", "value": shown(max(times))},
            ]
            for (m0, m1), times in combos.items()
        ],
        "statistics": {"recordsMatched": 3.0, "recordsScanned": 4.0, "bytesScanned": 400.0},
        "status": "Complete",
    }
    for name, text in (("new", NEW), ("old", OLD)):
        answers["StartQuery " + excerpt_query(text, *WINDOW)] = {"queryId": f"q-{name}"}
        answers[f"GetQueryResults q-{name}"] = {
            "results": [
                [
                    {"field": "@timestamp", "value": shown(when)},
                    {"field": "@logStream", "value": stream},
                    {"field": "@log", "value": f"123456789012:{GROUP}"},
                    {"field": "@message", "value": message},
                    {"field": "@ptr", "value": f"ptr{n}"},
                ]
                for n, (when, message, stream) in enumerate(reversed(events))
                if text in message
            ],
            "statistics": {"recordsMatched": 1.0, "recordsScanned": 4.0, "bytesScanned": 400.0},
            "status": "Complete",
        }
    for query in ("q-stats", "q-new", "q-old"):
        answers[f"StopQuery {query}"] = {"success": True}
    return answers


@functools.cache
def replay() -> Replay:
    """One offline client for every example (its answers are swapped per run)."""
    return Replay(keyed({}))


def run(answers: Mapping[str, Any], engine: str) -> LogsEvidence:
    client = replay()
    client.answer = keyed(answers)
    return collect_cloudwatch(
        Boto3Logs(client.client), [GROUP], SINCE, UNTIL, MARKERS, Redactor(),
        engine="insights" if engine == "insights" else "filter",
        insights=Boto3Insights(client.client, backoff=NO_WAIT),
    )  # fmt: skip


@functools.cache
def baseline(scenario: str, engine: str) -> tuple[tuple[str, Status], ...]:
    return tuple(sorted(logs_checks(run(answers_for(SCENARIOS[scenario]), engine)).items()))


# --------------------------------------------------------------------------- mutations

Path = tuple[str | int, ...]
DELETE = "<delete>"
NOT_JSON = b'{"events": [ not json'
OTHER_TYPES: tuple[Any, ...] = (5, 1e20, -1.5, "x", [], {}, True, [1, "a"], {"a": 1})
OUT_OF_RANGE = (-1, 10**20, 2**63)
BAD_STRINGS = ("", "x", "-1", "1.5", "2", "1e400", "NaN", "Infinity", "2025-13-45 00:00:00.000",
               "99999999999999999999", "1e20")  # fmt: skip
OPTIONAL = {"nextToken"}
"""Fields whose absence is a different valid answer (the last page), not a malformed one."""


def paths(node: Any, prefix: Path = ()) -> list[Path]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


def node_at(node: Any, path: Path) -> Any:
    for step in path:
        node = node[step]
    return node


def options(path: Path, node: Any) -> list[Any]:
    """The malformations possible at ``path``."""
    choices: list[Any] = [v for v in OTHER_TYPES if type(v) is not type(node)]
    if isinstance(node, int) and not isinstance(node, bool):
        choices += OUT_OF_RANGE
    if isinstance(node, str) and path and path[-1] == "value":
        choices += BAD_STRINGS
    if isinstance(node, str) and path and path[-1] == "field":
        choices.append("x")
    if path and isinstance(path[-1], str) and path[-1] not in OPTIONAL:
        choices.append(DELETE)
    if not path:
        choices.append(NOT_JSON)
    return choices


def mutate(answers: Mapping[str, Any], key: str, path: Path, change: Any) -> dict[str, Any]:
    mutated = copy.deepcopy(dict(answers))
    if not path:
        mutated[key] = change
        return mutated
    parent = node_at(mutated[key], path[:-1])
    if change == DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = change
    return mutated


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str, Path, Any]:
    scenario = draw(st.sampled_from(sorted(SCENARIOS)))
    answers = answers_for(SCENARIOS[scenario])
    key = draw(st.sampled_from(sorted(answers)))
    path = draw(st.sampled_from(paths(answers[key])))
    change = draw(st.sampled_from(options(path, node_at(answers[key], path))))
    return scenario, key, path, change


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutations(), st.sampled_from(["filter", "insights"]))
def test_a_malformed_answer_never_crashes_and_never_passes(
    mutation: tuple[str, str, Path, Any], engine: str
) -> None:
    scenario, key, path, change = mutation
    answers = mutate(answers_for(SCENARIOS[scenario]), key, path, change)

    evidence = run(answers, engine)

    before = dict(baseline(scenario, engine))
    for check, status in logs_checks(evidence).items():
        if status is Status.PASS:
            assert before[check] is Status.PASS, (check, key, path, change, evidence.error)


def test_the_baselines_are_what_the_scenarios_say() -> None:
    for engine in ("filter", "insights"):
        assert dict(baseline("both seen", engine)) == {
            "fix.logs_expected": Status.PASS,
            "fix.logs_retired": Status.FAIL,
        }
        assert dict(baseline("retired gone", engine)) == {
            "fix.logs_expected": Status.PASS,
            "fix.logs_retired": Status.PASS,
        }
        assert dict(baseline("expected missing", engine)) == {
            "fix.logs_expected": Status.FAIL,
            "fix.logs_retired": Status.FAIL,
        }


def test_named_malformations_end_as_malformed_response() -> None:
    answers = answers_for(EVENTS)
    cases: list[tuple[str, Path, Any, str, str]] = [
        ("FilterLogEvents t1", ("events",), 5, "filter", "events is an integer 5, not a list"),
        ("FilterLogEvents t1", ("events", 0), 5, "filter", "events[0] is an integer 5"),
        ("FilterLogEvents t1", ("events", 0, "timestamp"), 1e20, "filter", "events[0].timestamp"),
        ("FilterLogEvents t1", ("events", 0, "timestamp"), 10**20, "filter", "out of range"),
        ("FilterLogEvents t1", ("events", 0, "timestamp"), "2025-11-26", "filter", "timestamp"),
        ("FilterLogEvents t1", ("events", 0, "message"), 7, "filter", "events[0].message"),
        ("FilterLogEvents ", ("nextToken",), 5, "filter", "nextToken"),
        ("FilterLogEvents t1", (), NOT_JSON, "filter", ""),
        ("GetQueryResults q-stats", ("results",), 5, "insights", "results is an integer 5"),
        ("GetQueryResults q-stats", ("results", 0, 2, "value"), "many", "insights", "matched"),
        ("GetQueryResults q-stats", ("results", 0, 3, "value"), "soon", "insights", "first_seen"),
        ("GetQueryResults q-stats", ("status",), 5, "insights", "status"),
    ]
    for key, path, change, engine, named in cases:
        evidence = run(mutate(answers, key, path, change), engine)
        assert evidence.error is not None, (key, path)
        assert evidence.error.code in ("MalformedResponse", "MissingField"), evidence.error
        assert named in evidence.error.message, (named, evidence.error.message)
