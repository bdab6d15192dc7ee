"""``make bench``: benchmarks of the hot paths, with their throughput and peak memory.

Not part of ``make test`` (nothing here asserts a speed): numbers are printed for a person
to compare between changes. Each benchmark builds its own input in a temporary folder.

- classify: one pass of the Classifier over N events for all markers (CPU bound);
- files: streaming a generated log file (plain and gzip) through ``collect_files``, at two
  sizes, to show that peak memory does not grow with the file;
- cloudwatch: ``collect_cloudwatch`` over pages shaped like FilterLogEvents responses
  (the AWS seam replaced by recorded pages), including empty pages with a token;
- demo: the whole demo run (moto's server, seeding, concurrent collectors, checks);
- render: Markdown, HTML and PDF of the demo bundle;
- local log files against grep, engine by engine (``bench_files.py``);
- render at the limits (``bench_render.py``): each format's size and time for a bundle as
  large as a spec allows, and the HTML of notes that used to cost quadratic time.
"""

from __future__ import annotations

import gzip
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from reporter.collect.files import collect_files
from reporter.collect.logs import collect_cloudwatch
from reporter.collect.matching import Classifier, Marker
from reporter.redact import Redactor
from tests.benchmarks.bench_cloudwatch import main as cloudwatch_benchmarks
from tests.benchmarks.bench_files import bench_local_files
from tests.benchmarks.bench_render import bench_render_hostile_notes, bench_render_limits

START = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
MARKERS = [
    Marker("Requested platforms", ("expected",)),
    Marker("requested_platforms=", ("expected",)),
    Marker("Found 3 platform sections in markdown", ("expected",)),
    Marker(", platform='linkedin'", ("retired",)),
    Marker("WebSocket client connected", ("context",)),
    Marker("Streaming generation request", ("context",)),
]
LINES = [
    'INFO:     10.0.1.23:51234 - "GET /health HTTP/1.1" 200 OK',
    "WebSocket client connected: cfeb53e0-c5c9-4b99-a5c0-81196b6df540",
    "Streaming generation request: CraftyAI: Physical AI Demo...",
    "Parsing final buffered content: length=18786, platform='linkedin'",
    "Generated 3 items in 41.2s for campaign 7f3a",
]


def measure(name: str, units: int, unit: str, fn: Callable[[], object]) -> None:
    """Run ``fn`` twice: timed alone, then under tracemalloc for the peak of Python memory."""
    began = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - began
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rate = units / elapsed if elapsed else float("inf")
    print(f"{name:<36} {elapsed:8.3f} s  {rate:12,.1f} {unit}/s  peak {peak / 2**20:7.2f} MiB")


def events(n: int) -> Iterator[tuple[datetime, str, str]]:
    for i in range(n):
        yield START + timedelta(milliseconds=i), f"ecs/backend/{i % 4}", LINES[i % len(LINES)]


def bench_classify(n: int) -> None:
    def run() -> None:
        classifier = Classifier(MARKERS)
        for ts, stream, message in events(n):
            classifier.feed(ts, stream, message)
        classifier.matches(Redactor())

    measure(f"classify {n:,} events", n, "events", run)


def write_log(path: Path, n: int) -> None:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as handle:
        for ts, _, message in events(n):
            handle.write(f"{ts.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z {message}\n")
            if ts.microsecond % 7 == 0:
                handle.write("    continuation line of a stack trace\n")


def bench_files(folder: Path, n: int, suffix: str) -> None:
    path = folder / f"app-{n}{suffix}"
    write_log(path, n)

    def run() -> None:
        collect_files([path], folder, START, START + timedelta(days=1), MARKERS, Redactor())

    size = path.stat().st_size / 2**20
    measure(f"files {n:,} events ({size:.0f} MiB{suffix})", n, "events", run)


class RecordedPages:
    """The AWS seam replaced by FilterLogEvents-shaped pages (some empty, with a token)."""

    def __init__(self, n: int, page: int) -> None:
        self.n, self.page = n, page

    def filter_pages(
        self, group: str, start_ms: int, end_ms: int, pattern: str | None, limit: int | None = None
    ) -> Iterator[Mapping[str, Any]]:
        batch: list[dict[str, Any]] = []
        token = 0
        for i, (ts, stream, message) in enumerate(events(self.n)):
            batch.append(
                {
                    "logStreamName": stream,
                    "timestamp": int(ts.timestamp() * 1000),
                    "message": message,
                    "ingestionTime": 0,
                    "eventId": str(i),
                }
            )
            if len(batch) == self.page:
                token += 1
                yield {"events": batch, "nextToken": f"t{token}", "searchedLogStreams": []}
                yield {"events": [], "nextToken": f"t{token}b", "searchedLogStreams": []}
                batch = []
        yield {"events": batch, "searchedLogStreams": []}


def bench_cloudwatch(n: int) -> None:
    def run() -> None:
        collect_cloudwatch(
            RecordedPages(n, 10_000),
            "/ecs/app",
            START,
            START + timedelta(days=1),
            MARKERS,
            Redactor(),
        )

    measure(f"cloudwatch {n:,} events", n, "events", run)


def bench_demo() -> None:
    from reporter.demo import demo_bundle

    measure("demo (emulator + collect + checks)", 1, "runs", demo_bundle)


def bench_render() -> None:
    from reporter.demo import demo_bundle
    from reporter.render import OutputFormat, render

    bundle = demo_bundle()
    for fmt in (OutputFormat.MD, OutputFormat.HTML, OutputFormat.PDF):
        measure(f"render {fmt.value}", 1, "reports", partial(render, bundle, fmt))


def main() -> None:
    print(f"{'benchmark':<36} {'time':>10}  {'throughput':>18}  {'memory':>12}")
    bench_classify(100_000)
    bench_classify(500_000)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bench_files(folder, 100_000, ".log")
        bench_files(folder, 500_000, ".log")
        bench_files(folder, 500_000, ".log.gz")
    bench_cloudwatch(100_000)
    bench_cloudwatch(500_000)
    cloudwatch_benchmarks(measure)
    bench_demo()
    bench_render()
    bench_local_files()
    bench_render_hostile_notes()
    bench_render_limits()


if __name__ == "__main__":
    main()
