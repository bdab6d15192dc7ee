"""The PDF report: the HTML report laid out by WeasyPrint, with nothing fetched.

The page has no base URL and the URL fetcher refuses every URL, so an image or stylesheet
link anywhere in the report (the author's notes included) reaches neither the network nor
the file system. WeasyPrint is imported on first use: it takes most of a second to load,
and only the PDF needs it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, NoReturn

from reporter.model import Bundle
from reporter.render.html import render_html


class FetchRefused(ValueError):
    """Raised for every URL the PDF renderer is asked to fetch."""


def refuse(url: str) -> NoReturn:
    """Refuse to fetch ``url``."""
    raise FetchRefused(f"rendering a report fetches nothing: refused {url[:200]!r}")


@functools.cache
def _fetcher_class() -> type[Any]:
    from weasyprint.urls import URLFetcher

    class RefusingFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint ships no types
        """A WeasyPrint URL fetcher that fetches nothing."""

        def fetch(self, url: str, headers: object = None) -> NoReturn:
            refuse(url)

    return RefusingFetcher


def refusing_fetcher() -> Any:
    """A WeasyPrint URL fetcher whose every fetch raises :class:`FetchRefused`."""
    return _fetcher_class()()


def html_to_pdf(page: str) -> bytes:
    """Lay out an HTML page as PDF, fetching nothing."""
    from weasyprint import HTML

    document = HTML(string=page, base_url=None, url_fetcher=refusing_fetcher())
    pdf: bytes = document.write_pdf()
    return pdf


def render_pdf(bundle: Bundle, template_dir: Path | None = None) -> bytes:
    """The PDF report for ``bundle``: the HTML report, laid out for A4."""
    return html_to_pdf(render_html(bundle, template_dir))


class PdfRenderer:
    """The ``pdf`` format."""

    def __init__(self, template_dir: Path | None = None) -> None:
        self.template_dir = template_dir

    def render(self, bundle: Bundle) -> bytes:
        """The PDF report."""
        return render_pdf(bundle, self.template_dir)
