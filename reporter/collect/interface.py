"""What a collector is: the spec section it reads, the evidence part it returns, where from.

A collector is one source of evidence (the registry, the service, the logs, the checkout).
The pipeline (:mod:`reporter.pipeline`) walks the registry
(:data:`reporter.collect.registry.COLLECTORS`), runs every collector the spec asks for,
those that do not depend on each other concurrently, and puts each result in the
:class:`~reporter.model.Evidence` field named by the collector's ``part``.

Collectors never raise for a failed call: the part they return carries the error, and the
checks turn it into ``unknown``. Only bad input (:class:`~reporter.errors.InputError`) and
an interrupted run (:class:`~reporter.errors.Cancelled`) escape.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from reporter.collect.aws import AwsClients, AwsOptions
from reporter.collect.git import GitSession
from reporter.collect.matching import Marker
from reporter.model import Frozen
from reporter.progress import NO_PROGRESS, Progress
from reporter.redact import Redactor
from reporter.spec import LoadedSpec


@dataclass(frozen=True)
class RunContext:
    """What every collector of one run may use."""

    loaded: LoadedSpec
    now: datetime
    since: datetime
    """The start of the log window (``[logs] since``, else ``claimed_deployed_at``)."""
    until: datetime
    """The end of the log window (``[logs] until``, else now)."""
    markers: tuple[Marker, ...]
    """Every log text to look for, with why (expected, retired, context)."""
    redactor: Redactor
    clients: AwsClients
    aws: AwsOptions
    """How AWS is reached (the spec's ``[aws]`` under the command line's overrides)."""
    cancel: threading.Event
    """Set when the run is interrupted: long work stops and raises ``Cancelled``."""
    git: GitSession | None
    """The run's git session (one time budget for all git work), with ``[code]`` only."""
    progress: Progress = NO_PROGRESS
    """Where a collector reports the work it measures (the pipeline reports its state)."""


class Collector(Protocol):
    """One source of evidence."""

    @property
    def part(self) -> str:
        """The :class:`~reporter.model.Evidence` field this collector fills."""
        ...

    @property
    def section(self) -> str:
        """The spec section it reads (``image``, ``service``, ``logs``, ``code``...)."""
        ...

    @property
    def after(self) -> tuple[str, ...]:
        """Evidence parts that must be collected before this one (it reads them)."""
        ...

    def wanted(self, run: RunContext) -> bool:
        """Whether the spec asks for this evidence at all."""
        ...

    def provenance(self, run: RunContext) -> str:
        """Where the evidence comes from, for people: ``ECR DescribeImages repo:tag``."""
        ...

    def collect(self, run: RunContext, earlier: Mapping[str, Frozen | None]) -> Frozen | None:
        """Collect the part; ``earlier`` holds the parts named in ``after``. None when the
        part turns out not to apply (it stays empty in the evidence)."""
        ...
