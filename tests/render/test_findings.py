"""Findings: the failed and unknown checks grouped by cause, each sentence said once, in the
causal order; each hotfix refers to them by label."""

from __future__ import annotations

import pytest

from reporter.model import Bundle, CheckKind, Status
from reporter.render.findings import group_findings, passed_kinds
from reporter.render.view import build_view


@pytest.fixture(scope="module")
def demo() -> Bundle:
    from reporter.demo import demo_bundle

    return demo_bundle()


def numbers(bundle: Bundle) -> dict[str, int]:
    return {h.id: n for n, h in enumerate(bundle.hotfixes, start=1)}


def test_one_finding_per_cause_with_the_hotfixes_it_affects(not_deployed: Bundle) -> None:
    findings = group_findings(not_deployed.checks, numbers(not_deployed))
    assert [(f.label, f.kind, f.status, f.hotfixes) for f in findings] == [
        ("F1", CheckKind.IMAGE_AFTER_FIX, Status.FAIL, (1, 3)),
        ("F2", CheckKind.LOGS_RETIRED, Status.FAIL, (2,)),
        ("F3", CheckKind.LOGS_EXPECTED, Status.FAIL, (1, 2, 3)),
        ("F4", CheckKind.IMAGE_AFTER_FIX, Status.UNKNOWN, (2,)),
    ]
    assert findings[2].every_hotfix
    assert findings[0].scopes == ("*.image_after_fix",)
    assert findings[1].scopes == ("force-task-restart.logs_retired",)
    # Distinct sentences, each with the hotfixes that say it.
    assert [s.hotfixes for s in findings[2].statements] == [(1,), (2,), (3,)]


def test_the_same_sentence_is_said_once(demo: Bundle) -> None:
    findings = group_findings(demo.checks, numbers(demo))
    after_fix = next(f for f in findings if f.kind is CheckKind.IMAGE_AFTER_FIX)
    assert len(after_fix.checks) == 3
    assert len(after_fix.statements) == 1  # one fix commit: one sentence for the three
    assert after_fix.statements[0].hotfixes == (1, 2, 3)


def test_unknowns_with_one_cause_are_one_finding(inconclusive: Bundle) -> None:
    findings = group_findings(inconclusive.checks, numbers(inconclusive))
    tasks = [f for f in findings if CheckKind.SERVICE_RUNS_IMAGE in f.kinds]
    assert len(tasks) == 1
    assert tasks[0].kinds == (CheckKind.SERVICE_RUNS_IMAGE, CheckKind.SERVICE_RESTARTED_AFTER_PUSH)
    assert tasks[0].scopes == ("service.runs_image", "service.restarted_after_push")
    assert len(tasks[0].statements) == 1
    assert all(f.status is Status.UNKNOWN for f in findings)


def test_each_hotfix_refers_to_its_findings_causes_first(not_deployed: Bundle) -> None:
    view = build_view(not_deployed, "0" * 64)
    assert [h.findings for h in view.hotfixes] == [("F1", "F3"), ("F2", "F3", "F4"), ("F1", "F3")]
    assert [h.blame for h in view.hotfixes] == ["F1", "F2", "F1"]
    failed = [c for c in not_deployed.checks if c.status in (Status.FAIL, Status.UNKNOWN)]
    assert set(view.finding_of) == {c.id for c in failed}


def test_what_passed_by_kind(not_deployed: Bundle) -> None:
    passed = {p.kind: (p.count, p.of) for p in passed_kinds(not_deployed.checks)}
    assert passed[CheckKind.IMAGE_FOUND] == (1, 1)
    assert passed[CheckKind.CODE_HAS_MARKER] == (2, 2)
    assert CheckKind.LOGS_EXPECTED not in passed
    assert CheckKind.CHECKLIST not in passed
