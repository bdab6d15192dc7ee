"""CloudWatch benchmarks: the filter engine through a real botocore client, and Insights decoding.

- ``cloudwatch via botocore``: FilterLogEvents pages of 10,000 events answered offline
  (:mod:`tests.collect.replay`), so the figure includes botocore's parser and the shape
  check every answer goes through (:func:`reporter.collect.logs.watch_parsing`);
- ``insights decode``: a stats answer of 8191 rows (13 texts in every combination) and
  the per-text counts made from it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from reporter.collect.insights import decode_stats
from reporter.collect.logs import Boto3Logs, collect_cloudwatch, epoch_ms_window
from reporter.collect.matching import Marker
from reporter.redact import Redactor
from tests.collect.replay import Replay, keyed

Measure = Callable[[str, int, str, Callable[[], object]], None]
START = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
PAGE = 10_000


def _ms(when: datetime) -> int:
    return (when - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def bench_botocore_pages(measure: Measure, pages: int) -> None:
    base = _ms(START)
    events = [
        {
            "logStreamName": f"ecs/backend/{i % 4}",
            "timestamp": base + i,
            "message": f"INFO Parsed content item #{i}, platform='linkedin' in 41.2s",
            "ingestionTime": base + i + 250,
            "eventId": str(i),
        }
        for i in range(PAGE)
    ]
    answers: dict[str, Any] = {"FilterLogEvents live": {"events": events[:1]}}
    for n in range(pages):
        token = f"t{n + 1}" if n + 1 < pages else None
        answers[f"FilterLogEvents {f't{n}' if n else ''}"] = {
            "events": events,
            **({"nextToken": token} if token else {}),
        }
    replay = Replay(keyed(answers))
    markers = [Marker(", platform='linkedin'", ("retired",)), Marker("Requested", ("expected",))]

    def run() -> None:
        collect_cloudwatch(
            Boto3Logs(replay.client), "/ecs/app", START, START + timedelta(days=1), markers,
            Redactor(),
        )  # fmt: skip

    measure(f"cloudwatch via botocore {pages * PAGE:,} ev", pages * PAGE, "events", run)


def bench_insights_decode(measure: Measure) -> None:
    texts = [f"<T{n:02d}>" for n in range(13)]
    window = epoch_ms_window(START, START + timedelta(days=1))
    stamp = str(window[0] + 1)
    rows = [
        [
            *({"field": f"m{i}", "value": str(mask >> i & 1)} for i in range(13)),
            {"field": "matched", "value": "3"},
            {"field": "first_seen", "value": stamp},
            {"field": "last_seen", "value": stamp},
        ]
        for mask in range(1, 2**13)
    ]
    measure(
        "insights decode 8,191 rows", len(rows), "rows", lambda: decode_stats(rows, texts, window)
    )


def main(measure: Measure) -> None:
    """Every CloudWatch benchmark, printed through ``measure``."""
    bench_botocore_pages(measure, 10)
    bench_insights_decode(measure)
