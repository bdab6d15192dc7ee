"""What the CLI draws on the terminal: progress on stderr, the verdict table, warnings.

- Progress (:class:`TerminalProgress`) is drawn with rich on stderr only when stderr is a
  terminal (and ``TERM`` is not ``dumb``) and ``--quiet`` is not given; it is cleared when
  the run ends.
- The verdict table is coloured by status when stdout is a terminal, plain otherwise;
  ``NO_COLOR`` (set, not empty) turns colour off and wins, ``FORCE_COLOR`` (set, not empty,
  not ``0``) turns it on without a terminal (https://no-color.org, https://force-color.org).
- Every text taken from a bundle or from evidence (ids, titles, summaries, paths) goes
  through :func:`shown` first: a received bundle cannot write escape sequences, bidi
  controls or line breaks to the terminal.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING

from reporter.model import Bundle, HotfixVerdict, Status, Verdict
from reporter.progress import NO_PROGRESS, CollectorState, Progress, Unit
from reporter.text import visible

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.progress import Progress as RichProgress
    from rich.progress import ProgressColumn, Task, TaskID

_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """``text`` safe to print on one terminal line: control characters, line breaks and
    Unicode bidirectional controls as visible escapes (``\\x1b``, ``\\u202e``)."""
    return _BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", visible(text, keep_newlines=False))


# --------------------------------------------------------------------------- colour


def colour_wanted(stream: IO[str], environ: Mapping[str, str] | None = None) -> bool:
    """Whether to colour what goes to ``stream``: ``NO_COLOR`` wins, then ``FORCE_COLOR``,
    then a terminal that is not ``TERM=dumb``."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR", ""):
        return False
    if env.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    return _is_terminal(stream) and env.get("TERM", "") != "dumb"


