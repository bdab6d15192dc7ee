"""The CLI side of the spec: `check`, `schema`, `init`, and bad specs reported all at once.

Every command runs in-process through :func:`reporter.cli.main`, as a user's shell would.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from reporter.cli import main
from reporter.spec import spec_schema_text
from tests.test_schema import CHECKED_IN, DEMO_SPEC, as_taplo

GOOD = """\
title = "T"
claimed_deployed_at = 2025-11-26T09:00:00Z
[aws]
region = "us-east-1"
endpoint_url = "{endpoint}"
[image]
repository = "backend"
[service]
cluster = "c"
name = "s"
[logs]
group = "/ecs/app"
since = 2025-11-26T09:00:00Z
until = 2025-11-26T11:00:00Z
[code]
root = "."
[[hotfix]]
id = "multi-platform"
expect_logs = ["Requested platforms"]
code = [{{ path = "app/ws.py", contains = "Requested platforms" }}]
[[hotfix]]
id = "no-proof"
retired_logs = ["old"]
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def error_lines(err: str) -> list[str]:
    lines = err.splitlines()
    for line in lines:
        assert line.startswith("reporter: error: "), line
    assert "Traceback" not in err
    return [line.removeprefix("reporter: error: ") for line in lines]


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP port on 127.0.0.1 that records whether anything connected to it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield sock


def connected(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def write_spec(folder: Path, text: str, name: str = "hotfix.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- check


def test_check_of_a_good_spec_prints_ok_and_a_summary_without_aws_or_git(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    listener: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "git-ran"
    fake_git = bin_dir / "git"
    fake_git.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n", encoding="utf-8")
    fake_git.chmod(fake_git.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    port = listener.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    spec = write_spec(tmp_path, GOOD.format(endpoint=f"http://127.0.0.1:{port}"))

    code, out, err = run(capsys, "check", str(spec))

    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{spec}: ok: 2 hotfixes (multi-platform, no-proof)",
        "  image    ECR backend:latest",
        "  service  ECS c / s",
        "  logs     CloudWatch group /ecs/app (auto)",
        "  window   2025-11-26T09:00:00Z to 2025-11-26T11:00:00Z",
        f"  code     {tmp_path.resolve()}",
    ]
    assert not connected(listener), "check made a network call"
    assert not marker.exists(), "check ran git"


def test_check_notes_a_hotfix_that_can_never_be_deployed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.format(endpoint="http://127.0.0.1:1").replace(
        '[service]\ncluster = "c"\nname = "s"\n', ""
    )
    spec = write_spec(tmp_path, text)
    code, out, _ = run(capsys, "check", str(spec))
    assert code == 0
    assert out.splitlines()[-1] == (
        "note: hotfix[2] 'no-proof' can never be DEPLOYED: nothing would show production "
        "running it (add expect_logs, or [service])"
    )
    assert "hotfix[1]" not in out


def test_check_of_the_demo_spec(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", str(DEMO_SPEC))
    assert (code, err) == (0, "")
    assert out.startswith(f"{DEMO_SPEC}: ok: 3 hotfixes (multi-platform-parsing, ")


def test_check_prints_every_problem_and_verify_at_most_ten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = "".join(f"unknown_{n} = 1\n" for n in range(12))
    spec = write_spec(tmp_path, keys + GOOD.format(endpoint="http://127.0.0.1:1"))

    code, out, err = run(capsys, "check", str(spec))
    assert (code, out) == (2, "")
    assert error_lines(err) == [f"{spec}: unknown key 'unknown_{n}'" for n in range(12)]

    code, out, err = run(capsys, "verify", str(spec), "--now", "2025-11-26T12:00:00Z")
    assert (code, out) == (2, "")
    lines = error_lines(err)
    assert len(lines) == 10
    assert lines[:9] == [f"{spec}: unknown key 'unknown_{n}'" for n in range(9)]
    assert lines[9] == "... and 3 more problems (`reporter check SPEC` lists them all)"


def test_check_suggests_the_key_meant(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.format(endpoint="http://127.0.0.1:1").replace("expect_logs", "expect_log")
    spec = write_spec(tmp_path, text)
    code, _, err = run(capsys, "check", str(spec))
    assert code == 2
    assert error_lines(err) == [
        f"{spec}: unknown key 'hotfix[1].expect_log'; did you mean 'expect_logs'?"
    ]


def test_check_reads_a_spec_saved_with_a_byte_order_mark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "hotfix.toml"
    spec.write_bytes(b"\xef\xbb\xbf" + GOOD.format(endpoint="http://127.0.0.1:1").encode())
    code, out, _ = run(capsys, "check", str(spec))
    assert code == 0
    assert out.startswith(f"{spec}: ok")


def test_check_includes_the_file_system_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        GOOD.format(endpoint="http://127.0.0.1:1")
        .replace('group = "/ecs/app"', 'files = ["logs/*.log"]')
        .replace('path = "app/ws.py"', 'path = "link/ws.py"')
    )
    (tmp_path / "link").symlink_to(tmp_path.parent)
    spec = write_spec(tmp_path, text)
    code, _, err = run(capsys, "check", str(spec))
    assert code == 2
    lines = error_lines(err)
    assert len(lines) == 2
    assert "key 'hotfix[1].code[1].path': 'link/ws.py' leads out of code.root" in lines[0]
    assert lines[1] == f"{spec}: key 'logs.files[1]': 'logs/*.log' matches no file"


def test_error_lines_are_escaped_and_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = '"\\u001b[31mred" = 1\n' + GOOD.format(endpoint="http://127.0.0.1:1")
    spec = write_spec(tmp_path, text)
    code, _, err = run(capsys, "check", str(spec))
    assert code == 2
    assert "\x1b" not in err
    assert error_lines(err) == [f"{spec}: unknown key '\"\\u001b[31mred\"'"]


def test_a_password_in_an_endpoint_url_is_not_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = write_spec(tmp_path, GOOD.format(endpoint="http://user:hunter2@127.0.0.1:99999"))
    code, _, err = run(capsys, "check", str(spec))
    assert code == 2
    assert error_lines(err) == [
        f"{spec}: key 'aws.endpoint_url': has a port that is not a number from 1 to 65535"
    ]
    text = GOOD.format(endpoint="http://127.0.0.1:1").replace(
        'endpoint_url = "http://127.0.0.1:1"\n', ""
    )
    spec = write_spec(tmp_path, text)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://user:hunter2@x y")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    code, _, err = run(capsys, "verify", str(spec), "--now", "2025-11-26T12:00:00Z")
    assert code == 2
    (line,) = error_lines(err)
    assert line.startswith(f"{spec}: key 'aws.endpoint_url': ")
    assert "hunter2" not in err


# ------------------------------------------------------------ verify: one line per bad value


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (["--region", "us east"], {}, "key 'aws.region': 'us east' is not an AWS region name"),
        (["--endpoint-url", "http://127.0.0.1:99999"], {}, "key 'aws.endpoint_url': has a port"),
        (["--endpoint-url", "localhost:4566"], {}, "key 'aws.endpoint_url': must start with"),
        (
            [],
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:99999"},
            "key 'aws.endpoint_url': the endpoint",
        ),
        ([], {"AWS_ENDPOINT_URL": "127.0.0.1:4566"}, "key 'aws.endpoint_url': Invalid endpoint"),
    ],
)
def test_verify_refuses_a_value_botocore_would_choke_on(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    fragment: str,
) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "t",
        **env,
    }.items():
        monkeypatch.setenv(name, value)
    text = GOOD.format(endpoint="x").replace('endpoint_url = "x"\n', "")
    spec = write_spec(tmp_path, text)
    code, out, err = run(
        capsys,
        "verify",
        str(spec),
        "--now",
        "2025-11-26T12:00:00Z",
        "-o",
        str(tmp_path / "r"),
        *args,
    )
    assert (code, out) == (2, "")
    (line,) = error_lines(err)
    assert line.startswith(f"{spec}: ")
    assert fragment in line
    assert not (tmp_path / "r").exists()


# --------------------------------------------------------------------------- schema and init


def test_schema_prints_the_checked_in_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "schema")
    assert (code, err) == (0, "")
    assert out == spec_schema_text() == CHECKED_IN.read_text(encoding="utf-8")
    json.loads(out)


