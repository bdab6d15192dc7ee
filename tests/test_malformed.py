"""Malformed AWS answers: never a traceback, never a pass the well-formed answer would not give.

Hypothesis mutates recorded responses (exact AWS response shapes, ``tests/collect/data``)
at random — a value swapped for one of another type, a value out of range, a field
dropped or given twice, a list emptied or an element repeated — and serves them over
HTTP from the :class:`~tests.faults.replay.Replay` WSGI layer. The real seams (boto3
clients, the shape checks at ``before-parse``, botocore's parsers, the collectors) read
them, and the real checks judge them (:func:`reporter.checks.run_checks` and
:func:`~reporter.checks.judge`). Whatever the mutation, no exception escapes, and no check
(and no hotfix verdict) passes that does not pass on the unmutated answers.

Each :class:`Scenario` is one situation: the recorded answers of the operations it needs
(``operation -> pages``), the spec judged, and how the evidence is collected. To cover
more operations (CloudWatch Logs: FilterLogEvents, StartQuery, GetQueryResults), add a
scenario to :data:`SCENARIOS` with their recorded answers and a ``collect`` that fills
``logs``; the mutations and the property are generic.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from reporter.checks import judge, run_checks
from reporter.collect.aws import AwsClients, make_clients
from reporter.collect.ecr import Boto3Ecr, collect_image
from reporter.collect.ecs import Boto3Ecs, collect_service
from reporter.model import Evidence, HotfixVerdict, LogsEvidence, Status
from reporter.spec import Spec, parse_spec
from tests.collect.helpers import recorded, replay_options
from tests.faults.replay import Replay, pages, replay_server

NOW = datetime(2025, 11, 26, 10, 50, tzinfo=UTC)
SINCE = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)

Answers = Mapping[str, Sequence[Any]]
"""Recorded answers: operation -> the pages it answers, in order (one page if not paged)."""


# --------------------------------------------------------------------------- scenarios


def spec_text(fixed_at: str) -> str:
    """A spec over the recorded ECR/ECS answers (``prod-cluster/backend-service``)."""
    return f"""
