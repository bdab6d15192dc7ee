"""Per hotfix: the fixed code's texts are logged (``logs_expected``), the old code's are
not (``logs_retired``)."""

from __future__ import annotations

from reporter.checks.base import FAIL, PASS, UNKNOWN, Finding
from reporter.checks.wording import listed, logs_where, logs_window, quoted, times, when
from reporter.model import LogsEvidence
from reporter.spec import HotfixSection


def logs_expected(hotfix: HotfixSection, logs: LogsEvidence) -> Finding:
    """``<hotfix>.logs_expected``: each ``expect_logs`` text occurs in the window."""
    seen: list[str] = []
    unseen: list[str] = []
    for text in hotfix.expect_logs:
        match = logs.match(text)
        if match is not None and match.count > 0 and match.last_seen is not None:
            seen.append(f"{quoted(text)} seen {times(match.count)}, last {when(match.last_seen)}")
        else:
            unseen.append(quoted(text))
    where = f" (in {logs_where(logs)})."
    if not unseen:
        return Finding(PASS, listed(seen) + where)
    total = len(hotfix.expect_logs)
    which = unseen[0] if total == 1 else f"{len(unseen)} of {total} texts ({listed(unseen, ', ')})"
    if logs.error is not None:
        return Finding(
            UNKNOWN,
            f"{which} not seen, but the logs were not read completely: {logs.error.line()}" + where,
        )
    if total > 1 and len(unseen) == total:
        names = listed(unseen, ", ")
        return Finding(
            FAIL, f"None of the {total} texts ({names}) logged {logs_window(logs)}" + where
        )
    return Finding(FAIL, f"{which} never logged {logs_window(logs)}" + where)


def logs_retired(hotfix: HotfixSection, logs: LogsEvidence) -> Finding:
    """``<hotfix>.logs_retired``: no ``retired_logs`` text occurs in the window."""
    seen = []
    for text in hotfix.retired_logs:
        match = logs.match(text)
        if match is not None and match.count > 0 and match.last_seen is not None:
            seen.append(
                f"{quoted(text)} still logged {times(match.count)}, last {when(match.last_seen)}"
            )
    if seen:
        return Finding(
            FAIL, listed(seen) + f" (in {logs_where(logs)}): the old code is still running."
        )
    if logs.error is not None:
        return Finding(
            UNKNOWN,
            f"Retired texts not seen, but the logs were not read completely: {logs.error.line()}",
        )
    n = len(hotfix.retired_logs)
    return Finding(
        PASS,
        f"None of the {n} retired texts logged {logs_window(logs)} in {logs_where(logs)} "
        f"({logs.events_scanned} matching events read).",
    )


def logs_source(logs: LogsEvidence) -> str:
    """Where the log facts come from, for a check's ``source``."""
    if logs.source == "cloudwatch":
        window = f"{when(logs.since)} to {when(logs.until)}"
        return f"CloudWatch Logs FilterLogEvents {logs.group}, {window}"
    return f"log files ({len(logs.files)}), {when(logs.since)} to {when(logs.until)}"
