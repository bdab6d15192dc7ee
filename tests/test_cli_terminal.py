"""The terminal: progress on stderr, the coloured verdict table, safe texts, --help,
shell completion, warnings (reporter/terminal.py and the CLI)."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from reporter.cli import main
from reporter.demo.seed import REPOSITORY
from reporter.model import Bundle, EvidenceError
from reporter.render.json import dump_bundle
from reporter.terminal import (
    TerminalProgress,
    colour_wanted,
    progress_wanted,
    run_progress,
    shown,
    undated_warning,
    verdict_table,
)
from tests.render.conftest import judged, make_not_deployed

NOW = "2025-11-26T10:50:00Z"
HOSTILE = "\x1b[2J\x1b]0;owned\x07 \x9b31m \u202eevil\u202c \u2066x\u2069 \u200f\u061c end"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class Tty(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


# --------------------------------------------------------------------------- colour


@pytest.mark.parametrize(
    ("tty", "env", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),
        (False, {"FORCE_COLOR": "1"}, True),
        (False, {"FORCE_COLOR": "0"}, False),
        (False, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        (True, {"TERM": "dumb"}, False),
        (False, {"FORCE_COLOR": "true", "TERM": "dumb"}, True),
    ],
)
def test_colour_follows_the_terminal_no_color_and_force_color(
    tty: bool, env: dict[str, str], expected: bool
) -> None:
    stream = Tty() if tty else io.StringIO()
    assert colour_wanted(stream, env) is expected


def test_progress_only_on_a_terminal_and_never_with_quiet() -> None:
    assert progress_wanted(Tty(), quiet=False, environ={})
    assert not progress_wanted(Tty(), quiet=True, environ={})
    assert not progress_wanted(io.StringIO(), quiet=False, environ={"FORCE_COLOR": "1"})
    assert not progress_wanted(Tty(), quiet=False, environ={"TERM": "dumb"})
    with run_progress(io.StringIO(), quiet=False, environ={}) as progress:
        assert type(progress).__name__ == "_NoProgress"


def test_the_verdict_table_is_coloured_by_status_or_plain() -> None:
    bundle = judged(make_not_deployed())
    plain = verdict_table(bundle, colour=False)
    coloured = verdict_table(bundle, colour=True)
    assert not any("\x1b" in line for line in plain)
    assert [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in coloured] == plain
    text = "\n".join(coloured)
    assert "\x1b[31mNOT_DEPLOYED\x1b[0m" in text  # a hotfix verdict, red
    assert "\x1b[31mFAIL   \x1b[0m" in text
    assert "Verdict: \x1b[1;31mNOT_DEPLOYED\x1b[0m (exit 1)" in text


@pytest.fixture
def bundle_file(tmp_path: Path) -> Path:
    path = tmp_path / "bundle.json"
    path.write_bytes(dump_bundle(judged(make_not_deployed())))
    return path


@pytest.mark.parametrize(
    ("env", "coloured"),
    [({}, False), ({"FORCE_COLOR": "1"}, True), ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False)],
)
def test_render_colours_the_table_only_when_asked(
    bundle_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    coloured: bool,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main(["render", str(bundle_file), "-f", "md", "-o", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert ("\x1b[" in out) is coloured
    assert "Verdict: " in out


# --------------------------------------------------------------------------- safe texts


def test_shown_makes_escapes_bidi_and_line_breaks_visible() -> None:
    text = shown(HOSTILE + "\nnext\r\tline")
    assert not RAW.search(text)
    assert "\n" not in text
    for escape in ("\\x1b[2J", "\\x07", "\\x9b", "\\u202e", "\\u2066", "\\u200f", "\\u061c"):
        assert escape in text


def test_a_hostile_bundle_cannot_write_escapes_to_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Summaries built from a received bundle's evidence, and the paths printed, hold ESC,
    CSI (7- and 8-bit), OSC and bidi controls: the terminal gets them escaped."""
    monkeypatch.setenv("FORCE_COLOR", "1")  # colour on: only our own SGR codes may appear
    made = make_not_deployed()
    error = EvidenceError(operation="ecr:DescribeImages", code="AccessDenied", message=HOSTILE)
    image = made.evidence.image.model_copy(update={"error": error})
    hostile = judged(
        made.model_copy(update={"evidence": made.evidence.model_copy(update={"image": image})})
    )
    summary = next(c.summary for c in hostile.checks if c.id == "image.found")
    assert HOSTILE in summary  # the bundle really carries the raw controls
    name = "bund\x1b[31mle\u202e"
    path = tmp_path / f"{name}.json"
    path.write_bytes(dump_bundle(hostile))
    out_dir = tmp_path / "out\x1b]0;x\x07"
    code = main(["render", str(path), "-f", "json", "-o", str(out_dir)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    without_colour = re.sub(r"\x1b\[(?:[0-9]+;)*[0-9]+m", "", out)
    assert not RAW.search(without_colour), repr(without_colour)
    assert "\\x1b[2J\\x1b]0;owned\\x07" in out
    assert "\\u202eevil\\u202c" in out
    assert "bund\\x1b[31mle\\u202e.json" in out
    assert "out\\x1b]0;x\\x07" in out


def test_errors_are_safe_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["render", str(tmp_path / "no\x1b[2Jsuch\u202e.json")])
    _, err = capsys.readouterr()
    assert code == 2
    assert not RAW.search(err)
    assert "no\\x1b[2Jsuch\\u202e.json" in err


# --------------------------------------------------------------------------- progress


def test_terminal_progress_shows_each_collector_bytes_rate_and_events() -> None:
    stream = Tty()
    progress = TerminalProgress(Console(file=stream, force_terminal=True, width=120))
    with progress.shown_during():
        progress.state("image", "waiting")
        progress.state("logs", "running")
        progress.measure("logs", "bytes", 4_000_000)
        for _ in range(4):
            progress.advance("logs", 500_000)
        progress.state("service", "failed", "AccessDenied\x1b[2J")
        progress.state("image", "done")
        progress.measure("events", "events")
        progress.advance("events", 12_345)
        rows = progress.rows()
    assert rows[0].startswith("✔ image")
    assert "done" in rows[0]
    assert rows[1].split()[1:3] == ["logs", "running"]
    assert "2.0 MB of 4.0 MB" in rows[1]
    assert "failed" in rows[2]
    assert "(AccessDenied\\x1b[2J)" in rows[2]
    assert "12,345 events" in rows[3]
    drawn = stream.getvalue()
    assert "logs" in drawn  # it was drawn on the terminal ...
    assert "\x1b[2J" not in drawn  # ... without the error code's escape


FILES_SPEC = """\
claimed_deployed_at = 2025-11-26T09:00:00Z
fixed_at = 2025-11-25T20:00:00Z
[aws]
region = "us-east-1"
endpoint_url = "{endpoint}"
[image]
repository = "{repository}"
[logs]
files = ["logs/*.log"]
[[hotfix]]
id = "h"
expect_logs = ["Requested platforms"]
"""

LOG_LINES = (
    "2025-11-26T09:30:00Z INFO Requested platforms: ['linkedin']\n"
    "no timestamp here\n"
    "  still none\n"
    "2025-11-26T09:31:00Z INFO done\n"
)


def _files_spec(tmp_path: Path, endpoint: str, lines: str = LOG_LINES * 2000) -> Path:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "app.log").write_text(lines, encoding="utf-8")
    spec = tmp_path / "hotfix.toml"
    spec.write_text(FILES_SPEC.format(endpoint=endpoint, repository=REPOSITORY), encoding="utf-8")
    return spec


