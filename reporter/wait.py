"""``--wait``: collect again every interval until the verdict is VERIFIED or the time is up.

Right after a deploy the evidence arrives over minutes: new tasks replace old ones, the
fixed code starts logging. :func:`wait_for_verified` runs whole rounds (collect and judge,
the same as one ``verify``) until a round's verdict is ``VERIFIED`` or the time is up, and
returns the last round's bundle: the reports are written once, from it, and the exit code
is its verdict's. Each round is told to ``on_round`` (:class:`Round`), which the CLI prints
as one line saying what is still missing (:func:`round_line`).

The loop never reads the wall clock for its decisions except through the ``clock`` and
``sleep`` it is given, so tests drive it without waiting.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from reporter.errors import Cancelled, InputError
from reporter.model import Bundle, Check, CheckKind, HotfixVerdict, Status, Verdict

DEFAULT_INTERVAL = 30.0
"""Seconds between the starts of two rounds when ``--interval`` is not given."""
MAX_DURATION = 7 * 24 * 3600.0
"""Longest ``--wait`` and ``--interval``: a week."""

_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}
_DURATION = re.compile(
    r"(?:(?P<h>\d+(?:\.\d+)?)h)?(?:(?P<m>\d+(?:\.\d+)?)m)?(?:(?P<s>\d+(?:\.\d+)?)s)?"
)
_SECONDS = re.compile(r"\d+(?:\.\d+)?")


def parse_duration(text: str, option: str = "--wait") -> float:
    """Seconds in a DURATION: ``90s``, ``15m``, ``1h30m``, ``1h30m15s``, bare seconds
    (``90``), each number possibly with a fraction (``0.5s``).

    Anything else (empty, negative, other units, more than :data:`MAX_DURATION`) is bad
    input: :class:`InputError` naming ``option``.
    """
    value = text.strip().lower()
    seconds: float | None = None
    if _SECONDS.fullmatch(value):
        seconds = float(value)
    elif value:
        match = _DURATION.fullmatch(value)
        if match is not None and any(match.groupdict().values()):
            seconds = sum(
                float(amount) * _UNITS[unit]
                for unit, amount in match.groupdict().items()
                if amount is not None
            )
    if seconds is None or not math.isfinite(seconds):
        raise InputError(
            option, f"not a duration: {text[:40]!r} (use 90s, 15m, 1h30m or a number of seconds)"
        )
    if seconds > MAX_DURATION:
        raise InputError(option, f"{text[:40]!r} is more than a week")
    return seconds


def format_duration(seconds: float) -> str:
    """``45s``, ``1m30s``, ``15m``, ``1h5m``, ``0.5s``: how round lines show a time."""
    if seconds < 10 and seconds != int(seconds):
        return f"{seconds:.1f}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    if secs or not text:
        text += f"{secs}s"
    return text


@dataclass(frozen=True)
class WaitPolicy:
    """How long to wait for ``VERIFIED``, and how often to collect again."""

    duration: float
    """Seconds from the start of the first round; the last round starts at most then."""
    interval: float = DEFAULT_INTERVAL
    """Seconds from the start of one round to the start of the next (at once when a round
    took longer)."""

    def __post_init__(self) -> None:
        if self.duration < 0 or not math.isfinite(self.duration):
            raise ValueError(f"duration must be a finite number >= 0, not {self.duration}")
        if self.interval <= 0 or not math.isfinite(self.interval):
            raise ValueError(f"interval must be a finite number > 0, not {self.interval}")


def wait_policy(wait: str | None, interval: str | None) -> WaitPolicy | None:
    """The policy for ``--wait`` and ``--interval`` as typed (None without ``--wait``).

    Bad input: a value that is no duration, an interval of zero, ``--interval`` alone.
    """
    if wait is None:
        if interval is not None:
            raise InputError("--interval", "needs --wait (how long to keep collecting)")
        return None
    duration = parse_duration(wait, "--wait")
    every = DEFAULT_INTERVAL if interval is None else parse_duration(interval, "--interval")
    if every <= 0:
        raise InputError("--interval", "must be more than 0")
    return WaitPolicy(duration=duration, interval=every)


@dataclass(frozen=True)
class Round:
    """One round of collecting and judging."""

    number: int
    """1 for the first round."""
    bundle: Bundle
    elapsed: float
    """Seconds from the start of the first round to the end of this one."""
    policy: WaitPolicy
    last: bool
    """No round follows: the verdict is ``VERIFIED`` or the time is up."""

    @property
    def verified(self) -> bool:
        """The round's verdict is ``VERIFIED``."""
        return self.bundle.verdict is Verdict.VERIFIED


def wait_for_verified(
    run_round: Callable[[datetime], Bundle],
    policy: WaitPolicy,
    *,
    now: datetime | None = None,
    current_time: Callable[[], datetime] | None = None,
    on_round: Callable[[Round], None] | None = None,
    between_rounds: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] | None = None,
) -> Bundle:
    """Run rounds until one's verdict is ``VERIFIED`` or ``policy.duration`` is up; return
    the last round's bundle.

    - ``run_round(now)`` collects and judges once (raising ``InputError`` for bad input
      or ``Cancelled`` ends the wait, as it ends a single run).
    - Each round's "now" is ``now`` when given (``--now``), else ``current_time()``
      (default: the current UTC time, to the second).
    - The first round starts at once; each next one ``policy.interval`` after the start
      of the one before (at once when that round took longer), and never after the
      deadline: a round whose start would fall past it starts at the deadline, and is the
      last. A round that ends past the deadline is the last.
    - ``on_round`` hears every round, after it is judged; ``between_rounds(n)`` is called
      before round ``n`` (n >= 2), after the pause (tests change the world there).
    - ``sleep`` pauses (default: waits on ``cancel``); once ``cancel`` is set, or Ctrl-C
      comes during a pause, the wait raises :class:`Cancelled` (the CLI's exit 130).
    """
    from reporter.pipeline import utc_now

    stop = cancel or threading.Event()
    pause = sleep or (lambda seconds: _pause(stop, seconds))
    times = current_time or utc_now
    start = clock()
    deadline = start + policy.duration
    number = 0
    while True:
        number += 1
        if number > 1 and between_rounds is not None:
            between_rounds(number)
        if stop.is_set():
            raise Cancelled("interrupted")
        round_start = clock()
        bundle = run_round(now if now is not None else times())
        ended = clock()
        verified = bundle.verdict is Verdict.VERIFIED
        last = verified or ended >= deadline
        if on_round is not None:
            on_round(Round(number, bundle, ended - start, policy, last))
        if last:
            return bundle
        next_start = min(round_start + policy.interval, deadline)
        if next_start > ended:
            pause(next_start - ended)
        if stop.is_set():
            raise Cancelled("interrupted")


