"""The timeline: every dated fact in order with its offset from the claimed deployment, drawn
as Mermaid (Markdown) and as the project's SVG (HTML, PDF); readable with many tasks and texts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from reporter.model import Bundle, LogExcerpt, LogMatch, TaskEvidence
from reporter.render import OutputFormat, render
from reporter.render.filters import mermaid
from reporter.render.timeline import TASK_ROWS, TEXT_ROWS, build_timeline, draw
from tests.render.conftest import at, incident_spec, judged, make_not_deployed

MERMAID_TASK = re.compile(
    r"^  \d+ [^:#;%`\n]* :(crit, )?(milestone, )?"
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d, (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|0m)$"
)


def numbers(bundle: Bundle) -> dict[str, int]:
    return {h.id: n for n, h in enumerate(bundle.hotfixes, start=1)}


def mermaid_block(md: str) -> list[str]:
    return md.split("```mermaid\n", 1)[1].split("\n```", 1)[0].splitlines()


def test_the_demo_timeline_in_order_with_offsets() -> None:
    from reporter.demo import demo_bundle

    bundle = demo_bundle()
    timeline = build_timeline(bundle, numbers(bundle))
    kinds = [m.kind for m in timeline.moments]
    assert kinds == [
        "image_created",
        "image_pushed",
        "deployment_created",
        "task_started",
        "task_started",
        "deployment_updated",
        "fix",
        "claimed",
        "text_first",
        "text_last",
        "report",
    ]
    assert [m.at for m in timeline.moments] == sorted(m.at for m in timeline.moments)
    fix = timeline.moments[6]
    assert fix.hotfixes == (1, 2, 3)  # one commit fixed the three: one row
    assert fix.commit is not None
    assert fix.commit.startswith("81e3364")
    last = timeline.moments[9]
    assert last.since_claim // timedelta(seconds=1) == 1 * 3600 + 49 * 60 + 43
    md = render(bundle, OutputFormat.MD).decode("utf-8")
    assert (
        "| 10 | 2025-11-26 10:49:43 | Retired text last seen: , platform='linkedin' | +1 h 49 min |"
    ) in md
    assert "| 2 | 2025-11-25 21:54:59 | Image pushed to the registry | \u221211 h 5 min |" in md


def test_the_mermaid_block_is_a_gantt_chart_of_the_same_rows() -> None:
    bundle = make_not_deployed()
    md = render(bundle, OutputFormat.MD).decode("utf-8")
    lines = mermaid_block(md)
    assert lines[:4] == [
        "gantt",
        "  dateFormat YYYY-MM-DD HH:mm:ss",
        "  axisFormat %H:%M",
        "  todayMarker off",
    ]
    for line in lines[4:]:
        assert MERMAID_TASK.match(line), line
    # A text's first and last sighting are one bar (its last sighting has a row in the table).
    assert any(":crit, 2025-11-26 10:49:43, 2025-11-26 10:49:43" not in line for line in lines)


def test_mermaid_labels_cannot_change_the_chart() -> None:
    assert mermaid("Parsed item #1: platform='x'; %% comment `code` {x}") == (
        "Parsed item 1 platform='x' comment code x"
    )
    assert mermaid("line\nbreak\x1b[31m") == "line x0abreak x1b[31m"  # escapes, then cut
    assert len(mermaid("x" * 500)) == 60


def many_tasks_and_texts(tasks: int, texts: int) -> Bundle:
    """The incident with ``tasks`` running tasks and ``texts`` retired texts, all seen."""
    base = make_not_deployed()
    retired = [f"old-{n:02d}" for n in range(texts)]
    spec = incident_spec(
        hotfix=[
            {
                "id": "force-task-restart",
                "title": "Force Task Restart",
                "expect_logs": ["requested_platforms="],
                "retired_logs": retired,
            }
        ]
    )
    service = base.evidence.service
    assert service is not None
    template = service.tasks[0]
    running = tuple(
        TaskEvidence.model_validate(
            {
                **template.model_dump(),
                "arn": template.arn[:-4] + f"{n:04x}",
                "started_at": at("2025-11-25T22:00:00") + timedelta(minutes=n),
            }
        )
        for n in range(tasks)
    )
    matches = tuple(
        LogMatch(
            text=text,
            kinds=("retired",),
            count=3,
            first_seen=at("2025-11-26T09:10:00") + timedelta(minutes=n),
            last_seen=at("2025-11-26T10:10:00") + timedelta(minutes=n),
            excerpts=(
                LogExcerpt(
                    timestamp=at("2025-11-26T10:10:00") + timedelta(minutes=n),
                    stream="ecs/backend/1",
                    message=f"{text} still here",
                ),
            ),
        )
        for n, text in enumerate(retired)
    )
    logs = base.evidence.logs.model_copy(
        update={"matches": (*base.evidence.logs.matches, *matches)}
    )
    evidence = base.evidence.model_copy(
        update={
            "service": service.model_copy(
                update={
                    "tasks": running,
                    "listed_tasks": tuple(t.arn for t in running),
                    "running_count": tasks,
                    "desired_count": tasks,
                }
            ),
            "logs": logs,
        }
    )
    return judged(base.model_copy(update={"spec": spec, "evidence": evidence}))


@pytest.mark.parametrize(("tasks", "texts"), [(12, 10), (60, 40)])
def test_many_tasks_and_texts_stay_readable(tasks: int, texts: int) -> None:
    bundle = many_tasks_and_texts(tasks, texts)
    timeline = build_timeline(bundle, numbers(bundle))
    kinds = [m.kind for m in timeline.moments]
    assert timeline.grouped_tasks == tasks
    assert kinds.count("task_started") == 0
    assert kinds.count("tasks_first") == kinds.count("tasks_last") == 1
    grouped = texts + 1 - TEXT_ROWS  # and the incident's own retired text
    assert timeline.grouped_texts == grouped
    assert kinds.count("text_first") == TEXT_ROWS
    assert kinds.count("texts_first") == kinds.count("texts_last") == 1
    # The same number of rows whatever the number of tasks and texts.
    assert len(timeline.moments) <= 4 + 2 + TEXT_ROWS * 2 + 2 + 4
    md = render(bundle, OutputFormat.MD).decode("utf-8")
    assert (
        f"To stay readable, {tasks} task starts, {grouped} more texts are shown as "
        "their earliest and latest"
    ) in md
    assert f"| First of {tasks} running tasks started |" in md
    assert f"| Last sighting of {grouped} more texts |" in md
    for line in mermaid_block(md)[4:]:
        assert MERMAID_TASK.match(line), line


def test_a_few_tasks_are_shown_one_by_one() -> None:
    bundle = many_tasks_and_texts(TASK_ROWS, 1)
    timeline = build_timeline(bundle, numbers(bundle))
    assert [m.kind for m in timeline.moments].count("task_started") == TASK_ROWS
    assert timeline.grouped_tasks == 0


def test_the_drawing_lays_every_row_on_one_axis() -> None:
    bundle = many_tasks_and_texts(12, 10)
    timeline = build_timeline(bundle, numbers(bundle))
    drawing = draw(timeline)
    assert drawing is not None
    assert len(drawing.rows) == len(timeline.moments)
    xs = [row.x for row in drawing.rows]
    assert xs == sorted(xs)  # time runs left to right
    assert all(drawing.chart_left <= x <= drawing.chart_right for x in xs)
    assert 2 <= len(drawing.ticks) <= 8
    ys = [row.y for row in drawing.rows]
    assert ys == sorted(ys)
    assert len(set(ys)) == len(ys)
    assert drawing.height > ys[-1]


def test_the_svg_is_well_formed_and_escapes_its_labels() -> None:
    spec = incident_spec(
        hotfix=[
            {
                "id": "force-task-restart",
                "title": "Force Task Restart",
                "expect_logs": ["requested_platforms="],
                "retired_logs": ["</text><script>alert(1)</script>"],
            }
        ]
    )
    base = make_not_deployed()
    seen = LogMatch(
        text="</text><script>alert(1)</script>",
        kinds=("retired",),
        count=1,
        first_seen=at("2025-11-26T10:00:00"),
        last_seen=at("2025-11-26T10:00:00"),
    )
    logs = base.evidence.logs.model_copy(update={"matches": (*base.evidence.logs.matches, seen)})
    bundle = judged(
        base.model_copy(
            update={"spec": spec, "evidence": base.evidence.model_copy(update={"logs": logs})}
        )
    )
    page = render(bundle, OutputFormat.HTML).decode("utf-8")
    svg = page.split('<figure class="timeline">', 1)[1].split("<figcaption>", 1)[0]
    root = ET.fromstring(svg)  # noqa: S314 - our own output; well-formed: nothing closed
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "<script>" not in svg
    labels = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any("</text><script>" in label for label in labels)
