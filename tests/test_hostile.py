"""Collected log text is data and secrets never reach an output: end to end, every format.

One ``reporter verify`` run (md, html, json and pdf) over the seeded reference incident
on moto's server, with the logs read from a local file whose events are hostile: HTML
and an ``<img>`` pointing at a socket this module listens on, Markdown fences, headings
and tables on lines of their own, Jinja syntax, ANSI escapes and other control
characters, bytes that are not UTF-8, a 1 MB line, and secrets of every built-in kind
plus one of the spec's own ``[redact] patterns``. Each hostile event carries a marker
text that ``[logs] context`` (and the hotfix's ``expect_logs`` / ``retired_logs``) ask
for, so every one of them is shown in the reports as an excerpt.

A second run of the same spec whose log file has ordinary events instead (same
timestamps, same markers) is the yardstick for the reports' structure: the hostile run
must have the same headings and the same HTML elements.

The hostile log file's name holds an access key id, an escape character and markup too:
file names are collected text, shown in prose, table cells and code spans, and they reach
the terminal through the checks' summaries.
"""

from __future__ import annotations

import io
import json
import os
import re
import select
import socket
import stat
from collections import Counter
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

from reporter.cli import main
from reporter.collect.aws import make_clients
from reporter.demo.seed import seed_incident
from reporter.demo.server import prepare, restore
from reporter.text import EXCERPT_CHARS
from tests.conftest import emulator_options

NOW = "2025-11-26T10:50:00Z"
REGION = "us-east-1"
REDACTED = "[REDACTED]"
LOG_NAME = "app-AKIAIOSFODNN7EXAMPLE-\x1b[1m-<img src=x onerror=alert(1)>-|-*x*-`.log"
"""The hostile log file's name (collected text too): an access key id, an escape, markup."""
SHOWN_LOG_NAME = "logs/app-[REDACTED]-\\x1b[1m-<img src=x onerror=alert(1)>-|-*x*-`.log"
"""How reports and the terminal show that file (literally, once redacted and escaped)."""
CLEAN_LOG_NAME = "app.log"

SESSION_HEX = "5f2b9c0e7d1a4b3c8e6f0a9d2c4b1e7f"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-abc_123"
PEM_BODY = (
    "MIIEowIBAAKCAQEAvQ3n8cT1qR0b9xZ2kL4mN7pO5sU6wV8yX3zA1cB2dE4fG6hI",
    "q2xYzWmK9LpQ3rS5tU7vW1xY3zA5bC7dE9fG1hI3jK5lM7nO9pQ1rS3tU5vW7xYz",
)
SECRETS = (
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI",
    "K7MDENG",
    "hunter2",
    JWT,
    "eyJhbGciOiJIUzI1NiJ9",
    "sig-abc_123",
    "MIIEow",
    PEM_BODY[0],
    PEM_BODY[1],
    SESSION_HEX,
)
"""Texts that must appear in no output at all (each one a secret or a piece of one)."""

LONG_LINE_CHARS = 1_000_000
BIDI_LINE = "if role == 'user\u202e \u2066// admin\u2069 \u2066': lrm\u200e rlm\u200f alm\u061c"
"""A "Trojan Source" line: bidirectional controls make it read in another order."""
SHOWN_BIDI_LINE = (
    "if role == 'user\\u202e \\u2066// admin\\u2069 \\u2066': lrm\\u200e rlm\\u200f alm\\u061c"
)

SPEC = """\
title = "Hotfix Verification Report"
incident = "INC-2025-1126"
claimed_deployed_at = 2025-11-26T09:00:00Z
[aws]
region = "{region}"
endpoint_url = "{endpoint}"
[image]
repository = "content-marketing-swarm-backend"
[service]
cluster = "content-marketing-swarm-dev-cluster"
name = "content-marketing-swarm-dev-backend-service"
[logs]
files = ["logs/*.log"]
context = [{context}]
[redact]
patterns = ["session=[0-9a-f]{{32}}"]
[[hotfix]]
id = "multi-platform-parsing"
title = "Multi-Platform Parsing"
fixed_at = 2025-11-26T08:00:00Z
expect_logs = ["hx-expected"]
retired_logs = ["hx-retired"]
"""


# --------------------------------------------------------------------------- the log files


