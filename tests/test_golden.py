"""Golden files: the demo's Markdown report and evidence bundle, byte for byte.

A missing golden fails. To accept a deliberate change, regenerate with
``pytest tests/test_golden.py --update-golden`` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reporter.demo import demo_bundle
from reporter.model import Bundle
from reporter.render import OutputFormat, render

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    return demo_bundle()


@pytest.mark.parametrize(
    ("fmt", "name"), [(OutputFormat.MD, "demo.md"), (OutputFormat.JSON, "demo.json")]
)
def test_demo_matches_golden(
    bundle: Bundle, request: pytest.FixtureRequest, fmt: OutputFormat, name: str
) -> None:
    produced = render(bundle, fmt)
    golden = GOLDEN / name
    if request.config.getoption("--update-golden"):
        golden.write_bytes(produced)
    assert golden.is_file(), (
        f"missing golden file {golden}: run pytest --update-golden and review it"
    )
    assert produced.decode("utf-8") == golden.read_text(encoding="utf-8")


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
    assert "107:" in md
