"""The ``junit`` format: JUnit XML for CI test reports (Jenkins, GitLab, GitHub actions).

One ``<testsuite>`` per hotfix (its own checks) and one for the shared checks and the
checklist (``image.*``, ``service.*``, ``checklist.*``), one ``<testcase>`` per check:
``fail`` is a ``<failure>``, ``unknown`` an ``<error>`` (the evidence could not be
collected: not a pass, not a fail either), ``manual`` a ``<skipped>``. Each suite's
``<system-out>`` holds its summary (the hotfix's verdict and what is missing; the report's
verdict), each case's the check's summary, its source and the commands that check it
again (``Check.commands``, computed where the check is made).

Built with :mod:`xml.etree.ElementTree`, so every text is escaped by the XML writer;
texts are first made safe the way the terminal shows them (control characters, bidi
controls and characters XML cannot hold become visible escapes). The output depends only
on the bundle: the same bundle gives the same bytes. The schema it follows is Jenkins'
``junit-4.xsd`` (the tests validate every output against it).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC
from pathlib import Path

from reporter.model import Bundle, Check, Scope, Status
from reporter.text import visible

SHARED_SUITE = "shared"
"""The suite of the shared checks (``image.*``, ``service.*``) and the checklist items."""

_UNSAFE = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def _safe(text: str, one_line: bool = False) -> str:
    """``text`` as XML can hold it and a terminal shows it: control characters, bidi
    controls, lone surrogates and the non-characters U+FFFE/U+FFFF as visible escapes."""
    shown = visible(text, keep_newlines=not one_line)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", shown)


# --------------------------------------------------------------------------- the XML


def render_junit(bundle: Bundle) -> bytes:
    """The JUnit XML for ``bundle`` (UTF-8, with an XML declaration, indented)."""
    spec = bundle.spec
    stamp = bundle.generated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    root = ET.Element("testsuites", {"name": _safe(spec.title, one_line=True)})
    by_hotfix: dict[str, list[Check]] = {h.id: [] for h in bundle.hotfixes}
    shared: list[Check] = []
    for check in bundle.checks:
        if check.kind.scope is Scope.HOTFIX and check.hotfix in by_hotfix:
            by_hotfix[check.hotfix].append(check)
        else:
            shared.append(check)
    number = 0
    for result in bundle.hotfixes:
        lines = [f"{result.id}: {result.verdict.value}"]
        if result.missing:
            lines.append(f"missing: {result.missing}")
        if result.observed_by:
            lines.append(f"observed running by: {', '.join(result.observed_by)}")
        _suite(
            root,
            number,
            f"{result.id}: {result.title}" if result.title != result.id else result.id,
            f"reporter.{result.id}",
            by_hotfix[result.id],
            lines,
            stamp,
        )
        number += 1
    verdict = bundle.verdict
    deployed = sum(h.verdict.value == "DEPLOYED" for h in bundle.hotfixes)
    summary = [
        f"Verdict: {verdict.value} (exit {verdict.exit_code}): {deployed}/{len(bundle.hotfixes)} "
        "hotfixes deployed",
        f"generated at {bundle.generated_at.astimezone(UTC).isoformat().replace('+00:00', 'Z')}",
    ]
    if spec.incident:
        summary.append(f"incident: {spec.incident}")
    run = bundle.evidence.run
    if run is not None and run.command:
        summary.append(f"reproduce: {run.command}")
    _suite(
        root,
        number,
        SHARED_SUITE,
        f"reporter.{SHARED_SUITE}",
        shared,
        summary,
        stamp,
    )
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in root:
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    root.attrib.update({key: str(value) for key, value in totals.items()})
    root.set("time", "0")
    ET.indent(root, space="  ")
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def _suite(
    root: ET.Element,
    number: int,
    name: str,
    classname: str,
    checks: Sequence[Check],
    summary: Sequence[str],
    stamp: str,
) -> None:
    failures = sum(c.status is Status.FAIL for c in checks)
    errors = sum(c.status is Status.UNKNOWN for c in checks)
    skipped = sum(c.status is Status.MANUAL for c in checks)
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": _safe(name, one_line=True),
            "tests": str(len(checks)),
            "failures": str(failures),
            "errors": str(errors),
            "skipped": str(skipped),
            "time": "0",
            "timestamp": stamp,
            "id": str(number),
        },
    )
    for check in checks:
        _case(suite, classname, check)
    ET.SubElement(suite, "system-out").text = _safe("\n".join(summary))


def _case(suite: ET.Element, classname: str, check: Check) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "name": _safe(check.id, one_line=True),
            "classname": _safe(classname, one_line=True),
            "status": check.status.value,
            "time": "0",
        },
    )
    summary = _safe(check.summary, one_line=True)
    if check.status is Status.MANUAL:
        ET.SubElement(case, "skipped").text = summary
    elif check.status is Status.UNKNOWN:
        ET.SubElement(case, "error", {"message": summary, "type": "unknown"}).text = summary
    elif check.status is Status.FAIL:
        ET.SubElement(case, "failure", {"message": summary, "type": "fail"}).text = summary
    out = [f"{check.status.value}: {check.summary}"]
    if check.source:
        out.append(f"source: {check.source}")
    if check.commands:
        out.append("check again with:")
        out.extend(f"  {command}" for command in check.commands)
    ET.SubElement(case, "system-out").text = _safe("\n".join(out))


class JunitRenderer:
    """The ``junit`` format."""

    def __init__(self, template_dir: Path | None = None) -> None:
        self.template_dir = template_dir

    def render(self, bundle: Bundle) -> bytes:
        """The JUnit XML report (templates play no part in it)."""
        return render_junit(bundle)