def progress_wanted(stream: IO[str], quiet: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to draw progress on ``stream``: a real terminal (not ``TERM=dumb``), and not
    ``--quiet``. ``FORCE_COLOR`` colours the table; it never makes a log file a terminal."""
    env = os.environ if environ is None else environ
    return not quiet and _is_terminal(stream) and env.get("TERM", "") != "dumb"


def _is_terminal(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # a closed or detached stream
        return False


_SGR = {"green": "32", "red": "31", "yellow": "33", "cyan": "36", "dim": "2", "bold": "1"}

_VERDICT_STYLE = {
    HotfixVerdict.DEPLOYED: "green",
    HotfixVerdict.NOT_DEPLOYED: "red",
    HotfixVerdict.INCONCLUSIVE: "yellow",
}
_STATUS_STYLE = {Status.FAIL: "red", Status.UNKNOWN: "yellow", Status.PASS: "green"}
_REPORT_STYLE = {
    Verdict.VERIFIED: "green",
    Verdict.PARTIAL: "red",
    Verdict.NOT_DEPLOYED: "red",
    Verdict.INCONCLUSIVE: "yellow",
}


def paint(text: str, style: str, colour: bool, bold: bool = False) -> str:
    """``text`` in ``style`` (``green``, ``red``...) when ``colour``; as is otherwise."""
    if not colour:
        return text
    codes = ([_SGR["bold"]] if bold else []) + [_SGR[style]]
    return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"


def verdict_table(bundle: Bundle, colour: bool, exits: bool = True) -> list[str]:
    """The verdict table's lines: one row per hotfix, then every check that failed or is
    unknown, then the verdict (with its exit code when ``exits``). Plain text when not
    ``colour``; the same text with colours otherwise. Every bundle text through :func:`shown`.
    """
    ids = [shown(h.id) for h in bundle.hotfixes]
    width = max([len("HOTFIX"), *(len(i) for i in ids)])
    lines = ["", f"{'HOTFIX':<{width}}  VERDICT"]
    for shown_id, result in zip(ids, bundle.hotfixes, strict=True):
        verdict = paint(result.verdict.value, _VERDICT_STYLE[result.verdict], colour)
        lines.append(f"{shown_id:<{width}}  {verdict}")
    open_checks = [c for c in bundle.checks if c.status in (Status.FAIL, Status.UNKNOWN)]
    if open_checks:
        lines.append("")
        for check in open_checks:
            status = paint(f"{check.status.value.upper():<7}", _STATUS_STYLE[check.status], colour)
            lines.append(f"{status}  {shown(check.id)}: {shown(check.summary)}")
    lines.append("")
    exit_note = f" (exit {bundle.verdict.exit_code})" if exits else ""
    verdict = paint(bundle.verdict.value, _REPORT_STYLE[bundle.verdict], colour, bold=True)
    lines.append(f"Verdict: {verdict}{exit_note}")
    return lines


# --------------------------------------------------------------------------- warnings


MAX_FILES_NAMED = 3
"""Most files the undated-lines warning names."""


def undated_warning(bundle: Bundle) -> str | None:
    """One line when local log lines could not be dated (``FileStats.undated_lines``)."""
    stats = [s for s in bundle.evidence.logs.file_stats if s.undated_lines]
    total = sum(s.undated_lines for s in stats)
    if not total:
        return None
    stats.sort(key=lambda s: -s.undated_lines)
    named = ", ".join(f"{shown(s.path)}: {s.undated_lines:,}" for s in stats[:MAX_FILES_NAMED])
    more = f", {len(stats) - MAX_FILES_NAMED} more files" if len(stats) > MAX_FILES_NAMED else ""
    lines = "line" if total == 1 else "lines"
    files = "file" if len(stats) == 1 else "files"
    return (
        f"{total:,} {lines} in {len(stats)} local log {files} could not be dated ({named}{more}); "
        "a watched text found only there cannot count, so its check is unknown "
        "(see [logs] timezone, timestamp_field, timestamp_pattern)"
    )


# --------------------------------------------------------------------------- progress


class TerminalProgress:
    """One line per collector on a terminal: its state, and for a collector that counts,
    bytes of the total, rate and ETA (local log files) or events and rate (CloudWatch).

    Use :meth:`shown_during` around a run: the lines are drawn while it lasts and cleared
    after. Only part names, states, error codes and counts are drawn: nothing collected.
    """

    def __init__(self, console: Console) -> None:
        from rich.progress import Progress as RichProgress

        self._progress: RichProgress = RichProgress(
            *_columns(),
            console=console,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
            refresh_per_second=8,
        )
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    @contextmanager
    def shown_during(self) -> Iterator[TerminalProgress]:
        """Draw the lines for the block (also when it raises), then clear them."""
        with self._progress:
            yield self

    def _task(self, part: str) -> TaskID:
        with self._lock:
            task = self._tasks.get(part)
            if task is None:
                task = self._progress.add_task(
                    part, total=None, state="waiting", detail="", unit=None
                )
                self._tasks[part] = task
            return task

    def state(self, part: str, state: CollectorState, detail: str = "") -> None:
        """Show ``part`` as ``state`` (``detail``: an error code)."""
        self._progress.update(self._task(part), state=state, detail=shown(detail))

    def measure(self, part: str, unit: Unit, total: int | None = None) -> None:
        """Count ``unit`` for ``part`` from zero, out of ``total`` when known."""
        self._progress.update(self._task(part), total=total, completed=0, unit=unit)

    def advance(self, part: str, amount: int) -> None:
        """``amount`` more for ``part``."""
        self._progress.advance(self._task(part), amount)

    def rows(self) -> list[str]:
        """The lines as they would be drawn now, as plain text."""
        import io

        from rich.console import Console

        text = io.StringIO()
        console = Console(file=text, width=120, color_system=None, force_terminal=False)
        console.print(self._progress.get_renderable())
        return [row.rstrip() for row in text.getvalue().splitlines() if row.strip()]


@contextmanager
def run_progress(
    stream: IO[str], quiet: bool, environ: Mapping[str, str] | None = None
) -> Iterator[Progress]:
    """The progress a run reports to: drawn on ``stream`` when :func:`progress_wanted`,
    else :data:`~reporter.progress.NO_PROGRESS`."""
    if not progress_wanted(stream, quiet, environ):
        yield NO_PROGRESS
        return
    from rich.console import Console

    console = Console(file=stream, stderr=True, highlight=False, markup=False, emoji=False)
    with TerminalProgress(console).shown_during() as progress:
        yield progress


_ICONS = {"waiting": "·", "done": "✔", "failed": "✘"}
_STYLES = {"waiting": "dim", "running": "cyan", "done": "green", "failed": "red"}


def _columns() -> tuple[ProgressColumn, ProgressColumn]:
    """The two columns (state; amount), built when rich is first needed."""
    from rich.filesize import decimal
    from rich.progress import ProgressColumn
    from rich.spinner import Spinner
    from rich.text import Text

    class StateColumn(ProgressColumn):
        """``⠋ logs          running``: an icon (a spinner while running), part, state."""

        def __init__(self) -> None:
            super().__init__()
            self._spinner = Spinner("dots", style="cyan")

        def render(self, task: Task) -> RenderableType:
            state = str(task.fields.get("state", "waiting"))
            detail = str(task.fields.get("detail", ""))
            style = _STYLES.get(state, "")
            icon: Text
            if state == "running":
                drawn = self._spinner.render(task.get_time())
                icon = drawn if isinstance(drawn, Text) else Text("~", style=style)
            else:
                icon = Text(_ICONS.get(state, "?"), style=style)
            return Text.assemble(
                icon,
                " ",
                (f"{task.description:<13}", "bold"),
                (f"{state:<8}", style),
                (f" ({detail})" if detail else "", style),
            )

    class AmountColumn(ProgressColumn):
        """Bytes of the total, rate and ETA; or events and rate; nothing when not counted."""

        def render(self, task: Task) -> RenderableType:
            unit = task.fields.get("unit")
            done = int(task.completed)
            speed = task.finished_speed or task.speed
            parts: list[str] = []
            if unit == "bytes":
                total = f" of {decimal(int(task.total))}" if task.total is not None else ""
                parts.append(f"{decimal(done)}{total}")
                if speed:
                    parts.append(f"{decimal(int(speed))}/s")
                left = task.time_remaining
                if left is not None and task.total and done < task.total:
                    parts.append(f"ETA {_clock(left)}")
            elif unit == "events":
                parts.append(f"{done:,} events")
                if speed:
                    parts.append(f"{int(speed):,}/s")
            return Text("  ".join(parts), style="dim")

    return StateColumn(), AmountColumn()


def _clock(seconds: float) -> str:
    """``0:03``, ``12:05``, ``1:02:03``."""
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
