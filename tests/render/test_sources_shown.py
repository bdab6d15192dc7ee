"""The report shows what each source was: every local file read, and the image's labels."""

from __future__ import annotations

from datetime import UTC, datetime

from reporter.model import EvidenceError, FileStats, ImageConfigEvidence
from reporter.render import OutputFormat, render
from tests.render.conftest import judged, make_not_deployed, make_verified

T = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)


def test_each_local_file_read_is_shown_with_what_reading_it_found() -> None:
    bundle = make_verified()
    stats = (
        FileStats(
            path="logs/app-1.log",
            bytes_read=2_411_000,
            lines=18_300,
            events=18_230,
            events_in_window=18_000,
            undated_lines=70,
            first_timestamp=T,
            last_timestamp=datetime(2025, 11, 26, 12, 0, tzinfo=UTC),
        ),
        FileStats(
            path="logs/app-2.log.gz",
            compression="gzip",
            bytes_read=1024,
            lines=3,
            events=2,
            error=EvidenceError(operation="read file", code="EOFError", message="truncated"),
        ),
    )
    logs = bundle.evidence.logs.model_copy(
        update={"file_stats": stats, "files": tuple(s.path for s in stats), "outside_window": 230}
    )
    bundle = judged(
        bundle.model_copy(update={"evidence": bundle.evidence.model_copy(update={"logs": logs})})
    )
    md = render(bundle, OutputFormat.MD).decode("utf-8")
    row = next(line for line in md.splitlines() if line.startswith("| logs/app-1.log |"))
    for fact in ("2.3 MiB", "18,300", "18,230 (18,000)", "| 70 |", "2025-11-26 09:00:00 UTC"):
        assert fact in row, row
    broken = next(line for line in md.splitlines() if line.startswith("| logs/app-2.log.gz"))
    assert "(gzip)" in broken
    assert "EOFError" in broken
    assert "230 dated events lie outside the window: read, not counted." in md


def test_the_image_labels_are_shown_once() -> None:
    bundle = make_not_deployed()
    config = ImageConfigEvidence(
        revision_label="org.opencontainers.image.revision",
        revision="e017c2ac683d",
        labels={
            "org.opencontainers.image.revision": "e017c2ac683d",
            "org.opencontainers.image.created": "2025-11-25T21:50:31Z",
            "org.opencontainers.image.source": "https://github.com/example/backend",
            "org.opencontainers.image.version": "2025.11.25-2149",
        },
    )
    bundle = judged(
        bundle.model_copy(
            update={"evidence": bundle.evidence.model_copy(update={"image_config": config})}
        )
    )
    md = render(bundle, OutputFormat.MD).decode("utf-8")
    line = next(line for line in md.splitlines() if line.startswith("- **Image labels:**"))
    assert "`org.opencontainers.image.source` = `https://github.com/example/backend`" in line
    assert "`org.opencontainers.image.version` = `2025.11.25-2149`" in line
    assert "image.revision`" not in line  # shown as the code version
    assert "image.created`" not in line  # shown in the timeline
