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
from tests.render.conftest import RETIRED_LINE, incident_spec, judged, make_not_deployed


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
        "Timeline",
        "Current Production State",
        "Hotfixes",
        "Production Logs Analysis",
        "Root Cause",
        "Required Actions",
        "Verification Checklist",
        "Lessons Learned",
        "Appendix A: All Checks",
        "Appendix B: Commands (run in the spec's folder)",
    ]
    assert headings(text, 3) == [
        "1. Multi-Platform Parsing (`multi-platform-parsing`) — ✘ NOT_DEPLOYED: "
        "the image predates the fix (F1; also F3)",
        "2. Force Task Restart (`force-task-restart`) — ✘ NOT_DEPLOYED: "
        "the old code is still logging (F2; also F3, F4)",
        "3. Parser Regex Fix (`parser-regex-fix`) — ✘ NOT_DEPLOYED: "
        "the image predates the fix (F1; also F3)",
    ]


def test_header_and_status_line(not_deployed: Bundle) -> None:
    text = md(not_deployed)
    assert "**Status:** ✘ **NOT_DEPLOYED** — none of the 3 hotfixes is running" in text
    assert "**Incident:** INC-2025-1126 · **Date:** November 26, 2025 (evidence read at" in text
    assert "**Reproduce:** `reporter verify hotfix.toml`" in text  # no run recorded: the spec


def test_reference_facts(not_deployed: Bundle) -> None:
    text = md(not_deployed)
    # The registry, as the AWS CLI prints the push time.
    assert "pushed 2025-11-25T21:54:59.450000+00:00" in text
    assert "| 2025-11-25 21:54:59 | Image pushed to the registry | \u221211 h 5 min |" in text
    # The code, with the line that holds the marker.
    assert (
        "`backend/app/api/websocket.py:107` holds `Requested platforms`: "
        '`logger.info(f"Requested platforms: {platforms}")`'
    ) in text
    # The missing log, with the window and the source: said once, in the finding.
    missing = (
        "'Requested platforms' never logged between 2025-11-26 09:00:00 UTC and "
        "2025-11-26 10:50:00 UTC (in log group /ecs/content-marketing-swarm-dev)."
    )
    assert text.count(missing) == 1
    # The retired log, still logged, with its excerpt.
    assert f"2025-11-26T10:49:43Z [ecs/backend/9f1c2d3e] {RETIRED_LINE}" in text
    # Fix time and where it comes from: the timeline, referred to by the hotfix.
    assert "| Fix commit abc1234 “Log requested platforms” — hotfix 1 |" in text
    assert "fixed by commit `abc1234` (timeline 4)" in text
    # Each hotfix's state.
    assert (
        "### 2. Force Task Restart (`force-task-restart`) — ✘ NOT_DEPLOYED: "
        "the old code is still logging (F2; also F3, F4)"
    ) in text


def test_each_failure_is_said_once(not_deployed: Bundle) -> None:
    text = md(not_deployed)
    for check in not_deployed.checks:
        if check.status is Status.FAIL:
            assert text.count(check.summary.replace("_", "\\_")) <= 1, check.id
    assert "- **F1 ✘ The image predates the fix** — hotfixes 1, 3 (`*.image_after_fix`)" in text
    assert "| `parser-regex-fix.image_after_fix` | ✘ FAIL | see F1 *(" in text


def test_required_actions_follow_the_failures(not_deployed: Bundle) -> None:
    text = md(not_deployed)
    actions = text.split("## Required Actions", 1)[1].split("## Verification Checklist")[0]
    assert [line for line in actions.splitlines() if line.startswith("# ")] == [
        "# 1. Build and push the image, labelled with the commit it is built from",
        "# 2. Restart the service on the new image",
        "# 3. Watch the logs: the fixed code's texts should appear, the old code's stop; "
        "then verify again",
    ]
    assert (
        "docker push 298717586028.dkr.ecr.us-east-1.amazonaws.com/"
        "content-marketing-swarm-backend:latest"
    ) in actions
    assert "--service content-marketing-swarm-dev-backend-service --force-new-deployment" in actions
    assert "aws ecs wait services-stable --cluster content-marketing-swarm-dev-cluster" in actions
    assert (
        "aws logs tail /ecs/content-marketing-swarm-dev --since 10m --filter-pattern "
        '\'?"Requested platforms" ?"requested_platforms=" '
    ) in actions
    assert "1 check could not be completed (F4): fix the cause, then run" in actions