WAKE_EVERY = 0.2
"""Seconds between two checks for Ctrl-C during a pause (see :func:`_pause`)."""


def _pause(stop: threading.Event, seconds: float) -> None:
    """Sleep ``seconds`` unless ``stop`` is set or Ctrl-C comes first (then raise
    :class:`Cancelled`).

    The pause wakes every :data:`WAKE_EVERY` seconds: Python runs a signal's handler only
    when the main thread runs, and the kernel may hand SIGINT to another thread.
    """
    end = time.monotonic() + seconds
    try:
        while not stop.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return
            stop.wait(min(left, WAKE_EVERY))
    except KeyboardInterrupt:
        stop.set()
        raise Cancelled("interrupted") from None
    raise Cancelled("interrupted")


# --------------------------------------------------------------------------- what is missing


def round_line(done: Round) -> str:
    """One line for a round: where the wait is, and what is still missing.

    ``round 2 (1m30s of 15m): 2/3 hotfixes deployed; waiting for 'Found 3 platform
    sections' in the logs; next round in 30s``. Texts come from the bundle: the caller
    makes them safe to print.
    """
    policy = done.policy
    elapsed, duration = format_duration(done.elapsed), format_duration(policy.duration)
    head = f"round {done.number} ({elapsed} of {duration})"
    bundle = done.bundle
    if done.verified:
        return f"{head}: {deployed_count(bundle)}: VERIFIED"
    tail = "time is up" if done.last else f"next round in {format_duration(policy.interval)}"
    return f"{head}: {missing_line(bundle)}; {tail}"


def deployed_count(bundle: Bundle) -> str:
    """``2/3 hotfixes deployed``."""
    total = len(bundle.hotfixes)
    deployed = sum(h.verdict is HotfixVerdict.DEPLOYED for h in bundle.hotfixes)
    noun = "hotfix" if total == 1 else "hotfixes"
    return f"{deployed}/{total} {noun} deployed"


MAX_WAITING_FOR = 3
"""Most things one round line names as missing (the rest are counted)."""


def missing_line(bundle: Bundle) -> str:
    """``2/3 hotfixes deployed; waiting for 'Found 3 platform sections' in the logs``.

    Built from the bundle's facts: the checks the hotfixes not yet ``DEPLOYED`` rest on
    that failed or are unknown (a text not yet seen in the logs, tasks not yet running
    the image...), and for an ``INCONCLUSIVE`` hotfix without such a check, its
    ``missing``.
    """
    by_id = {c.id: c for c in bundle.checks}
    wanted: list[str] = []
    for result in bundle.hotfixes:
        if result.verdict is HotfixVerdict.DEPLOYED:
            continue
        open_checks = [
            by_id[c]
            for c in result.checks
            if c in by_id and by_id[c].status in (Status.FAIL, Status.UNKNOWN)
        ]
        for check in open_checks:
            wanted.extend(_waiting_for(check))
        if not open_checks and result.missing:
            wanted.append(f"{result.id}: {result.missing}")
    items = list(dict.fromkeys(wanted))
    count = deployed_count(bundle)
    if not items:
        return count
    return f"{count}; waiting for {_listed(items)}"


def _listed(items: Sequence[str]) -> str:
    shown = list(items[:MAX_WAITING_FOR])
    if len(items) > MAX_WAITING_FOR:
        shown.append(f"{len(items) - MAX_WAITING_FOR} more")
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _waiting_for(check: Check) -> list[str]:
    """What a failed or unknown check waits for, in words."""
    kind = check.kind
    if kind is CheckKind.LOGS_EXPECTED and check.facts.texts:
        return [
            f"{t.text!r} in the logs{_OUTCOME_NOTES.get(t.outcome, '')}"
            for t in check.facts.texts
            if t.outcome != "seen"
        ]
    if kind is CheckKind.LOGS_RETIRED and check.status is Status.FAIL:
        return [
            f"{t.text!r} to stop appearing in the logs"
            for t in check.facts.texts
            if t.outcome == "seen"
        ]
    if check.status is Status.FAIL and kind in _FAILED_WAITS:
        return [_FAILED_WAITS[kind]]
    return [f"{check.id} ({check.status.value})"]


_OUTCOME_NOTES = {
    "not_read": " (the logs could not be read whole)",
    "unknown_time": " at a known time (seen only in lines with no known time)",
}

_FAILED_WAITS = {
    CheckKind.IMAGE_FOUND: "the image tag in the registry",
    CheckKind.SERVICE_STABLE: "the service to be stable",
    CheckKind.SERVICE_RUNS_IMAGE: "the service's tasks to run the image",
    CheckKind.SERVICE_RESTARTED_AFTER_PUSH: "the service's tasks to restart after the push",
}
