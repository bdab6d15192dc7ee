"""``--format junit``: JUnit XML that Jenkins' junit-4.xsd accepts, one case per check."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from reporter.cli import main
from reporter.model import (
    Bundle,
    Check,
    CheckKind,
    EvidenceError,
    Status,
)
from reporter.render import OutputFormat, render
from reporter.render.json import dump_bundle
from reporter.render.junit import SHARED_SUITE, render_junit
from tests.render.conftest import incident_spec, judged, make_not_deployed

XSD = Path(__file__).parent / "data" / "junit-4.xsd"
HOSTILE = '\x1b[2J\u202eevil\u202c \ufffe ]]> <tag> & "quote" \x00\x07'
SURROGATE = "\ud800"
"""A lone surrogate: a received bundle's JSON can hold one (``"\\ud800"``); XML cannot."""


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def _valid(schema: xmlschema.XMLSchema, data: bytes) -> ET.Element:
    schema.validate(data.decode("utf-8"))
    return ET.fromstring(data)  # noqa: S314 - our own output, checked against the schema


def _hostile() -> Bundle:
    made = make_not_deployed()
    error = EvidenceError(
        operation="ecr:DescribeImages", code="AccessDenied", message=HOSTILE + SURROGATE
    )
    image = made.evidence.image.model_copy(update={"error": error})
    spec = incident_spec(
        title=f"Title {HOSTILE}",
        incident="INC \x1b[31m",
        checklist=[{"item": f"Tick {HOSTILE}"}],
    )
    return judged(
        made.model_copy(
            update={"spec": spec, "evidence": made.evidence.model_copy(update={"image": image})}
        )
    )


def test_every_check_is_one_case_in_its_suite(schema: xmlschema.XMLSchema) -> None:
    bundle = judged(make_not_deployed())
    root = _valid(schema, render_junit(bundle))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        *(f"{h.id}: {h.title}" for h in bundle.hotfixes),
        SHARED_SUITE,
    ]
    cases = {c.get("name"): c for s in suites for c in s.findall("testcase")}
    assert list(cases) == [c.id for c in _in_suite_order(bundle)]
    for suite, result in zip(suites, bundle.hotfixes, strict=False):
        assert {c.get("name") for c in suite.findall("testcase")} == {
            c.id for c in bundle.checks if c.hotfix == result.id
        }
    shared = {str(c.get("name")) for c in suites[-1].findall("testcase")}
    assert shared == {c.id for c in bundle.checks if c.hotfix is None}
    assert any(name.startswith("checklist.") for name in shared)


def _in_suite_order(bundle: Bundle) -> list[Check]:
    ordered = [c for h in bundle.hotfixes for c in bundle.checks if c.hotfix == h.id]
    return ordered + [c for c in bundle.checks if c.hotfix is None]


def test_statuses_map_to_failure_error_skipped(schema: xmlschema.XMLSchema) -> None:
    bundle = judged(make_not_deployed())
    root = _valid(schema, render_junit(bundle))
    statuses = {c.id: c.status for c in bundle.checks}
    assert {Status.PASS, Status.FAIL, Status.UNKNOWN, Status.MANUAL} <= set(statuses.values())
    for case in root.iter("testcase"):
        status = statuses[str(case.get("name"))]
        children = [child.tag for child in case if child.tag != "system-out"]
        expected = {
            Status.PASS: [],
            Status.FAIL: ["failure"],
            Status.UNKNOWN: ["error"],
            Status.MANUAL: ["skipped"],
        }[status]
        assert children == expected, case.get("name")
        assert case.get("status") == status.value
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        assert suite.get("tests") == str(len(cases))
        assert suite.get("failures") == str(sum(c.find("failure") is not None for c in cases))
        assert suite.get("errors") == str(sum(c.find("error") is not None for c in cases))
        assert suite.get("skipped") == str(sum(c.find("skipped") is not None for c in cases))
    assert root.get("tests") == str(len(bundle.checks))
    assert root.get("failures") == str(sum(s is Status.FAIL for s in statuses.values()))
    assert root.get("errors") == str(sum(s is Status.UNKNOWN for s in statuses.values()))


def test_summaries_and_commands_are_in_system_out(schema: xmlschema.XMLSchema) -> None:
    bundle = judged(make_not_deployed())
    root = _valid(schema, render_junit(bundle))
    shared_out = root.findall("testsuite")[-1].findtext("system-out") or ""
    assert shared_out.startswith(f"Verdict: {bundle.verdict.value} (exit 1): 0/3 hotfixes deployed")
    assert "incident: INC-2025-1126" in shared_out
    for suite, result in zip(root.findall("testsuite"), bundle.hotfixes, strict=False):
        assert (suite.findtext("system-out") or "").startswith(
            f"{result.id}: {result.verdict.value}"
        )
    by_name = {c.get("name"): c for c in root.iter("testcase")}
    for check in bundle.checks:
        out = by_name[check.id].findtext("system-out") or ""
        assert out.startswith(f"{check.status.value}: {check.summary}")
        assert check.commands or check.kind is CheckKind.CHECKLIST
        for command in check.commands:  # computed where the check is made
            assert command in out
    logs = by_name["multi-platform-parsing.logs_expected"].findtext("system-out") or ""
    assert (
        "aws logs filter-log-events --log-group-name /ecs/content-marketing-swarm-dev "
        "--start-time 1764147600000 --end-time 1764154200000 "
        "--filter-pattern '\"Requested platforms\"'"
    ) in logs


def test_the_same_bundle_gives_the_same_bytes() -> None:
    bundle = judged(make_not_deployed())
    first = render(bundle, OutputFormat.JUNIT)
    assert first == render(bundle, OutputFormat.JUNIT)
    assert first.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<testsuites ")
    assert first.endswith(b"</testsuites>\n")


def test_hostile_texts_stay_valid_xml_and_visible(schema: xmlschema.XMLSchema) -> None:
    bundle = _hostile()
    data = render_junit(bundle)
    root = _valid(schema, data)
    text = data.decode("utf-8")
    for raw in ("\x1b", "\u202e", "\ud800", "\ufffe", "\x00", "\x07"):
        assert raw not in text
    assert root.get("name") == "Title \\x1b[2J\\u202eevil\\u202c \\ufffe ]]> <tag> & " + (
        '"quote" \\x00\\x07'
    )
    found = next(c for c in root.iter("testcase") if c.get("name") == "image.found")
    error = found.find("error")
    assert error is not None
    assert "\\x1b[2J\\u202eevil" in (error.get("message") or "")
    assert "]]> <tag> &" in (error.text or "")
    assert (error.text or "").endswith("\\ud800)")
    skipped = next(c for c in root.iter("testcase") if c.get("name") == "checklist.1")
    assert "Tick \\x1b[2J" in (skipped.findtext("skipped") or "")


def test_render_writes_junit_beside_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], schema: xmlschema.XMLSchema
) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(dump_bundle(judged(make_not_deployed())))
    code = main(["render", str(bundle), "-f", "junit", "-f", "md", "-o", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["bundle.junit.xml", "bundle.md"]
    assert str(tmp_path / "out" / "bundle.junit.xml") in out
    _valid(schema, (tmp_path / "out" / "bundle.junit.xml").read_bytes())
