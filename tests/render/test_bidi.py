"""Bidirectional controls never reach an output raw: they show as visible escapes.

A "Trojan Source" line (U+202E RIGHT-TO-LEFT OVERRIDE and friends) reads on screen in
another order than it holds. In collected text, the spec's text and a received bundle, each
of U+202A-U+202E, U+2066-U+2069, U+200E, U+200F and U+061C shows as ``\\u202e`` in the
Markdown, HTML, PDF and JSON reports and on the terminal of ``reporter render``.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from reporter.checks import judge, run_checks
from reporter.cli import main
from reporter.model import Bundle, EvidenceError, ImageEvidence, Status
from reporter.render import OutputFormat, render
from reporter.render.json import dump_bundle, load_bundle
from reporter.text import BIDI_CONTROLS, visible
from tests.render.conftest import incident_spec, make_not_deployed

CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
RAW = re.compile(f"[{CONTROLS}]")
TROJAN = "access = 'user\u202e \u2066// admin\u2069 \u2066'"
"""A line that reads as ``access = 'user // admin'`` and holds something else."""
SHOWN = "access = 'user\\u202e \\u2066// admin\\u2069 \\u2066'"


def test_the_list_is_complete() -> None:
    assert set(BIDI_CONTROLS) == set(CONTROLS)


@pytest.mark.parametrize("char", CONTROLS)
def test_visible_escapes_each_control(char: str) -> None:
    assert visible(f"a{char}b") == f"a\\u{ord(char):04x}b"
    assert visible(f"a{char}b", keep_newlines=False) == f"a\\u{ord(char):04x}b"


def hostile_bundle() -> Bundle:
    """Raw bidirectional controls everywhere a received bundle can hold text."""
    spec = incident_spec(
        title=f"Report {TROJAN}",
        incident=f"INC {TROJAN}",
        notes={"summary": f"Note {TROJAN}", "lessons": f"- lesson {TROJAN}"},
        checklist=[{"item": f"Item {TROJAN}"}],
    )
    bundle = make_not_deployed(f"old line {TROJAN}", spec=spec)
    checks = tuple(
        c.model_copy(update={"summary": f"{c.summary} {TROJAN}"}) if c.status is Status.FAIL else c
        for c in bundle.checks
    )
    return bundle.model_copy(update={"checks": checks})


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    return hostile_bundle()


@pytest.mark.parametrize("fmt", [OutputFormat.MD, OutputFormat.HTML])
def test_text_formats_show_escapes(bundle: Bundle, fmt: OutputFormat) -> None:
    text = render(bundle, fmt).decode("utf-8")
    assert RAW.search(text) is None
    assert SHOWN in text.replace("&#x27;", "'").replace("&#39;", "'")


def test_pdf_shows_escapes(bundle: Bundle) -> None:
    data = render(bundle, OutputFormat.PDF)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert RAW.search(text) is None
    assert "\\u202e" in text
    assert "\\u2066//admin\\u2069" in re.sub(r"\s+", "", text)


def test_json_bundle_writes_escapes_and_reads_back_the_same(bundle: Bundle, tmp_path: Path) -> None:
    data = dump_bundle(bundle)
    assert RAW.search(data.decode("utf-8")) is None
    assert b"\\u202e" in data
    json.loads(data)  # still JSON
    path = tmp_path / "bundle.json"
    path.write_bytes(data)
    assert load_bundle(path) == bundle
    assert dump_bundle(load_bundle(path)) == data


def test_json_escapes_every_control_a_terminal_would_obey(tmp_path: Path) -> None:
    message = "c1 \x9b31m del \x7f ls \u2028 ps \u2029 " + CONTROLS
    bundle = make_not_deployed(message)
    text = dump_bundle(bundle).decode("utf-8")
    assert re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", text) is None
    assert RAW.search(text) is None
    assert "c1 \\u009b31m del \\u007f ls \\u2028 ps \\u2029" in text


def test_render_terminal_shows_escapes(
    bundle: Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A received bundle whose checks follow from its evidence: the registry's error message
    # holds the controls, and image.found's summary (printed on the terminal) quotes it.
    error = EvidenceError(
        operation="ecr:DescribeImages", code="AccessDenied", message=f"registry said {TROJAN}"
    )
    evidence = bundle.evidence.model_copy(
        update={"image": ImageEvidence(repository="backend", tag="latest", error=error)}
    )
    checks = run_checks(bundle.spec, evidence)
    hotfixes, verdict = judge(bundle.spec, checks)
    received = bundle.model_copy(
        update={
            "evidence": evidence,
            "checks": tuple(checks),
            "hotfixes": tuple(hotfixes),
            "verdict": verdict,
        }
    )
    path = tmp_path / "bundle.json"
    path.write_bytes(dump_bundle(received))
    code = main(["render", str(path), "-o", str(tmp_path / "out"), "-f", "md"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert RAW.search(out + err) is None
    assert f"registry said {SHOWN}" in out
