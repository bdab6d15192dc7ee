"""``reporter demo``: the reference incident, reproduced on moto's server started in-process.

The real collectors talk to the emulator over HTTP exactly as they talk to AWS; only the
seeding (:mod:`reporter.demo.seed`) knows it is an emulator.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from reporter.model import Bundle

DEMO_NOW = datetime(2025, 11, 26, 10, 50, tzinfo=UTC)
"""The demo report's "now": the reference report's time."""
DEMO_STEM = "hotfix-verification-report"


def demo_bundle() -> Bundle:
    """Start the emulator, seed the incident, collect and judge: the demo's bundle."""
    from reporter.collect.aws import make_clients
    from reporter.demo.seed import DEMO_SPEC_NAME, demo_spec_dir, seed_incident
    from reporter.demo.server import demo_options, emulator
    from reporter.pipeline import RunOptions, run

    with emulator() as url:
        options = demo_options(url)
        seed_incident(make_clients(options))
        return run(demo_spec_dir() / DEMO_SPEC_NAME, DEMO_NOW, RunOptions(aws=options))


def run_demo(output_dir: Path) -> tuple[list[Path], Bundle]:
    """Write the demo's Markdown and PDF reports into ``output_dir``."""
    from reporter.render import OutputFormat, write_reports

    bundle = demo_bundle()
    paths = write_reports(bundle, [OutputFormat.MD, OutputFormat.PDF], output_dir, DEMO_STEM)
    return paths, bundle