claimed_deployed_at = 2025-11-26T09:00:00Z
[aws]
region = "us-east-1"
[image]
repository = "content-marketing-swarm-backend"
tag = "latest"
[service]
cluster = "prod-cluster"
name = "backend-service"
[logs]
group = "/ecs/backend"
[[hotfix]]
id = "fix"
fixed_at = {fixed_at}
"""


def collect_ecr_ecs(clients: AwsClients, spec: Spec) -> Evidence:
    """The ECR image and the ECS service through the real seams; no logs searched."""
    assert spec.service is not None
    return Evidence(
        collected_at=NOW,
        image=collect_image(Boto3Ecr(clients.ecr), spec.image),
        service=collect_service(Boto3Ecs(clients.ecs), spec.service),
        logs=LogsEvidence(source="cloudwatch", group="/ecs/backend", since=SINCE, until=NOW),
    )


@dataclass(frozen=True)
class Scenario:
    """Recorded answers of one situation, the spec judged, and how evidence is collected."""

    name: str
    spec: str
    answers: Answers
    collect: Callable[[AwsClients, Spec], Evidence] = collect_ecr_ecs
    expected: Mapping[str, Status] = field(default_factory=dict)
    """Statuses the unmutated answers give (a guard that the scenario says what it means)."""


def _steady() -> Answers:
    return {
        "DescribeImages": [recorded("ecr_describe_images.json")],
        "DescribeServices": [recorded("ecs_steady_describe_services.json")],
        "ListTasks": [recorded("ecs_steady_list_tasks.json")],
        "DescribeTasks": [recorded("ecs_steady_describe_tasks.json")],
    }


def _rolling() -> Answers:
    return {
        "DescribeImages": [recorded("ecr_describe_images.json")],
        "DescribeServices": [recorded("ecs_describe_services.json")],
        "ListTasks": [recorded(f"ecs_rolling_list_tasks_{n}.json") for n in (1, 2)],
        "DescribeTasks": [recorded("ecs_rolling_describe_tasks.json")],
    }


PASS, FAIL = Status.PASS, Status.FAIL
SCENARIOS = (
    Scenario(
        "steady",
        spec_text("2025-11-26T08:00:00Z"),
        _steady(),
        expected={
            "image.found": PASS,
            "service.stable": PASS,
            "service.runs_image": PASS,
            "service.restarted_after_push": PASS,
            "fix.image_after_fix": PASS,
        },
    ),
    Scenario(
        "rolling-fixed-before-push",
        spec_text("2025-11-26T08:00:00Z"),
        _rolling(),
        expected={
            "image.found": PASS,
            "service.stable": FAIL,
            "service.runs_image": FAIL,
            "service.restarted_after_push": FAIL,
            "fix.image_after_fix": PASS,
        },
    ),
    Scenario(
        "rolling-fixed-after-push",
        spec_text("2025-11-26T09:00:00Z"),
        _rolling(),
        expected={
            "image.found": PASS,
            "service.stable": FAIL,
            "service.runs_image": FAIL,
            "service.restarted_after_push": FAIL,
            "fix.image_after_fix": FAIL,
        },
    ),
)


# --------------------------------------------------------------------------- mutations


class Repeated(dict[str, Any]):
    """A JSON object written with some keys given twice (``repeats``: key -> second value)."""

    def __init__(self, items: Mapping[str, Any], repeats: Mapping[str, Any]) -> None:
        super().__init__(items)
        self.repeats = dict(repeats)


def encode(value: Any) -> str:
    """JSON text of ``value``, :class:`Repeated` keys written twice, NaN/Infinity as Python
    writes them (invalid JSON that many parsers accept)."""
    if isinstance(value, Repeated):
        pairs = [*value.items(), *value.repeats.items()]
        return "{" + ",".join(f"{json.dumps(k)}:{encode(v)}" for k, v in pairs) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(encode(v) for v in value) + "]"
    return json.dumps(value)


OTHER_TYPES: tuple[Any, ...] = (
    None, True, False, 0, -1, 7, 1.5, 1e20, 1e30, -1e12, 2**64, "", "text",
    "2025-11-26T09:00:00Z", "sha256:xyz", [], [1], ["a"], {}, {"a": 1},
)  # fmt: skip
"""Values of every JSON type a swap picks from (never one of the original's type)."""
OUT_OF_RANGE_NUMBERS: tuple[Any, ...] = (
    -1, 0, 1e20, 1e30, -1e12, 2**63, 2**31, float("nan"), float("inf"), -0.5,
)  # fmt: skip
OUT_OF_RANGE_TEXTS: tuple[str, ...] = (
    "", "x" * 3000, "sha256:" + "g" * 64, "sha256:" + "A" * 64, "\x1b[31mred", "\u202eevil",
)  # fmt: skip

Path = tuple[str | int, ...]


def json_type(value: Any) -> str:
    """``null``, ``bool``, ``number``, ``string``, ``array`` or ``object``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def paths(node: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every place in a JSON document (``()`` is the document itself)."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


def get(node: Any, path: Path) -> Any:
    for key in path:
        node = node[key]
    return node


@dataclass(frozen=True)
class Mutation:
    """One change to one page of one operation's recorded answer."""

    operation: str
    page: int
    path: Path
    kind: str
    value: Any = None

    def __str__(self) -> str:
        where = ".".join(map(str, self.path)) or "(body)"
        shown = repr(self.value)[:40]
        return f"{self.operation}[{self.page}] {where}: {self.kind} {shown}"


KINDS = ("swap", "range", "drop", "repeat-key", "empty", "repeat-element")


@st.composite
def mutations(draw: st.DrawFn, answers: Answers) -> Mutation:
    """A mutation of one recorded answer: where, what kind, and the value it brings."""
    operation = draw(st.sampled_from(sorted(answers)))
    page = draw(st.integers(0, len(answers[operation]) - 1))
    body = answers[operation][page]
    path = draw(st.sampled_from(list(paths(body))))
    current = get(body, path)
    kind = draw(st.sampled_from(KINDS))
    if kind == "range" and json_type(current) == "number":
        return Mutation(operation, page, path, kind, draw(st.sampled_from(OUT_OF_RANGE_NUMBERS)))
    if kind == "range" and json_type(current) == "string":
        return Mutation(operation, page, path, kind, draw(st.sampled_from(OUT_OF_RANGE_TEXTS)))
    if kind in ("drop", "repeat-key") and path and isinstance(path[-1], str):
        values = st.sampled_from((current, *OTHER_TYPES)) if kind == "repeat-key" else st.none()
        return Mutation(operation, page, path, kind, draw(values))
    if kind in ("empty", "repeat-element") and json_type(current) == "array" and current:
        return Mutation(operation, page, path, kind)
    others = [v for v in OTHER_TYPES if json_type(v) != json_type(current)]
    return Mutation(operation, page, path, "swap", draw(st.sampled_from(others)))


def mutate(answers: Answers, changes: Sequence[Mutation]) -> dict[str, list[Any]]:
    """A deep copy of ``answers`` with ``changes`` applied, in order."""
    result: dict[str, list[Any]] = {op: json.loads(json.dumps(p)) for op, p in answers.items()}
    for change in changes:
        bodies = result[change.operation]
        if not change.path:  # the whole answer
            bodies[change.page] = change.value
            continue
        parent = _place(bodies[change.page], change.path[:-1])
        key = change.path[-1]
        if not _holds(parent, key):
            continue  # an earlier change removed or replaced this place
        current = parent[key]
        if change.kind == "drop":
            del parent[key]
        elif change.kind == "repeat-key" and isinstance(parent, dict):
            repeats = {**getattr(parent, "repeats", {}), key: change.value}
            replaced = Repeated(parent, repeats)
            if len(change.path) == 1:
                bodies[change.page] = replaced
            else:
                _place(bodies[change.page], change.path[:-2])[change.path[-2]] = replaced
        elif change.kind == "empty" and isinstance(current, list):
            parent[key] = []
        elif change.kind == "repeat-element" and isinstance(current, list) and current:
            current.append(json.loads(json.dumps(current[0])))
        else:
            parent[key] = change.value
    return result


def _place(node: Any, path: Path) -> Any:
    """The node at ``path``, or None when an earlier change removed or replaced it."""
    for key in path:
        if not _holds(node, key):
            return None
        node = node[key]
    return node


def _holds(node: Any, key: str | int) -> bool:
    if isinstance(node, dict):
        return key in node
    return isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)


