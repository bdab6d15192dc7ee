"""``reporter demo``: the reference incident, reproduced on moto's server started in-process.

The real collectors talk to the emulator over HTTP exactly as they talk to AWS; only the
seeding (:mod:`reporter.demo.seed`) knows it is an emulator. :func:`demo_environment`
gives a run what ``reporter verify`` would get: a spec file (in a temporary copy whose
code tree is a git checkout with the demo history) and AWS options for the emulator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reporter.collect.aws import AwsOptions
from reporter.demo.history import DemoHistory
from reporter.model import Bundle
from reporter.progress import NO_PROGRESS, Progress
from reporter.render.markdown import TemplateSet

DEMO_NOW = datetime(2025, 11, 26, 10, 50, tzinfo=UTC)
"""The demo report's "now": the reference report's time."""
DEMO_STEM = "hotfix-verification-report"


@dataclass(frozen=True)
class DemoEnvironment:
    """A seeded emulator and the demo spec, ready for a run (valid inside the ``with`` only)."""

    spec_path: Path
    """The demo spec, in a temporary copy; its ``[code] root`` is a git checkout."""
    options: AwsOptions
    """The emulator's URL and dummy credentials: the options ``verify`` would be given."""
    history: DemoHistory
    """The code tree's commits; ``history.note`` says why there are none (no git)."""


@contextmanager
def demo_environment() -> Iterator[DemoEnvironment]:
    """Start the emulator, seed the incident, prepare the spec's copy with its git history.

    The image's revision label names the pre-fix commit of that history. Everything is
    stopped and removed when the block ends, also when it raises.
    """
    from reporter.collect.aws import make_clients
    from reporter.demo.seed import demo_workspace, seed_incident
    from reporter.demo.server import demo_options, emulator

    with demo_workspace() as workspace, emulator() as url:
        options = demo_options(url)
        seed_incident(make_clients(options), revision=workspace.history.pre_fix)
        yield DemoEnvironment(workspace.spec_path, options, workspace.history)


DEMO_COMMAND = "reporter demo"
"""The command that repeats the demo's run (its emulator's URL changes from run to run)."""


def demo_bundle(
    progress: Progress = NO_PROGRESS, on_note: Callable[[str], None] | None = None
) -> Bundle:
    """Start the emulator, seed the incident, collect and judge: the demo's bundle.

    The run is recorded as the demo's (:data:`DEMO_COMMAND`, the emulator unnamed), so the
    bundle and its reports are the same on every run. ``progress`` hears the collectors;
    ``on_note`` hears why the code tree has no git history (:attr:`DemoHistory.note`),
    when it has none.
    """
    from reporter.model import RunInfo
    from reporter.pipeline import RunOptions, run

    with demo_environment() as demo:
        if demo.history.note is not None and on_note is not None:
            on_note(demo.history.note)
        record = RunInfo(region=demo.options.region, command=DEMO_COMMAND, emulator=True)
        options = RunOptions(aws=demo.options, progress=progress, record=record)
        return run(demo.spec_path, DEMO_NOW, options)


def run_demo(
    output_dir: Path,
    progress: Progress = NO_PROGRESS,
    on_note: Callable[[str], None] | None = None,
    template: TemplateSet = TemplateSet.REPORT,
) -> tuple[list[Path], Bundle]:
    """Write the demo's Markdown and PDF reports into ``output_dir``, with ``template``
    (``progress`` and ``on_note`` as for :func:`demo_bundle`)."""
    from reporter.render import OutputFormat, write_reports

    bundle = demo_bundle(progress, on_note)
    formats = [OutputFormat.MD, OutputFormat.PDF]
    paths = write_reports(bundle, formats, output_dir, DEMO_STEM, template=template)
    return paths, bundle
