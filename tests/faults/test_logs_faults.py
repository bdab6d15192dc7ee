"""The fault matrix for the Logs Insights calls and the liveness call, and their read-only promise.

The emulator is moto's server with the test-side Logs Insights evaluator in front
(:mod:`tests.insights_evaluator`) and the fault injector in front of both, seeded with the
demo incident. The spec is the all-pass variant of the fault matrix: without faults the
Insights engine finds what FilterLogEvents finds and the report is VERIFIED. Each case
breaks StartQuery, GetQueryResults or the liveness FilterLogEvents (denied, throttled past
the retries, HTTP 500, read timeout, dropped connection, a field removed) and checks that
the logs checks are ``unknown`` naming the cause, every other check keeps its ``pass`` and
the report is INCONCLUSIVE, with no exception escaping.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

import pytest

from reporter.collect.aws import AwsOptions, make_clients
from reporter.collect.insights import Backoff, Boto3Insights
from reporter.collect.logs import Boto3Logs, collect_cloudwatch
from reporter.collect.matching import markers_for
from reporter.demo.seed import seed_incident
from reporter.errors import Cancelled
from reporter.model import Bundle, LogsEvidence, Verdict
from reporter.pipeline import build_bundle
from reporter.redact import Redactor
from reporter.spec import LoadedSpec
from tests.faults.conftest import MAX_ATTEMPTS, NOW, READ_TIMEOUT, REGION, moto_api, run
from tests.faults.middleware import Fault, FaultInjector, FieldPath, Kind, target_operation
from tests.faults.test_fault_matrix import CAUSES, assert_inconclusive, per_hotfix, statuses
from tests.faults.test_read_only import READ_ONLY, iam_action
from tests.insights_evaluator import InsightsEvaluator, insights_emulator

FAST = Backoff(first=0.01, factor=1.0, cap=0.01)
LOGS_CHECKS = per_hotfix("logs_expected", "logs_retired")
_STEADY_TASKS = {"model_name": "ecs::task", "transition": {"progression": "manual", "times": 10**9}}


@dataclass(frozen=True)
class Seeded:
    url: str
    injector: FaultInjector
    evaluator: InsightsEvaluator

    def options(self) -> AwsOptions:
        return AwsOptions(
            region=REGION,
            endpoint_url=self.url,
            access_key_id="testing",
            secret_access_key="testing",
            max_attempts=MAX_ATTEMPTS,
            connect_timeout=READ_TIMEOUT,
            read_timeout=READ_TIMEOUT,
        )


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    """The demo incident on moto, Insights answered by the evaluator, faults off."""
    with insights_emulator() as (url, injector, evaluator):
        moto_api(url, "/moto-api/reset")
        moto_api(url, "/moto-api/state-manager/set-transition", _STEADY_TASKS)
        try:
            seeded = Seeded(url, injector, evaluator)
            # patient options to seed: moto's first answer of a service (imports) can take
            # longer than the 0.3 s read timeout, and a retried create fails as a duplicate
            seed_incident(make_clients(replace(seeded.options(), read_timeout=30, max_attempts=1)))
            yield seeded
        finally:
            injector.disarm()
            moto_api(url, "/moto-api/state-manager/unset-transition", {"model_name": "ecs::task"})
            moto_api(url, "/moto-api/reset")


@pytest.fixture
def env(seeded: Seeded) -> Iterator[Seeded]:
    """The seeded emulator with no fault armed and no request recorded."""
    seeded.injector.disarm()
    seeded.injector.forget()
    seeded.evaluator.reset()
    yield seeded
    seeded.injector.disarm()
    seeded.injector.forget()
    seeded.evaluator.reset()


def logs(
    seeded: Seeded,
    spec: LoadedSpec,
    engine: Literal["auto", "filter", "insights"] = "insights",
    since: datetime | None = None,
    **kw: Any,
) -> LogsEvidence:
    """The spec's texts searched on the emulator with ``engine`` (from ``since`` to NOW)."""
    found = spec.spec
    start = since or found.logs.since
    assert start is not None
    markers = markers_for(
        [(f.expect_logs, f.retired_logs) for f in found.hotfixes], found.logs.context
    )
    client = make_clients(seeded.options()).logs
    return collect_cloudwatch(
        Boto3Logs(client), found.logs.log_groups, start, NOW, markers, Redactor(),
        engine=engine, insights=Boto3Insights(client, backoff=FAST), **kw,
    )  # fmt: skip