def serve(replay: Replay, answers: Mapping[str, Sequence[Any]]) -> None:
    """Answer each operation with its pages, as the exact text on the wire."""
    replay.clear()
    for operation, bodies in answers.items():
        wired = [encode(body).encode("utf-8") for body in bodies]
        replay.answer(operation, pages(wired))


# --------------------------------------------------------------------------- the property


@dataclass(frozen=True)
class Judged:
    """What the checks and the judge make of one scenario's answers."""

    statuses: dict[str, Status]
    summaries: dict[str, str]
    verdicts: dict[str, HotfixVerdict]

    def passes(self) -> set[str]:
        return {check for check, status in self.statuses.items() if status is Status.PASS}

    def deployed(self) -> set[str]:
        return {fix for fix, v in self.verdicts.items() if v is HotfixVerdict.DEPLOYED}


def judged(scenario: Scenario, clients: AwsClients) -> Judged:
    """Collect the scenario's evidence through the real seams and judge it."""
    spec = parse_spec(tomllib.loads(scenario.spec), scenario.name)
    checks = run_checks(spec, scenario.collect(clients, spec))
    hotfixes, _ = judge(spec, checks)
    return Judged(
        statuses={c.id: c.status for c in checks},
        summaries={c.id: c.summary for c in checks},
        verdicts={h.id: h.verdict for h in hotfixes},
    )


