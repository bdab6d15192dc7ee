"""``--template postmortem``: the Google SRE postmortem sections, from the evidence and the
author's notes; a section with nothing to say is left out."""

from __future__ import annotations

from reporter.model import Bundle
from reporter.render import OutputFormat, TemplateSet, render
from tests.render.conftest import incident_spec, make_not_deployed
from tests.render.test_markdown import headings

SECTIONS = [
    "Summary",
    "Impact",
    "Root Causes",
    "Trigger",
    "Resolution",
    "Detection",
    "Action Items",
    "Lessons Learned",
    "Timeline",
    "Appendix A: All Checks",
    "Appendix B: Commands (run in the spec's folder)",
]


def postmortem(bundle: Bundle, fmt: OutputFormat = OutputFormat.MD) -> str:
    return render(bundle, fmt, template=TemplateSet.POSTMORTEM).decode("utf-8")


def h2(text: str) -> list[str]:
    return headings(text, 2)


def test_the_sections_of_a_postmortem(not_deployed: Bundle) -> None:
    text = postmortem(not_deployed)
    assert text.startswith("# Postmortem: Hotfix Verification Report\n")
    assert h2(text) == SECTIONS
    # Filled from the evidence: the root causes are the findings about the image and code,
    # the detection the ones about the logs; each said once.
    causes = text.split("## Root Causes", 1)[1].split("## Trigger", 1)[0]
    assert "**F1 ✘ The image predates the fix**" in causes
    assert "The old code is still logging" not in causes
    detection = text.split("## Detection", 1)[1].split("## Action Items", 1)[0]
    assert "**F2 ✘ The old code is still logging**" in detection
    assert "had been pushed **11 h 5 min before** it (2025-11-25 21:54:59 UTC)" in text
    assert "the old code was still logging `, platform='linkedin'` 1 h 49 min after" in text
    assert "For at least **1 h 50 min**" in text
    assert "| Build and push the image, labelled with its commit | mitigate | open |" in text
    # The author's notes land in their sections.
    assert "1. **Documentation created but deployment skipped.**" in causes
    assert "- Always check the logs after a deployment." in text


def test_sections_with_nothing_to_say_are_left_out(verified: Bundle) -> None:
    text = postmortem(verified)
    headings = h2(text)
    assert "Root Causes" not in headings  # nothing failed, no root_cause note
    assert "Impact" not in headings  # deployed, no impact note
    assert "Action Items" not in headings  # nothing to do
    assert "Lessons Learned" not in headings
    assert "Resolved: every hotfix is running in production, observed by" in text
    assert headings[:3] == ["Summary", "Trigger", "Resolution"]


def test_the_postmortem_in_html_and_pdf(not_deployed: Bundle) -> None:
    page = postmortem(not_deployed, OutputFormat.HTML)
    assert "<h1>Postmortem: Hotfix Verification Report</h1>" in page
    assert '<figure class="timeline">' in page
    assert render(not_deployed, OutputFormat.PDF, template=TemplateSet.POSTMORTEM).startswith(
        b"%PDF-"
    )


def test_the_authors_summary_comes_first() -> None:
    spec = incident_spec(notes={"summary": "Three fixes were **documented**, none shipped."})
    text = postmortem(make_not_deployed(spec=spec))
    summary = text.split("## Summary\n\n", 1)[1]
    assert summary.startswith("Three fixes were **documented**, none shipped.\n")
