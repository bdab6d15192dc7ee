"""The ``junit`` format: JUnit XML for CI test reports (Jenkins, GitLab, GitHub actions).

One ``<testsuite>`` per hotfix (its own checks) and one for the shared checks and the
checklist (``image.*``, ``service.*``, ``checklist.*``), one ``<testcase>`` per check:
``fail`` is a ``<failure>``, ``unknown`` an ``<error>`` (the evidence could not be
collected: not a pass, not a fail either), ``manual`` a ``<skipped>``. Each suite's
``<system-out>`` holds its summary (the hotfix's verdict and what is missing; the report's
verdict), each case's the check's summary, its source and the commands that check it
again (:func:`rerun_commands`).

Built with :mod:`xml.etree.ElementTree`, so every text is escaped by the XML writer;
texts are first made safe the way the terminal shows them (control characters, bidi
controls and characters XML cannot hold become visible escapes). The output depends only
on the bundle: the same bundle gives the same bytes. The schema it follows is Jenkins'
``junit-4.xsd`` (the tests validate every output against it).
"""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from reporter.model import Bundle, Check, CheckKind, Evidence, Scope, Status
from reporter.spec import Spec
from reporter.text import visible

SHARED_SUITE = "shared"
"""The suite of the shared checks (``image.*``, ``service.*``) and the checklist items."""

_UNSAFE = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def _safe(text: str, one_line: bool = False) -> str:
    """``text`` as XML can hold it and a terminal shows it: control characters, bidi
    controls, lone surrogates and the non-characters U+FFFE/U+FFFF as visible escapes."""
    shown = visible(text, keep_newlines=not one_line)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", shown)


# --------------------------------------------------------------------------- re-run commands


RerunCommands = Callable[[Check, Spec, Evidence], list[str]]
"""Commands that check a check again, given the check, the spec and the evidence."""


def rerun_commands(check: Check, spec: Spec, evidence: Evidence) -> list[str]:
    """Shell commands a person runs to check ``check`` again by hand.

    The git commands the checks computed (the fix commit's ``method``, the ancestry
    ``command``, both run in ``code.root``); for AWS checks the aws CLI call that reads
    the same evidence (read-only calls only, with the spec's region, profile and endpoint);
    for code markers and local log files a ``grep -F``. None for checklist items.
    """
    kind = check.kind
    aws = _aws_options(spec)
    image = spec.image
    ecr = (
        f"aws ecr describe-images --repository-name {_q(image.repository)} "
        f"--image-ids imageTag={_q(image.tag)}"
        + (f" --registry-id {_q(image.registry_id)}" if image.registry_id else "")
        + aws
    )
    commands: list[str] = []
    if kind is CheckKind.IMAGE_FOUND:
        commands.append(ecr)
    elif kind in (
        CheckKind.SERVICE_STABLE,
        CheckKind.SERVICE_RUNS_IMAGE,
        CheckKind.SERVICE_RESTARTED_AFTER_PUSH,
    ):
        commands.extend(_ecs_commands(kind, spec, aws))
        if kind is not CheckKind.SERVICE_STABLE:
            commands.append(ecr)
    elif kind is CheckKind.CODE_HAS_MARKER:
        fix = next((f for f in spec.hotfixes if f.id == check.hotfix), None)
        root = spec.code.root if spec.code is not None else "."
        for marker in fix.code if fix is not None else ():
            commands.append(
                f"grep -nF -e {_q(marker.contains)} -- {_q(str(Path(root) / marker.path))}"
            )
    elif kind is CheckKind.IMAGE_AFTER_FIX:
        fact = check.facts.fix_time
        if fact is not None and fact.method:
            commands.append(_in_code_root(spec, fact.method))
        commands.append(ecr)
    elif kind is CheckKind.IMAGE_CONTAINS_FIX:
        ancestry = check.facts.ancestry
        if ancestry is not None and ancestry.command:
            commands.append(_in_code_root(spec, ancestry.command))
    elif kind in (CheckKind.LOGS_EXPECTED, CheckKind.LOGS_RETIRED):
        texts = [t.text for t in check.facts.texts] or _texts_of(check, spec)
        commands.extend(_log_commands(texts, spec, evidence, aws))
    return commands


