"""``--format summary``: at most 15 lines of Markdown to paste into a ticket comment.

The verdict, one line per hotfix (past :data:`HOTFIX_LINES` of them, the first ones and
"and N more"), the decisive findings (the first :data:`FINDINGS_SHOWN`, by title), the
report's file name and the command that reproduces the run. The facts are the report's
(:mod:`reporter.render.view`); ``summary.md.j2`` words them.

:func:`append_step_summary` appends the same text to the file ``$GITHUB_STEP_SUMMARY``
names, when that variable is set (GitHub Actions shows it on the run's page).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reporter.model import Bundle
from reporter.render.environment import environment
from reporter.render.findings import Finding
from reporter.render.json import bundle_sha256
from reporter.render.view import HotfixView, ReportView, build_view

TEMPLATE = "summary.md.j2"
MAX_LINES = 15
"""The summary never has more lines than this (a ticket comment, a Slack message)."""
HOTFIX_LINES = 8
"""Hotfix lines shown; past this many hotfixes, one fewer and "and N more"."""
FINDINGS_SHOWN = 3
"""Findings named; the rest counted."""
STEP_SUMMARY = "GITHUB_STEP_SUMMARY"
"""The variable GitHub Actions sets to the file a step appends its summary to."""
REPORT_PREFERENCE = ("pdf", "html", "md", "json")
"""Which written file the summary names as the report, the first found."""


@dataclass(frozen=True)
class SummaryView:
    """What the summary shows: a few facts of the report's view."""

    view: ReportView
    hotfixes: tuple[HotfixView, ...]
    """The hotfixes listed (all, or the first ones)."""
    more_hotfixes: int
    """Hotfixes not listed."""
    findings: tuple[Finding, ...]
    """The decisive findings named (failures first, causes first)."""
    more_findings: int
    report: str | None
    """The report's file name (the PDF when there is one)."""
    others: tuple[str, ...]
    """The other files written beside it."""


def summary_view(bundle: Bundle, report_files: Sequence[str] = ()) -> SummaryView:
    """The summary's facts; ``report_files`` are the names of the files written with it."""
    view = build_view(bundle, bundle_sha256(bundle))
    hotfixes = view.hotfixes
    shown = hotfixes if len(hotfixes) <= HOTFIX_LINES else hotfixes[: HOTFIX_LINES - 1]
    by_extension = {name.rsplit(".", 1)[-1]: name for name in report_files}
    report = next((by_extension[e] for e in REPORT_PREFERENCE if e in by_extension), None)
    return SummaryView(
        view=view,
        hotfixes=shown,
        more_hotfixes=len(hotfixes) - len(shown),
        findings=view.findings[:FINDINGS_SHOWN],
        more_findings=max(0, len(view.findings) - FINDINGS_SHOWN),
        report=report,
        others=tuple(n for n in report_files if n != report),
    )


def render_summary(
    bundle: Bundle, template_dir: Path | None = None, report_files: Sequence[str] = ()
) -> str:
    """The summary's Markdown (at most :data:`MAX_LINES` lines with the packaged template)."""
    template = environment(template_dir).get_template(TEMPLATE)
    text = template.render(summary=summary_view(bundle, report_files))
    return text.rstrip("\n") + "\n"


class SummaryRenderer:
    """The ``summary`` format."""

    def __init__(self, template_dir: Path | None = None, report_files: Sequence[str] = ()) -> None:
        self.template_dir = template_dir
        self.report_files = tuple(report_files)

    def render(self, bundle: Bundle) -> bytes:
        """The summary, UTF-8."""
        return render_summary(bundle, self.template_dir, self.report_files).encode("utf-8")


def append_step_summary(
    bundle: Bundle,
    report_files: Sequence[str] = (),
    template_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Path | None:
    """Append the summary to the file ``$GITHUB_STEP_SUMMARY`` names, when it is set.

    Returns the file appended to (None: the variable is not set). Raises :class:`OSError`
    when the file cannot be written: the caller says so and goes on (the reports are
    written).
    """
    env = os.environ if environ is None else environ
    target = env.get(STEP_SUMMARY)
    if not target:
        return None
    text = render_summary(bundle, template_dir, report_files)
    path = Path(target)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text + "\n")
    return path
