"""The PDF report: a real PDF with the report's text, laid out without any fetch."""

from __future__ import annotations

import functools
import io
import re
from typing import Any

import pytest
from pypdf import PdfReader

from reporter.model import Bundle
from reporter.render import OutputFormat, render
from reporter.render.pdf import FetchRefused, html_to_pdf, refusing_fetcher
from tests.render.conftest import (
    incident_spec,
    make_inconclusive,
    make_not_deployed,
    make_verified,
)

MAKERS = {
    "NOT_DEPLOYED": make_not_deployed,
    "VERIFIED": make_verified,
    "INCONCLUSIVE": make_inconclusive,
}


@functools.cache
def pdf_of(verdict: str) -> bytes:
    """The PDF of the hand-built bundle with ``verdict``, rendered once per process (a
    WeasyPrint run costs seconds; the tests below only read it)."""
    return render(MAKERS[verdict](), OutputFormat.PDF)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def test_pdf_holds_title_verdict_and_page_numbers() -> None:
    data = pdf_of("NOT_DEPLOYED")
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    assert pages > 1
    text = pdf_text(data)
    assert "Hotfix Verification Report" in text
    assert "NOT_DEPLOYED" in text
    assert "INC-2025-1126" in text
    assert f"page 1 of {pages}" in text
    assert f"page {pages} of {pages}" in text


def test_pdf_of_each_verdict() -> None:
    assert "VERIFIED" in pdf_text(pdf_of("VERIFIED"))
    assert "INCONCLUSIVE" in pdf_text(pdf_of("INCONCLUSIVE"))


@pytest.mark.parametrize(
    "url",
    ["http://example.com/x.png", "https://example.com/a.css", "file:///etc/passwd", "data:,x"],
)
def test_fetcher_refuses_every_url(url: str) -> None:
    fetcher = refusing_fetcher()
    with pytest.raises(FetchRefused):
        fetcher(url)
    with pytest.raises(FetchRefused):
        fetcher.fetch(url)


def test_rendering_fetches_nothing(recording_server: tuple[str, list[str]]) -> None:
    url, hits = recording_server
    spec = incident_spec(
        notes={
            "summary": f"![diagram]({url}/diagram.png) and [runbook]({url}/runbook)",
            "lessons": f"<img src='{url}/raw.png'>",
        }
    )
    data = render(make_not_deployed(spec=spec), OutputFormat.PDF)
    assert data.startswith(b"%PDF-")
    page = f'<html><head><link rel="stylesheet" href="{url}/x.css"></head>'
    page += (
        f'<body><img src="{url}/y.png"><p style="background: url({url}/z.png)">p</p></body></html>'
    )
    assert html_to_pdf(page).startswith(b"%PDF-")
    assert hits == []


# --------------------------------------------------------------------------- a document


def test_the_pdf_is_tagged_for_assistive_tools() -> None:
    reader = PdfReader(io.BytesIO(pdf_of("NOT_DEPLOYED")))
    root: Any = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en"
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()  # PDF/UA-1


def test_a_long_report_opens_with_a_table_of_contents() -> None:
    reader = PdfReader(io.BytesIO(pdf_of("NOT_DEPLOYED")))
    assert len(reader.pages) >= 4
    first = reader.pages[0].extract_text()
    assert "Contents" in first
    # Each section with the page it starts on, as WeasyPrint laid it out.
    starts = {}
    for number, page in enumerate(reader.pages, start=1):
        for heading in ("Timeline", "Appendix A: All Checks"):
            if heading not in starts and f"\n{heading}\n" in f"\n{page.extract_text()}\n":
                starts[heading] = number
    assert set(starts) == {"Timeline", "Appendix A: All Checks"}
    for heading, number in starts.items():
        assert re.search(rf"{re.escape(heading)}[ .]*{number}\b", first), (heading, number)


def test_a_short_report_has_no_table_of_contents() -> None:
    reader = PdfReader(io.BytesIO(pdf_of("VERIFIED")))
    assert len(reader.pages) < 4
    assert "Contents" not in reader.pages[0].extract_text()


def test_the_cover_shows_the_verdict_as_a_shape_and_a_word(
    not_deployed: Bundle, verified: Bundle, inconclusive: Bundle
) -> None:
    for bundle, word in (
        (not_deployed, "NOT DEPLOYED"),
        (verified, "VERIFIED"),
        (inconclusive, "INCONCLUSIVE"),
    ):
        assert bundle.verdict.value == word.replace(" ", "_")
        page = render(bundle, OutputFormat.HTML).decode("utf-8")
        cover = page.split('<header class="cover', 1)[1].split("</header>", 1)[0]
        assert f'<span class="badge-word">{word}</span>' in cover
        assert 'aria-label="Verdict: ' in cover
        shape = {"NOT DEPLOYED": '<polygon points="12.5,2', "VERIFIED": "<circle"}.get(
            word, '<polygon points="20,2 39,37 1,37"'
        )
        assert shape in cover
        first = PdfReader(io.BytesIO(pdf_of(bundle.verdict.value))).pages[0].extract_text()
        assert word in first