def test_progress_is_drawn_on_a_real_terminal(tmp_path: Path, seeded: str) -> None:
    """``reporter verify`` with stderr on a pseudo-terminal draws a line per collector, with
    the bytes of the log files; stdout (a pipe) stays plain."""
    import pty

    spec = _files_spec(tmp_path, seeded)
    size = (tmp_path / "logs" / "app.log").stat().st_size
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    for name in ("NO_COLOR", "FORCE_COLOR"):
        env.pop(name, None)
    try:
        child = subprocess.run(
            [sys.executable, "-m", "reporter", "verify", str(spec), "-f", "json",
             "-o", str(tmp_path / "out"), "--now", NOW],
            stdout=subprocess.PIPE,
            stderr=follower,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )  # fmt: skip
        os.close(follower)
        drawn = _read_all(leader)
    finally:
        os.close(leader)
    assert child.returncode == 0, child.stdout.decode() + drawn
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn)
    for part in ("image", "logs", "image_config"):
        assert part in plain
    assert "done" in plain
    total = f"{size / 1000:.1f} kB"
    assert f"of {total}" in plain, plain
    assert "\x1b[" not in child.stdout.decode()
    assert "reporter: warning: 4,000 lines in 1 local log file could not be dated" in plain


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


def test_quiet_and_a_pipe_draw_nothing(
    tmp_path: Path, seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _files_spec(tmp_path, seeded, lines=LOG_LINES)
    for extra in ([], ["--quiet"]):
        code = main(["verify", str(spec), "-f", "json", "-o", str(tmp_path), "--now", NOW, *extra])
        out, err = capsys.readouterr()
        assert code == 0, out + err
        assert err == (
            "reporter: warning: 2 lines in 1 local log file could not be dated "
            "(logs/app.log: 2); a watched text found only there cannot count, so its check "
            "is unknown (see [logs] timezone, timestamp_field, timestamp_pattern)\n"
        )


def test_no_warning_when_every_line_is_dated() -> None:
    assert undated_warning(judged(make_not_deployed())) is None


# --------------------------------------------------------------------------- help


COMMANDS = ("verify", "collect", "render", "demo", "init", "check", "schema")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_two_examples_and_readable_metavars(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([command, "--help"])
    out, _ = capsys.readouterr()
    assert code == 0
    examples = out.split("Examples:", 1)[1].strip().splitlines()
    assert [line.split()[:2] for line in examples[:2]] == [["reporter", command]] * 2
    assert "<list" not in out
    assert "<str>" not in out
    if command != "schema":
        assert "Exit codes: " in out


def test_verify_help_names_its_metavars_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    main(["verify", "--help"])
    out, _ = capsys.readouterr()
    for shown_as in (
        "--format FORMAT",
        "--output-dir DIR",
        "--now RFC3339",
        "--wait DURATION",
        "--interval DURATION",
        "--template-dir DIR",
        "--quiet",
    ):
        assert shown_as in out, shown_as
    assert "0 VERIFIED, 1 PARTIAL or NOT_DEPLOYED, 3 INCONCLUSIVE" in out
    assert "2 bad input, 130 interrupted" in out
    assert "md, pdf, html, json, summary, junit" in out
    assert "--template NAME" in out


# --------------------------------------------------------------------------- completion


def _reporter_on_path() -> str:
    found = shutil.which("reporter", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("the reporter script is not installed beside this Python")
    return found


def test_completion_answers_the_shell(tmp_path: Path) -> None:
    """What the installed completion script asks: ``_REPORTER_COMPLETE=complete_bash``."""
    reporter = _reporter_on_path()

    def complete(words: str, index: int) -> list[str]:
        env = {
            **os.environ,
            "COMP_WORDS": words,
            "COMP_CWORD": str(index),
            "_REPORTER_COMPLETE": "complete_bash",
        }
        done = subprocess.run(
            [reporter], env=env, capture_output=True, text=True, timeout=60, check=True
        )
        return done.stdout.split()

    assert complete("reporter ver", 1) == ["verify"]
    assert "--wait" in complete("reporter verify x.toml --wa", 3)
    assert complete("reporter verify x.toml --format ", 4)[:2] == ["md", "pdf"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_install_completion_installs_a_script_bash_uses(tmp_path: Path) -> None:
    reporter = _reporter_on_path()
    env = {**os.environ, "HOME": str(tmp_path), "PATH": f"{Path(reporter).parent}:/usr/bin:/bin"}
    installed = subprocess.run(
        # `; exit $?`: bash stays the parent (it would exec a lone command), so the shell
        # typer detects is bash whatever started the tests (make's sh, say)
        ["bash", "-c", "reporter --install-completion; exit $?"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    shown_script = subprocess.run(
        ["bash", "-c", "reporter --show-completion; exit $?"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "_REPORTER_COMPLETE=complete_bash" in shown_script.stdout
    script = tmp_path / ".bash_completions" / "reporter.sh"
    assert script.is_file()
    assert str(script) in (tmp_path / ".bashrc").read_text(encoding="utf-8")
    used = subprocess.run(
        [
            "bash",
            "-c",
            f"source {script}; COMP_WORDS=(reporter col); COMP_CWORD=1; "
            # what bash runs on <TAB>: the function `complete -F` names, given the command
            "$(complete -p reporter | grep -o -- '-F [^ ]*' | cut -c4-) reporter; "
            'echo "${COMPREPLY[@]}"',
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert used.stdout.split() == ["collect"], used.stdout + used.stderr


# --------------------------------------------------------------------------- the demo's git note


def test_demo_without_git_warns_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    code = main(["demo", "-o", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert err.startswith("reporter: warning: git is not on PATH: ")
    assert err.count("\n") == 1
    assert "Verdict: NOT_DEPLOYED" in out


def _bundle_with_undated(bundle: Bundle) -> Bundle:
    from reporter.model import FileStats

    logs = bundle.evidence.logs.model_copy(
        update={
            "file_stats": tuple(
                FileStats(path=f"logs/{n}\x1b.log", undated_lines=n * 1000) for n in range(1, 6)
            )
        }
    )
    return bundle.model_copy(update={"evidence": bundle.evidence.model_copy(update={"logs": logs})})


def test_the_undated_warning_names_the_worst_files_safely() -> None:
    warning = undated_warning(_bundle_with_undated(make_not_deployed()))
    assert warning is not None
    assert warning.startswith(
        "15,000 lines in 5 local log files could not be dated (logs/5\\x1b.log: 5,000, "
        "logs/4\\x1b.log: 4,000, logs/3\\x1b.log: 3,000, 2 more files)"
    )