def test_checklist_ticks_from_the_checks(not_deployed: Bundle, verified: Bundle) -> None:
    failing = md(not_deployed).split("## Verification Checklist", 1)[1]
    assert (
        "- [ ] The image `content-marketing-swarm-backend:latest` was pushed after every fix"
        in failing
    )
    assert "- [x] Every running task restarted on that image" in failing
    assert (
        "- [ ] Logs show: `Requested platforms`, `requested_platforms=`, "
        "`Found 3 platform sections in markdown`\n"
    ) in failing
    assert "- [ ] Logs no longer show: `, platform='linkedin'`" in failing
    assert "- [ ] User testing confirms all 3 platforms generate content" in failing
    passing = md(verified).split("## Verification Checklist", 1)[1]
    assert "- [ ]" not in passing.split("## Appendix A")[0]
    assert "- [x] Finance confirmed the totals" in passing


def test_verified_report(verified: Bundle) -> None:
    text = md(verified)
    assert "**Status:** ✔ **VERIFIED** — the hotfix is running in production" in text
    assert "None: every check passed.\n\n## Verification Checklist" in text
    assert "the local log files `logs/app-1.log`, `logs/app-2.log`" in text
    assert "18,230 events read" in text
    assert "- **Observed running** by `cart-total.logs_expected`." in text
    assert "## Root Cause" not in text  # notes sections vanish when not given
    assert "## Lessons Learned" not in text


def test_inconclusive_report_says_why(inconclusive: Bundle) -> None:
    text = md(inconclusive)
    assert text.count("\n## ") >= 7
    assert "**Status:** ⚠ **INCONCLUSIVE**" in text
    assert (
        "the registry could not be asked: ecr:DescribeImages failed: AccessDeniedException" in text
    )
    assert "the running tasks could not be listed: ecs:DescribeTasks failed" in text
    assert "**The logs could not be read:** logs:FilterLogEvents failed: ReadTimeout" in text
    assert "12 checks could not be completed (F1, F2, F3, F4, F5, F6): fix the cause" in text
    # One missing piece of evidence, said once for the two checks that need it.
    assert text.count("ecs:DescribeTasks failed: AccessDeniedException (not authorized)") == 2
    assert "**Incident:**" not in text


