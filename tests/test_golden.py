"""Golden files: the demo's reports and evidence bundle, byte for byte.

- ``demo.md``: the Markdown report (also committed as ``docs/demo/hotfix-verification-report.md``,
  which the README links: kept equal here);
- ``demo.json``: the evidence bundle;
- ``demo.summary.md``: the ticket-comment summary (``--format summary``);
- ``demo-postmortem.md``: the report with ``--template postmortem``.

A missing golden fails. To accept a deliberate change, regenerate with
``pytest tests/test_golden.py --update-golden`` and review the diff.

The demo's report also keeps the size issue 9 asked for: its Markdown at most 60 % of the
377 lines the report had before (226), its PDF at most 5 A4 pages and under 150 KB.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from reporter.demo import DEMO_STEM, demo_bundle
from reporter.model import Bundle
from reporter.render import OutputFormat, TemplateSet, render

GOLDEN = Path(__file__).parent / "golden"
DOCS = Path(__file__).parent.parent / "docs" / "demo"
MAX_MD_LINES = 226
"""60 % of the 377 lines of the demo's Markdown before issue 9."""
MAX_PDF_PAGES = 5
MAX_PDF_BYTES = 150_000


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    return demo_bundle()


def _compare(produced: bytes, golden: Path, request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--update-golden"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(produced)
    assert golden.is_file(), (
        f"missing golden file {golden}: run pytest --update-golden and review it"
    )
    assert produced.decode("utf-8") == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("fmt", "template", "name"),
    [
        (OutputFormat.MD, TemplateSet.REPORT, "demo.md"),
        (OutputFormat.JSON, TemplateSet.REPORT, "demo.json"),
        (OutputFormat.MD, TemplateSet.POSTMORTEM, "demo-postmortem.md"),
    ],
)
def test_demo_matches_golden(
    bundle: Bundle,
    request: pytest.FixtureRequest,
    fmt: OutputFormat,
    template: TemplateSet,
    name: str,
) -> None:
    _compare(render(bundle, fmt, template=template), GOLDEN / name, request)


def test_demo_summary_matches_golden(bundle: Bundle, request: pytest.FixtureRequest) -> None:
    names = [f"{DEMO_STEM}.md", f"{DEMO_STEM}.pdf"]
    produced = render(bundle, OutputFormat.SUMMARY, report_files=names)
    _compare(produced, GOLDEN / "demo.summary.md", request)


def test_the_committed_demo_report_is_the_golden(request: pytest.FixtureRequest) -> None:
    """The README links docs/demo/: it is the golden, whatever the last `make docs` wrote."""
    golden = GOLDEN / "demo.md"
    committed = DOCS / f"{DEMO_STEM}.md"
    if request.config.getoption("--update-golden"):
        committed.parent.mkdir(parents=True, exist_ok=True)
        committed.write_bytes(golden.read_bytes())
    assert committed.read_bytes() == golden.read_bytes()


def test_demo_report_is_short(bundle: Bundle) -> None:
    md = render(bundle, OutputFormat.MD).decode("utf-8")
    assert len(md.splitlines()) <= MAX_MD_LINES
    pdf = render(bundle, OutputFormat.PDF)
    assert len(pdf) < MAX_PDF_BYTES
    assert len(PdfReader(io.BytesIO(pdf)).pages) <= MAX_PDF_PAGES


def test_demo_reaches_the_reference_conclusions(bundle: Bundle) -> None:
    statuses = {c.id: c.status.value for c in bundle.checks}
    assert bundle.verdict.value == "NOT_DEPLOYED"
    assert statuses["image.found"] == "pass"
    for fix in ("multi-platform-parsing", "force-task-restart", "parser-regex-fix"):
        assert statuses[f"{fix}.image_after_fix"] == "fail"  # the image predates the fixes
        assert statuses[f"{fix}.logs_expected"] == "fail"  # the new markers are absent
        assert statuses[f"{fix}.code_has_marker"] == "pass"  # the code exists locally
    assert statuses["force-task-restart.logs_retired"] == "fail"  # the old format is still logged
    md = render(bundle, OutputFormat.MD).decode("utf-8")
    assert "2025-11-25T21:54:59.450000+00:00" in md
    assert "Parsing final buffered content: length=18786, platform='linkedin'" in md
    assert "`backend/app/api/websocket.py:107` holds" in md
