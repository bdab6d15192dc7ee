"""Progress of a run's collectors: the small interface the pipeline hands every collector
(through :class:`~reporter.collect.interface.RunContext`).

The pipeline says when each collector is waiting, running, done or failed; a collector
that measures its work reports it (bytes of local log files read, with their total, so a
rate and an ETA follow; CloudWatch events received). :data:`NO_PROGRESS` hears nothing
(the default: tests, the demo, a run whose stderr is not a terminal); the terminal's
rendering is :class:`reporter.terminal.TerminalProgress`.

Every method may be called from any collector thread, and none may raise.
"""

from __future__ import annotations

from typing import Literal, Protocol

CollectorState = Literal["waiting", "running", "done", "failed"]
"""Where one collector is: not started yet (it waits for another part), running, done, or
done with its evidence marked by an error (the checks that need it are ``unknown``)."""

Unit = Literal["bytes", "events"]
"""What a collector counts: bytes of local log files as stored, or CloudWatch events."""


class Progress(Protocol):
    """What a run tells about its collectors, as it happens. Never raises."""

    def state(self, part: str, state: CollectorState, detail: str = "") -> None:
        """Collector ``part`` is now ``state``; ``detail`` says more (an error code)."""
        ...

    def measure(self, part: str, unit: Unit, total: int | None = None) -> None:
        """Collector ``part`` counts ``unit`` from zero; ``total`` when known beforehand."""
        ...

    def advance(self, part: str, amount: int) -> None:
        """Collector ``part`` did ``amount`` more of its unit."""
        ...


class _NoProgress:
    """Hears everything, shows nothing."""

    def state(self, part: str, state: CollectorState, detail: str = "") -> None:
        """Nothing."""

    def measure(self, part: str, unit: Unit, total: int | None = None) -> None:
        """Nothing."""

    def advance(self, part: str, amount: int) -> None:
        """Nothing."""


NO_PROGRESS: Progress = _NoProgress()
"""The progress of a run nobody watches."""