def test_init_writes_a_schema_directive_and_the_schema_beside_the_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "ops" / "hotfix.toml"
    code, out, _ = run(capsys, "init", str(spec))
    assert code == 0
    schema_file = tmp_path / "ops" / "spec.schema.json"
    assert out.splitlines() == [str(spec), str(schema_file)]
    text = spec.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "#:schema ./spec.schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert schema == json.loads(spec_schema_text())
    validator = Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(as_taplo(tomllib.loads(text)))) == []

    code, out, _ = run(capsys, "check", str(spec))
    assert code == 0
    assert out.startswith(f"{spec}: ok: 2 hotfixes")

    schema_file.write_text("{}", encoding="utf-8")  # the user's own file: never overwritten
    other = tmp_path / "ops" / "second.toml"
    code, out, _ = run(capsys, "init", str(other))
    assert code == 0
    assert out.splitlines() == [str(other)]
    assert schema_file.read_text(encoding="utf-8") == "{}"


def test_init_into_an_unwritable_place_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    code, _, err = run(capsys, "init", str(blocker / "hotfix.toml"))
    assert code == 2
    (line,) = error_lines(err)
    assert line.startswith(f"{blocker / 'hotfix.toml'}: cannot write")


# --------------------------------------------------------------------------- crafted input


@pytest.mark.parametrize(
    "value",
    [
        "7" * 5000,
        "[" * 5000 + "]" * 5000,
        "{ a = " * 300 + "1" + " }" * 300,
        "0001-01-01T00:00:00+05:00",
        "2025-11-26T09:00:00",
        '"' + "x" * 1_500_000 + '"',
    ],
    ids=["5000-digits", "deep-arrays", "deep-tables", "overflow-datetime", "naive", "huge-string"],
)
def test_crafted_values_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    text = GOOD.format(endpoint="http://127.0.0.1:1").replace(
        "claimed_deployed_at = 2025-11-26T09:00:00Z", f"claimed_deployed_at = {value}"
    )
    spec = write_spec(tmp_path, text)
    for command in ("check", "verify"):
        code, out, err = run(capsys, command, str(spec))
        assert (code, out) == (2, "")
        (line,) = error_lines(err)
        assert line.startswith(f"{spec}: ")
        assert len(line) < 500


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=300))
@example(b"\xef\xbb\xbf")
@example(b"a = " + b"9" * 4400)
@example(b'"\\u001b" = 1')
def test_check_of_any_bytes_exits_0_or_2_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    spec = tmp_path / "any.toml"
    spec.write_bytes(content)
    code, out, err = run(capsys, "check", str(spec))
    assert code in (0, 2)
    if code == 2:
        assert out == ""
        assert error_lines(err)
        for char in err.replace("\n", ""):
            assert ord(char) >= 0x20, repr(err)
            assert ord(char) != 0x7F, repr(err)