@pytest.fixture(scope="module")
def baseline(seeded: Seeded, passing_spec: LoadedSpec) -> Bundle:
    """The fault-free bundle (FilterLogEvents, through the pipeline)."""
    seeded.injector.disarm()
    return run(passing_spec, seeded.options())


def with_logs(spec: LoadedSpec, baseline: Bundle, found: LogsEvidence) -> Bundle:
    return build_bundle(spec, baseline.evidence.model_copy(update={"logs": found}))


# --------------------------------------------------------------------------- no fault


def test_without_faults_insights_proves_what_filter_proves(
    env: Seeded, passing_spec: LoadedSpec, baseline: Bundle
) -> None:
    found = logs(env, passing_spec)
    assert found.error is None
    assert found.engine == "insights"
    bundle = with_logs(passing_spec, baseline, found)
    assert bundle.verdict is Verdict.VERIFIED
    assert statuses(bundle) == statuses(baseline)
    old = baseline.evidence.logs
    assert [(m.text, m.count, m.first_seen, m.last_seen, m.excerpts) for m in found.matches] == [
        (m.text, m.count, m.first_seen, m.last_seen, m.excerpts) for m in old.matches
    ]


# --------------------------------------------------------------------------- failed calls


@pytest.mark.parametrize("kind", tuple(CAUSES), ids=[k.value for k in CAUSES])
@pytest.mark.parametrize("operation", ["StartQuery", "GetQueryResults"])
def test_a_failed_insights_call_makes_the_logs_checks_unknown(
    operation: str, kind: Kind, env: Seeded, passing_spec: LoadedSpec, baseline: Bundle
) -> None:
    env.injector.arm(Fault(operation, kind))
    found = logs(env, passing_spec)
    assert env.injector.injected >= 1
    assert found.error is not None
    assert found.error.operation == f"logs:{operation}"
    assert found.error.code == CAUSES[kind]
    if kind in (Kind.THROTTLED, Kind.INTERNAL_ERROR):
        assert "(after 1 retries)" in found.error.message
    assert found.live_event == baseline.evidence.logs.live_event  # liveness is another call
    bundle = with_logs(passing_spec, baseline, found)
    assert_inconclusive(bundle, baseline, LOGS_CHECKS, CAUSES[kind])
    if operation == "GetQueryResults":
        stopped = [body["queryId"] for name, body in env.evaluator.calls if name == "StopQuery"]
        started = set(env.evaluator.queries)
        assert stopped
        assert set(stopped) <= started  # only our own queries are ever stopped


@pytest.mark.parametrize("operation", ["StartQuery", "GetQueryResults"])
def test_throttling_that_clears_within_the_retries_changes_nothing(
    operation: str, env: Seeded, passing_spec: LoadedSpec
) -> None:
    clean = logs(env, passing_spec)
    env.injector.arm(Fault(operation, Kind.THROTTLED, times=1))
    again = logs(env, passing_spec)
    assert env.injector.injected == 1
    assert again == clean


@pytest.mark.parametrize(
    ("operation", "field", "cause"),
    [
        ("StartQuery", ("queryId",), "MissingField"),
        ("GetQueryResults", ("status",), "MissingField"),
        ("GetQueryResults", ("results",), "MissingField"),
        ("GetQueryResults", ("results", "*", 0, "value"), "MissingField"),
        ("GetQueryResults", ("results", "*", 2, "field"), "MalformedResponse"),
    ],
    ids=lambda v: "-".join(map(str, v)) if isinstance(v, tuple) else str(v),
)
def test_a_missing_field_makes_the_logs_checks_unknown(
    operation: str,
    field: FieldPath,
    cause: str,
    env: Seeded,
    passing_spec: LoadedSpec,
    baseline: Bundle,
) -> None:
    env.injector.arm(Fault(operation, Kind.MISSING_FIELD, field=field))
    found = logs(env, passing_spec)
    assert env.injector.injected >= 1
    assert found.error is not None
    assert found.error.code == cause
    assert_inconclusive(with_logs(passing_spec, baseline, found), baseline, LOGS_CHECKS, cause)