MARKERS = (
    "hx-01 hx-expected",
    *(f"hx-{n:02d}" for n in range(2, 10)),
    "hx-10 hx-retired",
    *(f"hx-{n:02d}" for n in range(11, 18)),
)
"""What each event says right after its timestamp: its own ``[logs] context`` text (and
the hotfix's expected or retired text for two of them), so every event is shown."""
CONTEXT = tuple(m.split()[0] for m in MARKERS)


def hostile_messages(port: int) -> list[bytes]:
    """The hostile events' messages, one per marker; ``port`` is the trap socket's."""
    fences = "\n  ".join(  # indented: a continuation line of a local log file is indented
        [
            "```",
            "~~~~",
            "# Heading",
            "## Another",
            "| a | b |",
            "|---|---|",
            "- item",
            "<table><tr><td>cell</td></tr></table>",
            "<ul><li>item</li></ul>",
            "```",
        ]
    )
    pem = "\n  ".join(
        ["-----BEGIN RSA PRIVATE KEY-----", *PEM_BODY, "-----END RSA PRIVATE KEY-----"]
    )
    return [
        b"<script>alert(1)</script>",
        f"<img src=http://127.0.0.1:{port}/x.png>".encode(),
        f"![pixel](http://127.0.0.1:{port}/md.png)".encode(),
        ("markdown follows\n  " + fences).encode(),  # continuation lines: line starts in the report
        b"{{ 7*7 }} {% for x in y %} {# note #}",
        b"\x1b[31mred\x1b[0m",
        "nul\x00 bel\x07 del\x7f cr\r csi\x9b ls\u2028 tab\t.".encode(),
        b"bad utf-8 \xff\xfe \xc3( end",
        b"A" * LONG_LINE_CHARS,
        b"key id AKIAIOSFODNN7EXAMPLE in use",
        b"aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        f"Authorization: Bearer {JWT}".encode(),
        f"issued {JWT} to the client".encode(),
        b"connecting to postgres://app:hunter2@db:5432/x",
        ("loaded key\n  " + pem).encode(),
        f"user session={SESSION_HEX} stored".encode(),
        BIDI_LINE.encode(),
    ]


def log_bytes(port: int, hostile: bool) -> bytes:
    """The log file: event n at 10:0n on the incident's day, hostile or ordinary."""
    messages = hostile_messages(port)
    assert len(messages) == len(MARKERS)
    out = []
    for n, (marker, message) in enumerate(zip(MARKERS, messages, strict=True)):
        body = message if hostile else f"ordinary event number {n + 1}".encode()
        out.append(f"2025-11-26T10:{n:02d}:00.250Z {marker} ".encode() + body + b"\n")
    return b"".join(out)


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class Run:
    """One ``reporter verify`` run: exit code, terminal output and the files written."""

    code: int
    out: str
    err: str
    out_dir: Path
    files: dict[str, bytes]

    def text(self, name: str) -> str:
        """A written file, decoded as UTF-8 (strictly)."""
        return self.files[name].decode("utf-8")