def test_footer_cites_the_bundle(not_deployed: Bundle) -> None:
    text = md(not_deployed)
    assert text.endswith(
        "Generated 2025-11-26T10:50:00+00:00 by reporter 0.1.0 from the evidence bundle with "
        f"SHA-256 `{bundle_sha256(not_deployed)}`.\n"
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
    assert text.count("# not a heading") == 1  # said once: in the checklist


def _evolve(bundle: Bundle, **evidence: object) -> Bundle:
    return bundle.model_copy(update={"evidence": bundle.evidence.model_copy(update=evidence)})


def test_partial_verdict_line(not_deployed: Bundle) -> None:
    first = not_deployed.hotfixes[0].model_copy(update={"verdict": HotfixVerdict.DEPLOYED})
    bundle = not_deployed.model_copy(
        update={"verdict": Verdict.PARTIAL, "hotfixes": (first, *not_deployed.hotfixes[1:])}
    )
    text = md(bundle)
    assert (
        "**Status:** ✘ **PARTIAL** — only 1 of the 3 hotfixes is running in production; "
        "2 are not  \n"
    ) in text
    assert "| 1 | Multi-Platform Parsing | ✔ DEPLOYED |" in text


def test_without_service_and_code(not_deployed: Bundle) -> None:
    spec = not_deployed.spec.model_copy(update={"service": None, "code": None})
    bundle = _evolve(not_deployed.model_copy(update={"spec": spec}), service=None, code=None)
    text = md(bundle)
    assert "- **Service:** not checked (no `[service]` in the spec)." in text
    assert "- **Code:** not looked at (no `[code]` in the spec); fixed by commit" in text
    assert "Restart the service" not in text


def test_service_and_image_not_found(not_deployed: Bundle) -> None:
    image = ImageEvidence(
        repository="backend", tag="v9", not_found_reason="ImageNotFoundException: no such tag"
    )
    service = ServiceEvidence(cluster="c", name="s", not_found_reason="MISSING")
    text = md(_evolve(not_deployed, image=image, service=service))
    assert (
        "- **Image:** the tag `v9` was not found in the repository `backend`: "
        "ImageNotFoundException: no such tag." in text
    )
    assert "- **Service:** `s` was not found in cluster `c`: MISSING." in text


def test_service_error(not_deployed: Bundle) -> None:
    error = EvidenceError(operation="ecs:DescribeServices", code="Throttling", message="slow down")
    service = ServiceEvidence(cluster="c", name="s", error=error)
    text = md(_evolve(not_deployed, service=service))
    assert "could not be described: ecs:DescribeServices failed: Throttling (slow down)." in text


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
    assert (
        "- **Code:** `backend/app/api/websocket.py` does **not** hold `Requested platforms`" in text
    )
    assert (
        "could not be read for `platform sections`: read file failed: PermissionError (no)" in text
    )
    assert (
        "Commit the missing code first: `backend/app/api/websocket.py` does not contain "
        "`Requested platforms`."
    ) in text
    gone = markers[0].model_copy(update={"file_exists": False, "found": False})
    text = md(_evolve(not_deployed, code=code.model_copy(update={"markers": (gone,)})))
    assert (
        "`backend/app/api/websocket.py` does not exist (looked for `Requested platforms`)" in text
    )


def test_unstable_service_and_many_files(verified: Bundle) -> None:
    checks = tuple(
        c.model_copy(update={"status": Status.FAIL}) if c.id == "service.stable" else c
        for c in verified.checks
    )
    logs = verified.evidence.logs.model_copy(
        update={"files": tuple(f"logs/app-{n}.log" for n in range(1, 6))}
    )
    text = md(_evolve(verified.model_copy(update={"checks": checks}), logs=logs))
    assert "# 1. Find out why the service is not stable\naws ecs describe-services" in text
    assert "5 local log files (named in Appendix B)" in text
    assert "ZGREP_FILES=(logs/app-1.log logs/app-2.log logs/app-3.log" in text


def test_file_logs_verification_commands(verified: Bundle) -> None:
    logs = verified.evidence.logs
    unseen = tuple(
        LogMatch(text=m.text, kinds=m.kinds) if "expected" in m.kinds else m for m in logs.matches
    )
    bundle = judged(_evolve(verified, logs=logs.model_copy(update={"matches": unseen})))
    assert {c.id: c.status for c in bundle.checks}["cart-total.logs_expected"] is Status.FAIL
    text = md(bundle)
    # The files once, in Appendix B's arrays; one search for the unseen texts (zgrep reads
    # gzip too).
    assert "ZGREP_FILES=(logs/app-1.log logs/app-2.log)\n" in text
    verify = text.split("## Required Actions", 1)[1].split("\n## ", 1)[0]
    assert (
        "zgrep -F -e 'cart total rounded half-even' -- \"${ZGREP_FILES[@]}\" </dev/null\n" in verify
    )
    assert "logs/app-1.log" not in verify
    assert "reporter verify SPEC.toml\n" in verify


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
    assert (
        "- **Expected logs:** `Requested platforms`: not seen in the window; "
        "`WebSocket client connected`: seen in the window (F"
    ) in text
    assert "2025-11-26T10:48:36Z [ecs/backend/9f1c2d3e] WebSocket client connected: cfeb" in text