@dataclass(frozen=True)
class Endpoint:
    replay: Replay
    clients: AwsClients


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Endpoint]:
    """The replay server (no moto behind it: every answer is recorded) and clients for it."""
    with replay_server() as (url, replay):
        yield Endpoint(replay, make_clients(replay_options(url)))


@pytest.fixture(scope="module")
def baselines(endpoint: Endpoint) -> dict[str, Judged]:
    """Each scenario judged on its unmutated answers."""
    found = {}
    for scenario in SCENARIOS:
        serve(endpoint.replay, scenario.answers)
        found[scenario.name] = judged(scenario, endpoint.clients)
    return found


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_each_scenario_judges_as_it_says(scenario: Scenario, baselines: dict[str, Judged]) -> None:
    got = baselines[scenario.name]
    assert {c: got.statuses[c] for c in scenario.expected} == dict(scenario.expected), got.summaries


def assert_no_new_pass(scenario: Scenario, got: Judged, want: Judged) -> None:
    """No check passes, and no hotfix is DEPLOYED, that the unmutated answers do not give."""
    new = {c: got.summaries[c] for c in got.passes() - want.passes()}
    assert not new, new
    assert not got.deployed() - want.deployed(), got.verdicts
    assert set(got.statuses) == set(want.statuses)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_a_mutated_answer_never_raises_nor_passes_what_the_recorded_one_does_not(
    endpoint: Endpoint, baselines: dict[str, Judged], data: st.DataObject
) -> None:
    scenario = data.draw(st.sampled_from(SCENARIOS), label="scenario")
    changes = data.draw(st.lists(mutations(scenario.answers), min_size=1, max_size=3))
    note_changes(scenario, changes)
    serve(endpoint.replay, mutate(scenario.answers, changes))

    got = judged(scenario, endpoint.clients)

    assert_no_new_pass(scenario, got, baselines[scenario.name])


def note_changes(scenario: Scenario, changes: Sequence[Mutation]) -> None:
    """Say, in a failure's report, what was mutated."""
    note(f"{scenario.name}: " + "; ".join(map(str, changes)))


SWAP_FOR = {
    "null": 7,
    "bool": "text",
    "number": "text",
    "string": 7,
    "array": {"a": 1},
    "object": [1],
}
"""The value of another type each JSON type is swapped for in the sweep."""


def sweep(scenario: Scenario) -> Iterator[Mutation]:
    """Every place of every recorded answer swapped for another type, and every key dropped."""
    for operation, bodies in scenario.answers.items():
        for page, body in enumerate(bodies):
            for path in paths(body):
                kind = json_type(get(body, path))
                yield Mutation(operation, page, path, "swap", SWAP_FOR[kind])
                if path and isinstance(path[-1], str):
                    yield Mutation(operation, page, path, "drop")


def test_every_field_swapped_or_dropped_in_turn(
    endpoint: Endpoint, baselines: dict[str, Judged]
) -> None:
    """The systematic half of the property: each field of each answer, one at a time."""
    scenario = SCENARIOS[-1]  # everything fails but image.found: the most passes to guard
    want = baselines[scenario.name]
    new_passes: list[str] = []
    swept = 0
    for change in sweep(scenario):
        serve(endpoint.replay, mutate(scenario.answers, [change]))
        got = judged(scenario, endpoint.clients)
        swept += 1
        if got.passes() - want.passes() or got.deployed() - want.deployed():
            new_passes.append(f"{change}: {sorted(got.passes() - want.passes())}")
    assert swept > 300
    assert not new_passes, new_passes
