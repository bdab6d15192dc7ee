"""The PDF report: a real PDF with the report's text, laid out without any fetch."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from pypdf import PdfReader

from reporter.model import Bundle
from reporter.render import OutputFormat, render
from reporter.render.pdf import FetchRefused, html_to_pdf, refusing_fetcher
from tests.render.conftest import incident_spec, make_not_deployed


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def test_pdf_holds_title_verdict_and_page_numbers(not_deployed: Bundle) -> None:
    data = render(not_deployed, OutputFormat.PDF)
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


def test_pdf_of_each_verdict(verified: Bundle, inconclusive: Bundle) -> None:
    assert "VERIFIED" in pdf_text(render(verified, OutputFormat.PDF))
    assert "INCONCLUSIVE" in pdf_text(render(inconclusive, OutputFormat.PDF))


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


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - shared by the handler instances of one test

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def local_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that records every request it gets."""
    hits: list[str] = []
    handler = type("Recorder", (_Recorder,), {"hits": hits})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()
    thread.join()


def test_rendering_fetches_nothing(local_server: tuple[str, list[str]]) -> None:
    url, hits = local_server
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