@pytest.fixture(scope="module")
def incident(moto_server: str) -> Iterator[str]:
    """The reference incident on moto's server, for this module; credentials in the env."""
    prepare(moto_server)
    seed_incident(make_clients(emulator_options(moto_server)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.delenv("AWS_PROFILE", raising=False)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        yield moto_server
    restore(moto_server)


@pytest.fixture(scope="module")
def trap() -> Iterator[socket.socket]:
    """A listening socket on 127.0.0.1 that nothing should ever connect to."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server
    server.close()


def port_of(server: socket.socket) -> int:
    """The trap's port."""
    port: int = server.getsockname()[1]
    return port


def write_spec(folder: Path, endpoint: str, port: int, hostile: bool) -> Path:
    """Write the spec and its log file in ``folder``; the spec's path."""
    (folder / "logs").mkdir(parents=True)
    name = LOG_NAME if hostile else CLEAN_LOG_NAME
    (folder / "logs" / name).write_bytes(log_bytes(port, hostile))
    context = ", ".join(json.dumps(m) for m in CONTEXT)
    spec = folder / "hotfix.toml"
    spec.write_text(
        SPEC.format(region=REGION, endpoint=endpoint, context=context), encoding="utf-8"
    )
    return spec


def verify(folder: Path, endpoint: str, port: int, hostile: bool, *formats: str) -> Run:
    """Write the spec and its log file in ``folder`` and run ``reporter verify`` on it."""
    spec = write_spec(folder, endpoint, port, hostile)
    out_dir = folder / "out"
    args = ["verify", str(spec), "-o", str(out_dir), "--now", NOW]
    for fmt in formats:
        args += ["-f", fmt]
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = main(args)
    files = {p.name: p.read_bytes() for p in out_dir.iterdir()}
    return Run(code, stdout.getvalue(), stderr.getvalue(), out_dir, files)


@pytest.fixture(scope="module")
def hostile(incident: str, trap: socket.socket, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The run over the hostile log file, in every format."""
    folder = tmp_path_factory.mktemp("hostile")
    return verify(folder, incident, port_of(trap), True, "md", "html", "json", "pdf")


@pytest.fixture(scope="module")
def clean(incident: str, trap: socket.socket, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The same spec over ordinary events (same times, same markers): md and html."""
    folder = tmp_path_factory.mktemp("clean")
    return verify(folder, incident, port_of(trap), False, "md", "html")


# --------------------------------------------------------------------------- reading outputs


class _Html(HTMLParser):
    """Every start tag, and the text of the page and of each h1-h4."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.text: list[str] = []
        self.headings: list[str] = []
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        if tag in ("h1", "h2", "h3", "h4"):
            self._heading = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3", "h4") and self._heading is not None:
            self.headings.append(f"{tag}: {''.join(self._heading).strip()}")
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading is not None:
            self._heading.append(data)


def parse_html(page: str) -> _Html:
    """The page parsed with html.parser."""
    parser = _Html()
    parser.feed(page)
    parser.close()
    return parser


_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def md_headings(text: str) -> list[str]:
    """ATX headings (lines starting with '#') outside fenced code blocks, in order."""
    headings: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        if fence is not None:
            closing = line.strip()
            if closing and set(closing) == {fence[0]} and len(closing) >= len(fence):
                fence = None
            continue
        opening = _FENCE_OPEN.match(line)
        if opening and not (opening.group(1)[0] == "`" and "`" in opening.group(2)):
            fence = opening.group(1)
        elif line.startswith("#"):
            headings.append(line)
    assert fence is None, "a fenced block is never closed"
    return headings


def pdf_text(data: bytes) -> str:
    """The PDF's text (pypdf), without any whitespace: layout breaks lines anywhere."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", "", text)


RAW_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]"
)
"""Control characters and bidirectional controls that must never be written raw (newline
and tab may)."""


def literals(port: int) -> list[str]:
    """What the hostile events must show literally (their control characters as escapes)."""
    return [
        "<script>alert(1)</script>",
        f"<img src=http://127.0.0.1:{port}/x.png>",
        f"![pixel](http://127.0.0.1:{port}/md.png)",
        "~~~~",
        "# Heading",
        "## Another",
        "| a | b |",
        "<table><tr><td>cell</td></tr></table>",
        "<ul><li>item</li></ul>",
        "{{ 7*7 }} {% for x in y %} {# note #}",
        "\\x1b[31mred\\x1b[0m",
        "nul\\x00 bel\\x07 del\\x7f cr\\x0d csi\\x9b ls\\u2028 tab\t.",
        "bad utf-8 \\xff\\xfe \\xc3( end",
        "more characters cut]",
        "key id [REDACTED] in use",
        "aws_secret_access_key=[REDACTED]",
        "Authorization: Bearer [REDACTED]",
        "issued [REDACTED] to the client",
        "postgres://app:[REDACTED]@db:5432/x",
        "-----BEGIN RSA PRIVATE KEY-----[REDACTED]-----END RSA PRIVATE KEY-----",
        "user [REDACTED] stored",
        SHOWN_BIDI_LINE,
        SHOWN_LOG_NAME,
    ]


def assert_no_secret(output: str, where: str) -> None:
    """None of :data:`SECRETS` in ``output``; ``[REDACTED]`` is."""
    for secret in SECRETS:
        assert secret not in output, f"{secret!r} leaked into {where}"
    assert REDACTED in output, where


def assert_literals(output: str, port: int, where: str, squeeze: bool = False) -> None:
    """Every hostile literal in ``output``.

    Runs of blanks compare as one space (python-markdown expands a tab in a code block
    to spaces); with ``squeeze`` all whitespace is ignored (PDF layout breaks lines).
    """
    blanks = re.compile(r"\s+" if squeeze else r"[ \t]+")
    gap = "" if squeeze else " "
    shown = blanks.sub(gap, output)
    for literal in literals(port):
        assert blanks.sub(gap, literal) in shown, f"{literal!r} not shown literally in {where}"


def strings(value: object) -> Iterator[str]:
    """Every string in decoded JSON, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


# --------------------------------------------------------------------------- the tests


def test_verify_writes_every_format_and_exits_by_verdict(hostile: Run, clean: Run) -> None:
    for run in (hostile, clean):
        assert run.code == 1, run.out + run.err
        assert "Verdict: NOT_DEPLOYED (exit 1)" in run.out
        assert run.err == ""
    assert sorted(hostile.files) == ["hotfix.html", "hotfix.json", "hotfix.md", "hotfix.pdf"]
    assert hostile.files["hotfix.pdf"].startswith(b"%PDF")


def test_no_secret_in_any_output(hostile: Run) -> None:
    assert_no_secret(hostile.text("hotfix.md"), "md")
    assert_no_secret(hostile.text("hotfix.html"), "html")
    assert_no_secret("".join(parse_html(hostile.text("hotfix.html")).text), "html text")
    assert_no_secret(hostile.text("hotfix.json"), "json")
    assert_no_secret(json.dumps(json.loads(hostile.files["hotfix.json"])), "json values")
    assert_no_secret(pdf_text(hostile.files["hotfix.pdf"]), "pdf")
    assert_no_secret(hostile.out, "terminal")
    for secret in SECRETS:
        assert secret not in hostile.err


def test_hostile_text_shows_literally_in_md(hostile: Run, trap: socket.socket) -> None:
    assert_literals(hostile.text("hotfix.md"), port_of(trap), "md")


def test_hostile_text_shows_literally_in_html_and_is_never_markup(
    hostile: Run, clean: Run, trap: socket.socket
) -> None:
    page = parse_html(hostile.text("hotfix.html"))
    text = "".join(page.text)
    assert_literals(text, port_of(trap), "html text")
    assert "```" in text
    assert "```" not in "".join(parse_html(clean.text("hotfix.html")).text)
    assert page.tags["script"] == 0
    assert page.tags["img"] == 0
    assert "<script" not in hostile.text("hotfix.html")


def test_hostile_text_shows_literally_in_json(hostile: Run, trap: socket.socket) -> None:
    data = json.loads(hostile.files["hotfix.json"])
    messages = "\n".join(
        f"{excerpt['stream']} {excerpt['message']}"
        for match in data["evidence"]["logs"]["matches"]
        for excerpt in match["excerpts"]
    )
    assert_literals(messages, port_of(trap), "json excerpts")


def test_hostile_text_shows_literally_in_pdf(hostile: Run, trap: socket.socket) -> None:
    assert_literals(pdf_text(hostile.files["hotfix.pdf"]), port_of(trap), "pdf", squeeze=True)


def test_control_characters_are_never_written_raw(hostile: Run) -> None:
    outputs = {
        "md": hostile.text("hotfix.md"),
        "html": hostile.text("hotfix.html"),
        "terminal": hostile.out,
        "stderr": hostile.err,
    }
    for where, output in outputs.items():
        found = RAW_CONTROL.search(output)
        assert found is None, f"raw {found.group()!r} in {where}" if found else ""
    bundle = hostile.text("hotfix.json")
    assert RAW_CONTROL.search(bundle) is None
    for match in json.loads(bundle)["evidence"]["logs"]["matches"]:
        for value in strings(match["excerpts"]):
            assert RAW_CONTROL.search(value) is None, value[:200]
    # The file name's escape reaches the terminal through a check's summary, made visible.
    assert SHOWN_LOG_NAME in hostile.out


def test_a_1mb_line_is_cut_and_the_reports_stay_small(hostile: Run) -> None:
    for name, limit in (
        ("hotfix.md", 50_000),
        ("hotfix.html", 80_000),
        ("hotfix.json", 60_000),
        ("hotfix.pdf", 400_000),
    ):
        assert len(hostile.files[name]) < limit, name
    prefix = "2025-11-26T10:08:00.250Z hx-09 "  # the event's message starts with its line
    cut = len(prefix) + LONG_LINE_CHARS - EXCERPT_CHARS
    shown = f"{prefix}{'A' * (EXCERPT_CHARS - len(prefix))} [… {cut} more characters cut]"
    for name in ("hotfix.md", "hotfix.html", "hotfix.json"):
        text = hostile.text(name)
        assert shown in text, name
        assert "A" * (EXCERPT_CHARS - len(prefix) + 1) not in text, name


def test_structure_is_unchanged_by_hostile_text(hostile: Run, clean: Run) -> None:
    headings = md_headings(hostile.text("hotfix.md"))
    assert headings == md_headings(clean.text("hotfix.md"))
    assert "## Production Logs Analysis" in headings
    assert not any("Heading" in h or "Another" in h for h in headings)
    page, yardstick = parse_html(hostile.text("hotfix.html")), parse_html(clean.text("hotfix.html"))
    assert page.headings == yardstick.headings
    assert [h.split(": ", 1)[1] for h in page.headings] == [
        h.lstrip("#").strip().replace("`", "") for h in headings
    ]
    # Line-break opportunities (<wbr>) in inline code follow the text; the structure does not.
    assert {t: n for t, n in page.tags.items() if t != "wbr"} == {
        t: n for t, n in yardstick.tags.items() if t != "wbr"
    }
    for tag in ("table", "ul", "pre", "h1", "h2", "h3", "h4"):
        assert page.tags[tag] == yardstick.tags[tag], tag


def test_pdf_rendering_fetches_nothing(hostile: Run, trap: socket.socket) -> None:
    ready, _, _ = select.select([trap], [], [], 0)
    assert ready == [], "something connected to the <img> target while the reports were written"
    # The trap does catch a connection (then it is emptied again).
    with socket.create_connection(trap.getsockname(), timeout=5):
        ready, _, _ = select.select([trap], [], [], 5)
        assert ready == [trap]
        accepted, _ = trap.accept()
        accepted.close()


def test_bundle_renders_offline_to_the_same_bytes(
    hostile: Run,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing answers there
    bundle = hostile.out_dir / "hotfix.json"
    code = main(
        ["render", str(bundle), "-o", str(tmp_path), "-f", "md", "-f", "html", "-f", "json"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert_no_secret(out, "render terminal")
    assert RAW_CONTROL.search(out + err) is None
    for name in ("hotfix.md", "hotfix.html", "hotfix.json"):
        assert (tmp_path / name).read_bytes() == hostile.files[name], name


# --------------------------------------------------------------------------- collect -o


def collect(folder: Path, endpoint: str, output: Path) -> tuple[int, str, str]:
    """``reporter collect`` of the hostile spec in ``folder`` into ``output``."""
    spec = folder / "hotfix.toml"
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = main(["collect", str(spec), "-o", str(output), "--now", NOW])
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def collect_folder(
    incident: str, trap: socket.socket, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A folder with the hostile spec and its log file."""
    folder = tmp_path_factory.mktemp("collect")
    write_spec(folder, incident, port_of(trap), True)
    return folder


def test_collect_onto_a_symlink_is_refused_and_its_target_kept(
    collect_folder: Path, incident: str, tmp_path: Path
) -> None:
    precious = tmp_path / "precious.json"
    precious.write_text('{"keep": "me"}', encoding="utf-8")
    link = tmp_path / "bundle.json"
    link.symlink_to(precious)
    code, out, err = collect(collect_folder, incident, link)
    assert code == 2
    assert out == ""
    assert err == (
        f"reporter: error: {link}: cannot write: is a symbolic link "
        "(give the file it points to, or remove the link)\n"
    )
    assert precious.read_text(encoding="utf-8") == '{"keep": "me"}'
    assert link.is_symlink()


def test_collect_onto_a_fifo_is_refused(
    collect_folder: Path, incident: str, tmp_path: Path
) -> None:
    fifo = tmp_path / "bundle.json"
    os.mkfifo(fifo)
    code, _, err = collect(collect_folder, incident, fifo)
    assert code == 2
    assert err.endswith("cannot write: is a FIFO, not a regular file\n")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_collect_writes_a_regular_file_whole(
    collect_folder: Path, incident: str, tmp_path: Path
) -> None:
    output = tmp_path / "new" / "bundle.json"
    code, out, _ = collect(collect_folder, incident, output)
    assert code == 1
    assert out.startswith(f"{output}\n")
    assert json.loads(output.read_bytes())["verdict"] == "NOT_DEPLOYED"
    assert [p.name for p in output.parent.iterdir()] == ["bundle.json"]
