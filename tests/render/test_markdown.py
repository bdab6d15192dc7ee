"""The Markdown report: structure, facts from the bundle, determinism, hostile text."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from reporter.model import (
    Bundle,
    EvidenceError,
    HotfixVerdict,
    ImageEvidence,
    LogMatch,
    ServiceEvidence,
    Status,
    Verdict,
)
from reporter.render import OutputFormat, render
from reporter.render.json import bundle_sha256
from tests.render.conftest import RETIRED_LINE, incident_spec, make_not_deployed


def md(bundle: Bundle) -> str:
    return render(bundle, OutputFormat.MD).decode("utf-8")


def headings(text: str, level: int) -> list[str]:
    """The headings of one level, outside fenced code blocks."""
    found: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        run = re.match(r"^(`{3,})", line)
        if run and (fence is None or run.group(1) == fence):
            fence = None if fence else run.group(1)
            continue
        if fence is None and line.startswith("#" * level + " "):
            found.append(line[level + 1 :])
    return found


def test_sections_in_order(not_deployed: Bundle) -> None:
    text = md(not_deployed)
    assert headings(text, 1) == ["Hotfix Verification Report"]
    assert headings(text, 2) == [
        "Executive Summary",
        "Evidence",
        "Production Logs Analysis",
        "Root Cause",
        "Current Production State",
        "Required Actions",
        "Verification Checklist",
        "Lessons Learned",
        "All Checks",
    ]
    assert headings(text, 3)[:3] == [
        "1. Image in the registry",
        "2. Running service",
        "3. Hotfix evidence",
    ]
    assert headings(text, 4) == [
        r"Hotfix 1: Multi-Platform Parsing",
        "Hotfix 2: Force Task Restart",
        "Hotfix 3: Parser Regex Fix",
    ]


def test_header_and_status_line(not_deployed: Bundle) -> None:
    text = md(not_deployed)
    assert "**Date:** November 26, 2025  \n" in text
    assert r"**Incident:** INC-2025-1126" in text
    assert "**Status:** ✘ **NOT_DEPLOYED** — none of the 3 hotfixes is running" in text


def test_reference_facts(not_deployed: Bundle) -> None:
    text = md(not_deployed)
    # The registry, as the AWS CLI would print it.
    assert "--image-ids imageTag=latest --query 'imageDetails[0].imagePushedAt'" in text
    assert "\n2025-11-25T21:54:59.450000+00:00\n```" in text
    assert "**11 h 5 min before** the claimed deployment (2025-11-26 09:00:00 UTC)" in text
    # The code check, grep style.
    assert "$ grep -nF 'Requested platforms' backend/app/api/websocket.py\n107:" in text
    # The missing log, with the window and the source.
    assert (
        "**Actual logs:** No such log entry found between 2025-11-26 09:00:00 UTC and "
        "2025-11-26 10:50:00 UTC in CloudWatch Logs group `/ecs/content-marketing-swarm-dev`."
    ) in text
    # The retired log, still logged, with its excerpt.
    assert f"2025-11-26T10:49:43Z [ecs/backend/9f1c2d3e] {RETIRED_LINE}" in text
    # Fix time and where it comes from.
    assert "git commit `abc1234` “Log requested platforms”" in text
    # Each hotfix's state.
    assert "- **Hotfix 2 (Force Task Restart):** ✘ NOT deployed" in text


def test_required_actions_follow_the_failures(not_deployed: Bundle) -> None:
    text = md(not_deployed)
    actions = text.split("## Required Actions", 1)[1].split("## Verification Checklist")[0]
    assert headings(actions, 3) == [
        "1. Build and push the image",
        "2. Restart the service on the new image",
        "3. Verify the logs show the new code",
        "4. Complete the missing evidence and re-run",
        "5. Finish the manual checks",
    ]
    assert (
        "docker push 298717586028.dkr.ecr.us-east-1.amazonaws.com/"
        "content-marketing-swarm-backend:latest"
    ) in actions
    assert "--service content-marketing-swarm-dev-backend-service --force-new-deployment" in actions
    assert "aws ecs wait services-stable --cluster content-marketing-swarm-dev-cluster" in actions
    assert (
        "aws logs tail /ecs/content-marketing-swarm-dev --since 10m "
        "--filter-pattern '\"Requested platforms\"'"
    ) in actions


def test_checklist_ticks_from_the_checks(not_deployed: Bundle, verified: Bundle) -> None:
    failing = md(not_deployed).split("## Verification Checklist", 1)[1]
    assert (
        "- [ ] The image `content-marketing-swarm-backend:latest` was pushed after every fix"
        in failing
    )
    assert "- [x] Every running task restarted on that image" in failing
    assert "- [ ] Logs show: `Requested platforms`" in failing
    assert "- [ ] Logs no longer show: `, platform='linkedin'`" in failing
    assert "- [ ] User testing confirms all 3 platforms generate content" in failing
    passing = md(verified).split("## Verification Checklist", 1)[1]
    assert "- [ ]" not in passing.split("## All Checks")[0]
    assert "- [x] Finance confirmed the totals" in passing


def test_verified_report(verified: Bundle) -> None:
    text = md(verified)
    assert "**Status:** ✔ **VERIFIED** — the hotfix is running in production" in text
    assert "None: every check passed." in text
    assert "the local log files `logs/app-1.log`, `logs/app-2.log`" in text
    assert "**Events scanned:** 18,230" in text
    assert "## Root Cause" not in text  # notes sections vanish when not given
    assert "## Lessons Learned" not in text


def test_inconclusive_report_says_why(inconclusive: Bundle) -> None:
    text = md(inconclusive)
    assert text.count("## ") >= 7
    assert "**Status:** ⚠ **INCONCLUSIVE**" in text
    assert (
        "The registry could not be asked: ecr:DescribeImages failed: AccessDeniedException" in text
    )
    assert "The running tasks could not be listed: ecs:DescribeTasks failed" in text
    assert "**The logs could not be read:** logs:FilterLogEvents failed: ReadTimeout" in text
    assert "4. Complete the missing evidence" not in text
    assert "### 1. Complete the missing evidence and re-run" in text
    assert "**Incident:**" not in text


def test_footer_cites_the_bundle(not_deployed: Bundle) -> None:
    text = md(not_deployed)
    assert text.endswith(
        "**Report generated:** 2025-11-26T10:50:00+00:00  \n"
        f"**Evidence bundle SHA-256:** `{bundle_sha256(not_deployed)}`  \n"
        "**Generated by:** reporter 0.1.0\n"
    )


@pytest.mark.parametrize("fmt", [OutputFormat.MD, OutputFormat.HTML, OutputFormat.JSON])
def test_rendering_twice_is_byte_identical(not_deployed: Bundle, fmt: OutputFormat) -> None:
    assert render(not_deployed, fmt) == render(make_not_deployed(), fmt)


HOSTILE = [
    "```\n## Injected heading\n```",
    "````` fence ````` and `` inline ``",
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "{{ 7 * 7 }} {% if true %}jinja{% endif %}",
    "| col | col |\n|---|---|",
    "# heading\n- list\n> quote",
    "colour \x1b[31mred\x1b[0m and NUL \x00",
]


@pytest.mark.parametrize("message", HOSTILE)
def test_hostile_log_line_stays_data(
    with_retired_message: Callable[[str], Bundle], message: str
) -> None:
    clean = md(with_retired_message(RETIRED_LINE))
    text = md(with_retired_message(message))
    for level in (1, 2, 3, 4):
        assert headings(text, level) == headings(clean, level)
    assert "\x1b" not in text
    assert "\x00" not in text


def test_jinja_syntax_in_text_is_not_evaluated(
    with_retired_message: Callable[[str], Bundle],
) -> None:
    text = md(with_retired_message("value {{ 7 * 7 }}"))
    assert "value {{ 7 * 7 }}" in text


def test_notes_are_markdown_but_titles_are_text() -> None:
    spec = incident_spec(
        title="Report *not bold* <b>x</b>",
        notes={"summary": "Written **by the author**.", "impact": "Down for *2 hours*."},
    )
    text = md(make_not_deployed(spec=spec))
    assert text.startswith(r"# Report \*not bold\* &lt;b>x&lt;/b>")
    assert "Written **by the author**." in text
    assert "## Impact\n\nDown for *2 hours*." in text
    assert "### User Impact" not in text


def test_checklist_items_are_the_authors_inline_markdown() -> None:
    spec = incident_spec(
        checklist=[{"item": "Logs show: `Requested platforms`\n# not a heading", "done": False}]
    )
    text = md(make_not_deployed(spec=spec))
    assert "- [ ] Logs show: `Requested platforms` # not a heading\n" in text
    assert "- Logs show: `Requested platforms` # not a heading\n" in text  # required actions


def _evolve(bundle: Bundle, **evidence: object) -> Bundle:
    return bundle.model_copy(update={"evidence": bundle.evidence.model_copy(update=evidence)})


def test_partial_verdict_line(not_deployed: Bundle) -> None:
    first = not_deployed.hotfixes[0].model_copy(update={"verdict": HotfixVerdict.DEPLOYED})
    bundle = not_deployed.model_copy(
        update={"verdict": Verdict.PARTIAL, "hotfixes": (first, *not_deployed.hotfixes[1:])}
    )
    text = md(bundle)
    assert (
        "**Status:** ✘ **PARTIAL** — only 1 of the 3 hotfixes is running in production; 2 are not\n"
    ) in text
    assert "- **Hotfix 1 (Multi-Platform Parsing):** ✔ deployed" in text


def test_without_service_and_code(not_deployed: Bundle) -> None:
    spec = not_deployed.spec.model_copy(update={"service": None, "code": None})
    bundle = _evolve(not_deployed.model_copy(update={"spec": spec}), service=None, code=None)
    text = md(bundle)
    assert "No `[service]` in the spec: the running service was not checked." in text
    assert "**Code check:**\nnot done (no `[code]` section in the spec)." in text
    assert "Restart the service" not in text


def test_service_and_image_not_found(not_deployed: Bundle) -> None:
    image = ImageEvidence(
        repository="backend", tag="v9", not_found_reason="ImageNotFoundException: no such tag"
    )
    service = ServiceEvidence(cluster="c", name="s", not_found_reason="MISSING")
    text = md(_evolve(not_deployed, image=image, service=service))
    assert "# no image: ImageNotFoundException: no such tag" in text
    assert "The tag `v9` was not found in the repository `backend`: ImageNotFoundException" in text
    assert "The service `s` was not found in cluster `c`: MISSING." in text


def test_service_error(not_deployed: Bundle) -> None:
    error = EvidenceError(operation="ecs:DescribeServices", code="Throttling", message="slow down")
    service = ServiceEvidence(cluster="c", name="s", error=error)
    text = md(_evolve(not_deployed, service=service))
    assert "could not be described: ecs:DescribeServices failed: Throttling (slow down)." in text
    assert "- **Tasks:** unknown (the service could not be described)" in text


def test_code_markers_missing_unreadable_and_absent(not_deployed: Bundle) -> None:
    code = not_deployed.evidence.code
    assert code is not None
    markers = (
        code.markers[0].model_copy(
            update={"found": False, "lines": (), "line_text": None, "file_exists": True}
        ),
        code.markers[1].model_copy(
            update={
                "found": None,
                "file_exists": None,
                "error": EvidenceError(operation="read file", code="PermissionError", message="no"),
            }
        ),
    )
    checks = tuple(
        c.model_copy(update={"status": Status.FAIL})
        if c.id == "multi-platform-parsing.code_has_marker"
        else c
        for c in not_deployed.checks
    )
    bundle = _evolve(not_deployed, code=code.model_copy(update={"markers": markers}))
    text = md(bundle.model_copy(update={"checks": checks}))
    assert "$ grep -nF 'Requested platforms' backend/app/api/websocket.py\n# (no match)\n" in text
    assert "# could not read the file: read file failed: PermissionError (no)" in text
    assert "### 1. Commit the missing code" in text
    assert "- `backend/app/api/websocket.py` does not contain `Requested platforms`" in text
    gone = markers[0].model_copy(update={"file_exists": False, "found": False})
    text = md(_evolve(not_deployed, code=code.model_copy(update={"markers": (gone,)})))
    assert "grep: backend/app/api/websocket.py: No such file or directory" in text


def test_unstable_service_and_many_files(verified: Bundle) -> None:
    checks = tuple(
        c.model_copy(update={"status": Status.FAIL}) if c.id == "service.stable" else c
        for c in verified.checks
    )
    logs = verified.evidence.logs.model_copy(
        update={"files": tuple(f"logs/app-{n}.log" for n in range(1, 6))}
    )
    text = md(_evolve(verified.model_copy(update={"checks": checks}), logs=logs))
    assert "### 1. Find out why the service is not stable" in text
    assert "5 local log files (listed under Production Logs Analysis)" in text
    assert "- **Files:** `logs/app-1.log`, `logs/app-2.log`" in text


def test_file_logs_verification_commands(verified: Bundle) -> None:
    checks = tuple(
        c.model_copy(update={"status": Status.FAIL}) if c.kind == "logs_expected" else c
        for c in verified.checks
    )
    logs = verified.evidence.logs
    unseen = tuple(
        LogMatch(text=m.text, kinds=m.kinds) if "expected" in m.kinds else m for m in logs.matches
    )
    bundle = _evolve(verified, logs=logs.model_copy(update={"matches": unseen}))
    text = md(bundle.model_copy(update={"checks": checks}))
    # The files once, by the spec's patterns; one line per text (zgrep reads gzip too).
    assert "shopt -s nullglob globstar\nlogs=(logs/*.log)\n" in text
    assert "zgrep -F -- 'cart total rounded half-even' \"${logs[@]}\" </dev/null\n" in text
    verify = text.split("Verify the logs show the new code", 1)[1].split("\n---\n", 1)[0]
    assert "logs/app-1.log" not in verify
    assert "reporter verify SPEC.toml\n" in text


def test_several_expected_texts(not_deployed: Bundle) -> None:
    spec = incident_spec(
        hotfix=[
            {
                "id": "multi-platform-parsing",
                "title": "Multi-Platform Parsing",
                "expect_logs": ["Requested platforms", "WebSocket client connected"],
            }
        ]
    )
    bundle = make_not_deployed(spec=spec)
    bundle = bundle.model_copy(update={"hotfixes": bundle.hotfixes[:1]})
    text = md(bundle)
    assert "**Expected logs:**\n\n- `Requested platforms`: No such log entry found" in text
    assert "- `WebSocket client connected`: 1 matching event between" in text
    assert "Latest `WebSocket client connected`:\n\n```\n2025-11-26T10:48:36Z" in text
