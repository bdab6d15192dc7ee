"""``--format summary``: at most 15 lines of Markdown for a ticket comment."""

from __future__ import annotations

from pathlib import Path

import pytest

from reporter.model import Bundle
from reporter.render import OutputFormat, render, write_reports
from reporter.render.summary import MAX_LINES, append_step_summary, render_summary
from tests.render.conftest import incident_spec, make_not_deployed


def summary(bundle: Bundle, files: tuple[str, ...] = ("hotfix.pdf", "hotfix.md")) -> str:
    return render_summary(bundle, report_files=files)


def test_the_incident_in_a_few_lines(not_deployed: Bundle) -> None:
    text = summary(not_deployed)
    lines = text.splitlines()
    assert len(lines) <= MAX_LINES
    assert lines[0] == (
        "**✘ NOT_DEPLOYED** — none of the 3 hotfixes is running in production · INC-2025-1126 "
        "· evidence read 2025-11-26 10:50:00 UTC"
    )
    assert "- ✘ Multi-Platform Parsing (`multi-platform-parsing`): NOT_DEPLOYED (F1, F3)" in lines
    assert text.count("\n- ") == 3  # one line per hotfix
    why = next(line for line in lines if line.startswith("**Why:**"))
    assert why.startswith("**Why:** **F1** the image predates the fix (hotfixes 1, 3); **F2**")
    assert (
        lines[-1]
        == "Full report: `hotfix.pdf` (also `hotfix.md`) · reproduce: `reporter verify hotfix.toml`"
    )


def test_a_verified_report_says_what_proved_it(verified: Bundle) -> None:
    text = summary(verified, ("checkout.html",))
    assert text.startswith("**✔ VERIFIED** — the hotfix is running in production · evidence")
    assert "**Proof:** every check passed (7); Cart total rounding observed running by " in text
    assert "Full report: `checkout.html` ·" in text


def test_an_inconclusive_report_names_what_is_missing(inconclusive: Bundle) -> None:
    text = summary(inconclusive)
    assert len(text.splitlines()) <= MAX_LINES
    assert "**Why:** **F1** unknown: the image in the registry (all 3 hotfixes);" in text
    assert "(all 3 hotfixes); and 3 more.\n" in text  # the other findings counted


@pytest.mark.parametrize("count", [1, 8, 9, 40, 100])
def test_never_more_than_15_lines_whatever_the_number_of_hotfixes(count: int) -> None:
    hotfixes = [
        {"id": f"fix-{n}", "title": f"Fix {n}", "expect_logs": [f"text {n}"]} for n in range(count)
    ]
    bundle = make_not_deployed(spec=incident_spec(hotfix=hotfixes))
    text = summary(bundle)
    lines = text.splitlines()
    assert len(lines) <= MAX_LINES
    listed = [line for line in lines if line.startswith("- ⚠ Fix ")]  # no fix time: unknown
    assert len(listed) == (count if count <= 8 else 7)
    if count > 8:
        assert f"- … and {count - 7} more hotfixes (see the report)" in lines
    assert all(len(line) < 2000 for line in lines)


def test_the_summary_file_names_the_reports_written_with_it(
    not_deployed: Bundle, tmp_path: Path
) -> None:
    paths = write_reports(
        not_deployed, [OutputFormat.SUMMARY, OutputFormat.MD, OutputFormat.JSON], tmp_path, "inc"
    )
    assert [p.name for p in paths] == ["inc.summary.md", "inc.md", "inc.json"]
    text = paths[0].read_text(encoding="utf-8")
    assert "Full report: `inc.md` (also `inc.json`) ·" in text
    alone = render(not_deployed, OutputFormat.SUMMARY).decode("utf-8")
    assert "Full report" not in alone
    assert alone.splitlines()[-1] == "reproduce: `reporter verify hotfix.toml`"


def test_titles_and_ids_stay_text(not_deployed: Bundle) -> None:
    spec = incident_spec(incident="<b>INC</b> | x", title="T")
    text = summary(make_not_deployed(spec=spec))
    assert "&lt;b>INC&lt;/b> \\| x" in text


def test_the_step_summary_is_appended_only_when_asked(not_deployed: Bundle, tmp_path: Path) -> None:
    assert append_step_summary(not_deployed, (), environ={}) is None
    target = tmp_path / "summary.md"
    written = append_step_summary(
        not_deployed, ("x.pdf",), environ={"GITHUB_STEP_SUMMARY": str(target)}
    )
    assert written == target
    again = append_step_summary(
        not_deployed, ("x.pdf",), environ={"GITHUB_STEP_SUMMARY": str(target)}
    )
    assert again == target
    once = summary(not_deployed, ("x.pdf",))
    assert target.read_text(encoding="utf-8") == (once + "\n") * 2
