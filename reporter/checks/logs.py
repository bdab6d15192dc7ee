"""Per hotfix: the fixed code's texts are logged (``logs_expected``), the old code's are
not (``logs_retired``)."""

from __future__ import annotations

from collections.abc import Sequence

from reporter.checks.base import FAIL, PASS, UNKNOWN, Finding
from reporter.checks.wording import listed, logs_where, logs_window, quoted, times, when
from reporter.model import Facts, LogsEvidence, TextFact
from reporter.spec import HotfixSection

WHERE_SHOWN = 3
"""How many streams or files a summary names where a text was found."""


def text_fact(text: str, logs: LogsEvidence) -> TextFact:
    """What the window showed of one watched text: seen, not seen, only at an unknown time,
    or not found while the logs were not read completely."""
    match = logs.match(text)
    if match is not None and match.count > 0 and match.last_seen is not None:
        where = tuple(dict.fromkeys(_origin(e.stream) for e in reversed(match.excerpts)))
        return TextFact(text=text, outcome="seen", count=match.count, where=where[:WHERE_SHOWN])
    if match is not None and match.unknown_time > 0:
        where = tuple(dict.fromkeys(e.location for e in match.unknown_time_excerpts))
        return TextFact(text=text, outcome="unknown_time", where=where[:WHERE_SHOWN])
    if match is None or logs.error is not None:
        return TextFact(text=text, outcome="not_read")
    return TextFact(text=text, outcome="not_seen")


def _origin(stream: str) -> str:
    """The file of a ``file:line`` excerpt location; a log stream's name as it is."""
    head, _, line = stream.rpartition(":")
    return head if head and line.isdigit() else stream


def _found_in(logs: LogsEvidence, facts: Sequence[TextFact]) -> str:
    """Where texts were found: the log group(s), or the files that held them."""
    if logs.source == "cloudwatch":
        return logs_where(logs)
    files = list(dict.fromkeys(w for f in facts for w in f.where))
    return f"log {'file' if len(files) == 1 else 'files'} {listed(files, ', ')}"


def _undated(fact: TextFact, logs: LogsEvidence) -> str:
    match = logs.match(fact.text)
    count = match.unknown_time if match is not None else 0
    return (
        f"{quoted(fact.text)} found {times(count)} only in lines with no known time "
        f"({listed(list(fact.where), ', ')})"
    )


def logs_expected(hotfix: HotfixSection, logs: LogsEvidence) -> Finding:
    """``<hotfix>.logs_expected``: each ``expect_logs`` text occurs in the window.

    A text found only in lines whose time is not known is shown but is no proof either
    way: the check is then ``unknown``.
    """
    facts = tuple(text_fact(text, logs) for text in hotfix.expect_logs)
    found = Facts(texts=facts)
    seen = [f for f in facts if f.outcome == "seen"]
    unseen = [f for f in facts if f.outcome != "seen"]
    if not unseen:
        described = []
        for fact in seen:
            match = logs.match(fact.text)
            last = match.last_seen if match is not None else None
            described.append(
                f"{quoted(fact.text)} seen {times(fact.count)}"
                + (f", last {when(last)}" if last is not None else "")
            )
        return Finding(PASS, listed(described) + f" (in {_found_in(logs, seen)}).", found)
    where = f" (in {logs_where(logs)})."
    total = len(hotfix.expect_logs)
    names = [quoted(f.text) for f in unseen]
    which = names[0] if total == 1 else f"{len(unseen)} of {total} texts ({listed(names, ', ')})"
    undated = [f for f in unseen if f.outcome == "unknown_time"]
    if undated:
        return Finding(
            UNKNOWN,
            f"{which} not seen in the window; "
            + listed([_undated(f, logs) for f in undated])
            + ": no proof either way"
            + where,
            found,
        )
    if logs.error is not None:
        return Finding(
            UNKNOWN,
            f"{which} not seen, but the logs were not read completely: {logs.error.line()}" + where,
            found,
        )
    unsearched = [quoted(f.text) for f in unseen if f.outcome == "not_read"]
    if unsearched:
        return Finding(
            UNKNOWN, f"{listed(unsearched, ', ')} not searched for in the logs" + where, found
        )
    if total > 1 and len(unseen) == total:
        return Finding(
            FAIL,
            f"None of the {total} texts ({listed(names, ', ')}) logged {logs_window(logs)}" + where,
            found,
        )
    return Finding(FAIL, f"{which} never logged {logs_window(logs)}" + where, found)


def source_live(logs: LogsEvidence) -> bool:
    """The source logged something in the window: an event of any kind was found in it,
    or a watched text (expected, retired or context) was seen there."""
    return logs.live_event is not None or any(m.count > 0 for m in logs.matches)


def logs_retired(hotfix: HotfixSection, logs: LogsEvidence) -> Finding:
    """``<hotfix>.logs_retired``: no ``retired_logs`` text occurs in the window, and the
    source was live in it (a silent source proves nothing)."""
    facts = tuple(text_fact(text, logs) for text in hotfix.retired_logs)
    live = source_live(logs)
    found = Facts(texts=facts, live=live if live or logs.live_error is None else None)
    seen = [f for f in facts if f.outcome == "seen"]
    if seen:
        described = []
        for fact in seen:
            match = logs.match(fact.text)
            last = match.last_seen if match is not None else None
            described.append(
                f"{quoted(fact.text)} still logged {times(fact.count)}"
                + (f", last {when(last)}" if last is not None else "")
            )
        return Finding(
            FAIL,
            listed(described) + f" (in {_found_in(logs, seen)}): the old code is still running.",
            found,
        )
    undated = [f for f in facts if f.outcome == "unknown_time"]
    if undated:
        return Finding(
            UNKNOWN,
            listed([_undated(f, logs) for f in undated])
            + ": they may have been logged in the window.",
            found,
        )
    if logs.error is not None:
        return Finding(
            UNKNOWN,
            f"Retired texts not seen, but the logs were not read completely: {logs.error.line()}",
            found,
        )
    if not live:
        if logs.live_error is not None:
            why = f"could not tell whether it logged anything: {logs.live_error.line()}"
        else:
            why = "it logged no event of any kind in the window, and a silent source proves nothing"
        return Finding(UNKNOWN, f"No retired text seen in {logs_where(logs)}, but {why}.", found)
    n = len(hotfix.retired_logs)
    return Finding(
        PASS,
        f"None of the {n} retired texts logged {logs_window(logs)} in {logs_where(logs)} "
        f"({logs.events_scanned} matching events read).",
        found,
    )


def logs_source(logs: LogsEvidence) -> str:
    """Where the log facts come from, for a check's ``source``."""
    if logs.source == "cloudwatch":
        window = f"{when(logs.since)} to {when(logs.until)}"
        return f"CloudWatch Logs FilterLogEvents {logs.group}, {window}"
    return f"log files ({len(logs.files)}), {when(logs.since)} to {when(logs.until)}"