def test_auto_falls_back_to_filter_when_start_query_fails(
    env: Seeded, passing_spec: LoadedSpec
) -> None:
    long_ago = NOW - timedelta(hours=25)  # a window over a day: auto picks Logs Insights
    by_filter = logs(env, passing_spec, engine="filter", since=long_ago)
    by_insights = logs(env, passing_spec, engine="auto", since=long_ago)
    assert by_insights.engine == "insights"
    assert by_insights.matches == by_filter.matches

    env.injector.arm(Fault("StartQuery", Kind.ACCESS_DENIED))
    fell_back = logs(env, passing_spec, engine="auto", since=long_ago)

    assert fell_back.engine == "filter"
    assert fell_back.error is None
    assert fell_back.fallback is not None
    assert (fell_back.fallback.operation, fell_back.fallback.code) == (
        "logs:StartQuery",
        "AccessDeniedException",
    )
    assert fell_back.queries == ()
    assert fell_back.matches == by_filter.matches


# --------------------------------------------------------------------------- the liveness call

LIVENESS = '"limit": 1'
"""Only the liveness call sends ``limit`` (the scans keep the service default)."""


@pytest.mark.parametrize("kind", tuple(CAUSES), ids=[k.value for k in CAUSES])
def test_a_failed_liveness_call_is_live_error_only(
    kind: Kind, env: Seeded, passing_spec: LoadedSpec, baseline: Bundle
) -> None:
    env.injector.arm(Fault("FilterLogEvents", kind, body=LIVENESS))
    found = logs(env, passing_spec, engine="filter")
    assert env.injector.injected >= 1
    assert found.live_event is None
    assert found.live_error is not None
    assert found.live_error.code == CAUSES[kind]
    assert found.error is None
    assert found.matches == baseline.evidence.logs.matches


def test_a_liveness_answer_without_events_is_live_error(
    env: Seeded, passing_spec: LoadedSpec
) -> None:
    env.injector.arm(Fault("FilterLogEvents", Kind.MISSING_FIELD, field=("events",), body=LIVENESS))
    found = logs(env, passing_spec, engine="filter")
    assert found.live_error is not None
    assert found.live_error.code == "MissingField"
    assert found.error is None


# --------------------------------------------------------------------------- read only


def test_an_insights_run_calls_only_read_only_operations(
    env: Seeded, passing_spec: LoadedSpec
) -> None:
    logs(env, passing_spec)
    seen = env.injector.seen()
    assert seen
    for target in seen:
        assert READ_ONLY.fullmatch(target_operation(target)), target
    assert {iam_action(t) for t in seen} == {
        "logs:FilterLogEvents",
        "logs:StartQuery",
        "logs:GetQueryResults",
    }


def test_a_cancelled_insights_run_stops_only_its_own_queries(
    env: Seeded, passing_spec: LoadedSpec
) -> None:
    env.evaluator.polls = 10**6
    cancel = threading.Event()
    raised: list[BaseException] = []

    def search() -> None:
        try:
            logs(env, passing_spec, cancel=cancel)
        except Cancelled as exc:
            raised.append(exc)

    worker = threading.Thread(target=search)
    worker.start()
    assert env.evaluator.wait_for("GetQueryResults")  # the query is running
    cancel.set()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert len(raised) == 1
    seen = env.injector.seen()
    assert {iam_action(t) for t in seen} <= {
        "logs:FilterLogEvents",
        "logs:StartQuery",
        "logs:GetQueryResults",
        "logs:StopQuery",
    }
    assert all(READ_ONLY.fullmatch(target_operation(t)) for t in seen)
    stopped = [body["queryId"] for name, body in env.evaluator.calls if name == "StopQuery"]
    assert stopped
    assert set(stopped) == set(env.evaluator.queries)
    assert all(q.status == "Cancelled" for q in env.evaluator.queries.values())


def test_the_read_only_pattern_takes_the_insights_calls_and_no_write() -> None:
    assert all(READ_ONLY.fullmatch(name) for name in ("StartQuery", "GetQueryResults", "StopQuery"))
    writes = ("DeleteQueryDefinition", "PutQueryDefinition", "DeleteLogGroup", "PutLogEvents")
    assert not [name for name in writes if READ_ONLY.fullmatch(name)]
