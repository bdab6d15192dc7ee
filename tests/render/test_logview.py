"""Log excerpts as the report shows them: each event once, oldest first; a structured (JSON)
line as ``time level message``, made safe again (escapes, redaction); the bundle keeps it raw."""

from __future__ import annotations

import json
from collections.abc import Callable

from reporter.model import Bundle, LogExcerpt, LogMatch, LogsEvidence
from reporter.redact import Redactor
from reporter.render import OutputFormat, render
from reporter.render.logview import matched_lines, shown
from tests.render.conftest import RETIRED_LINE, at

WHEN = at("2025-11-26T10:49:43")


def one(message: str, redactor: Redactor | None = None) -> tuple[str | None, str, bool]:
    line = shown(LogExcerpt(timestamp=WHEN, stream="s", message=message), redactor or Redactor())
    return line.level, line.message, line.structured


def test_a_json_line_reads_as_time_level_message() -> None:
    raw = json.dumps(
        {"time": "2025-11-26T10:49:43Z", "level": "INFO", "message": "Parsing\nfinal", "x": 1}
    )
    assert one(raw) == ("INFO", "Parsing\nfinal", True)  # the \n in the JSON is a line break
    assert one('{"severity": "ERROR", "msg": "boom"}') == ("ERROR", "boom", True)
    assert one('{"levelname": 30, "event": "started"}') == ("30", "started", True)


def test_anything_else_is_shown_as_stored() -> None:
    for raw in (
        "plain text",
        '{"time": "x", "level": "INFO"}',  # no message field
        '{"message": "cut" [… 20 more characters cut]',  # cut at collection: not JSON
        '["a", "list"]',
        '{"message": {"nested": true}}',
    ):
        assert one(raw) == (None, raw, False)


def test_what_decoding_reveals_is_made_safe_again() -> None:
    hidden = '{"level": "INFO", "message": "key AKI\\u0041IOSFODNN7EXAMPLE \\u202e \\u001b[2J"}'
    assert "AKIAIOSFODNN7EXAMPLE" not in hidden  # the raw line hides it behind escapes
    level, message, structured = one(hidden)
    assert level == "INFO"
    assert structured
    assert "AKIAIOSFODNN7EXAMPLE" not in message
    assert "[REDACTED]" in message
    assert "\u202e" not in message
    assert "\\u202e" in message
    assert "\x1b" not in message
    assert "\\x1b" in message
    custom = Redactor(("session=[0-9a-f]{4}",))
    assert one('{"msg": "session=\\u0061bcd"}', custom)[1] == "[REDACTED]"


def test_each_event_once_oldest_first() -> None:
    a = LogExcerpt(timestamp=at("2025-11-26T10:00:00"), stream="s", message="a both")
    b = LogExcerpt(timestamp=at("2025-11-26T09:00:00"), stream="s", message="b old")
    logs = LogsEvidence(
        source="cloudwatch",
        group="g",
        since=at("2025-11-26T08:00:00"),
        until=at("2025-11-26T11:00:00"),
        matches=(
            LogMatch(text="both", kinds=("retired",), count=1, excerpts=(a,)),
            LogMatch(text="a", kinds=("context",), count=1, excerpts=(a,)),
            LogMatch(text="old", kinds=("expected",), count=1, excerpts=(b,)),
        ),
    )
    lines = matched_lines(logs, Redactor())
    assert [line.message for line in lines] == ["b old", "a both"]
    assert lines[1].kinds == ("retired", "context")


def test_the_report_shows_the_structured_line_and_the_bundle_keeps_it_raw(
    with_retired_message: Callable[[str], Bundle],
) -> None:
    raw = json.dumps({"ts": "2025-11-26T10:49:43Z", "level": "WARN", "message": RETIRED_LINE})
    bundle = with_retired_message(raw)
    md = render(bundle, OutputFormat.MD).decode("utf-8")
    assert f"2025-11-26T10:49:43Z [ecs/backend/9f1c2d3e] WARN {RETIRED_LINE}\n" in md
    assert "Structured (JSON) lines are shown as time, level and message" in md
    assert '\\"level\\"' not in md
    page = render(bundle, OutputFormat.HTML).decode("utf-8")
    assert '<span class="log-level">WARN</span>' in page
    stored = json.loads(render(bundle, OutputFormat.JSON))
    excerpts = [e["message"] for m in stored["evidence"]["logs"]["matches"] for e in m["excerpts"]]
    assert raw in excerpts
