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
from reporter.render.html import render_page
from reporter.render.json import bundle_sha256
from reporter.render.markdown import TemplateSet
from reporter.render.view import build_view


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


PDF_VARIANT = "pdf/ua-1"
"""A tagged PDF (PDF/UA-1): headings, lists, tables and reading order for assistive tools."""
TOC_MIN_PAGES = 4
"""A PDF of this many pages or more opens with a table of contents (with page numbers)."""


def _document(page: str) -> Any:
    from weasyprint import HTML

    html = HTML(string=page, base_url=None, url_fetcher=refusing_fetcher())
    return html.render(pdf_variant=PDF_VARIANT)


def html_to_pdf(page: str) -> bytes:
    """Lay out an HTML page as a tagged PDF, fetching nothing."""
    pdf: bytes = _document(page).write_pdf(pdf_variant=PDF_VARIANT)
    return pdf


def render_pdf(
    bundle: Bundle,
    template_dir: Path | None = None,
    template: TemplateSet = TemplateSet.REPORT,
) -> bytes:
    """The PDF report for ``bundle``: the HTML report for print, laid out for A4.

    A report of :data:`TOC_MIN_PAGES` pages or more opens with a table of contents whose
    page numbers WeasyPrint fills in (``target-counter``): the sections are known from a
    first conversion, the report is laid out with the table, and laid out again without it
    when it then has fewer pages (so a PDF has a table of contents exactly when it is that
    long).
    """
    view = build_view(bundle, bundle_sha256(bundle))
    plain = render_page(bundle, template_dir, template=template, target="print", view=view)
    with_toc = render_page(
        bundle,
        template_dir,
        template=template,
        target="print",
        toc=plain.headings,
        view=view,
    )
    document = _document(with_toc.html)
    if len(document.pages) < TOC_MIN_PAGES:
        document = _document(plain.html)
    pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT)
    return pdf


class PdfRenderer:
    """The ``pdf`` format."""

    def __init__(
        self, template_dir: Path | None = None, template: TemplateSet = TemplateSet.REPORT
    ) -> None:
        self.template_dir = template_dir
        self.template = template

    def render(self, bundle: Bundle) -> bytes:
        """The PDF report."""
        return render_pdf(bundle, self.template_dir, self.template)