def _q(text: str) -> str:
    return shlex.quote(text)


def _aws_options(spec: Spec) -> str:
    options = ""
    if spec.aws.region:
        options += f" --region {_q(spec.aws.region)}"
    if spec.aws.profile:
        options += f" --profile {_q(spec.aws.profile)}"
    if spec.aws.endpoint_url:
        options += f" --endpoint-url {_q(spec.aws.endpoint_url)}"
    return options


def _ecs_commands(kind: CheckKind, spec: Spec, aws: str) -> list[str]:
    service = spec.service
    if service is None:
        return []
    cluster = _q(service.cluster)
    describe = f"aws ecs describe-services --cluster {cluster} --services {_q(service.name)}{aws}"
    if kind is CheckKind.SERVICE_STABLE:
        return [describe]
    listed = (
        f"aws ecs list-tasks --cluster {cluster} --service-name {_q(service.name)} "
        f"--desired-status RUNNING --query taskArns --output text{aws}"
    )
    return [describe, f"aws ecs describe-tasks --cluster {cluster} --tasks $({listed}){aws}"]


def _in_code_root(spec: Spec, command: str) -> str:
    root = spec.code.root if spec.code is not None else "."
    return command if root == "." else f"(cd {_q(root)} && {command})"


def _texts_of(check: Check, spec: Spec) -> list[str]:
    fix = next((f for f in spec.hotfixes if f.id == check.hotfix), None)
    if fix is None:
        return []
    return list(fix.expect_logs if check.kind is CheckKind.LOGS_EXPECTED else fix.retired_logs)


def _log_commands(texts: Sequence[str], spec: Spec, evidence: Evidence, aws: str) -> list[str]:
    if not texts:
        return []
    logs = spec.logs
    if logs.files is not None:
        patterns = " ".join(_q(p) for p in logs.files)
        options = " ".join(f"-e {_q(t)}" for t in texts)
        return [f"grep -F {options} -- {patterns}"]
    since, until = evidence.logs.since, evidence.logs.until
    window = f"--start-time {_ms(since)} --end-time {_ms(until)}"
    return [
        f"aws logs filter-log-events --log-group-name {_q(group)} {window} "
        f"--filter-pattern {_q(_filter_term(text))}{aws}"
        for group in logs.log_groups
        for text in texts
    ]


def _filter_term(text: str) -> str:
    """A quoted CloudWatch filter term matching ``text`` literally."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ms(at: datetime) -> int:
    return int(at.astimezone(UTC).timestamp() * 1000)


# --------------------------------------------------------------------------- the XML


def render_junit(bundle: Bundle, commands: RerunCommands = rerun_commands) -> bytes:
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
            bundle,
            stamp,
            commands,
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
    if bundle.spec_path:
        summary.append(f"re-run: reporter verify {_q(bundle.spec_path)}")
    _suite(
        root,
        number,
        SHARED_SUITE,
        f"reporter.{SHARED_SUITE}",
        shared,
        summary,
        bundle,
        stamp,
        commands,
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
    bundle: Bundle,
    stamp: str,
    commands: RerunCommands,
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
        _case(suite, classname, check, bundle, commands)
    ET.SubElement(suite, "system-out").text = _safe("\n".join(summary))


def _case(
    suite: ET.Element, classname: str, check: Check, bundle: Bundle, commands: RerunCommands
) -> None:
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
    rerun = commands(check, bundle.spec, bundle.evidence)
    if rerun:
        out.append("check again with:")
        out.extend(f"  {command}" for command in rerun)
    ET.SubElement(case, "system-out").text = _safe("\n".join(out))


class JunitRenderer:
    """The ``junit`` format."""

    def __init__(self, template_dir: Path | None = None) -> None:
        self.template_dir = template_dir

    def render(self, bundle: Bundle) -> bytes:
        """The JUnit XML report (templates play no part in it)."""
        return render_junit(bundle)
