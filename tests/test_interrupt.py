"""Ctrl-C ends a run promptly with exit 130 and writes nothing (CONTRACT section 6).

``reporter verify`` runs in a child process against an endpoint that accepts connections
and never answers, so every collector is stuck in a network read (30 s read timeout,
retried); SIGINT must end it long before that, with no report written. With ``--wait``,
SIGINT during the pause between two rounds ends it the same way.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reporter.collect.aws import AwsClients, AwsOptions
from reporter.demo.seed import seed_incident
from tests.deploy import NOW, SPEC, before_deploy

STUCK_FOR = 60.0
"""How long the child would wait on its own (read timeouts and retries); it must not."""

REPORTER = [
    sys.executable,
    "-X",
    "faulthandler",
    "-c",
    "import signal, sys\n"
    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "from reporter.cli import entry\n"
    "sys.argv[0] = 'reporter'\n"
    "entry()",
]
"""``reporter``, as a shell starts it in the foreground: Ctrl-C raises KeyboardInterrupt.

A process started with SIGINT ignored (a background job of a non-interactive shell, such
as ``nohup make test &``) passes that on to its children, and Python then leaves SIGINT
ignored, as it should: the child sets Python's default handler itself, so the test does
not depend on how pytest was started. ``-X faulthandler``: see :func:`_stacks`."""


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt in this process for the test, however it was started."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _stacks(child: subprocess.Popen[bytes]) -> str:
    """What a child that did not stop was doing: its signal state (ignored, blocked,
    pending; per thread), then every thread's stack (SIGABRT makes its faulthandler print
    them: the child runs with ``-X faulthandler``)."""
    state = [f"parent SIGINT handler: {signal.getsignal(signal.SIGINT)!r}"]
    for status in sorted(Path(f"/proc/{child.pid}/task").glob("*/status")):
        try:
            lines = status.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        wanted = [line for line in lines if line.startswith(("Name", "Sig", "ShdPnd"))]
        state.append(f"{status.parent.name}: " + "; ".join(wanted))
    child.send_signal(signal.SIGABRT)
    try:
        _, stderr = child.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        _, stderr = child.communicate()
    return "\n".join(state) + "\n" + stderr.decode("utf-8", "replace")


@pytest.fixture
def silent_endpoint() -> Iterator[tuple[str, threading.Event]]:
    """A listener on 127.0.0.1 that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    connected = threading.Event()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)
            connected.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    host, port = server.getsockname()
    yield f"http://{host}:{port}", connected
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    server.close()


def test_ctrl_c_ends_a_stuck_run_with_130_and_no_report(
    tmp_path: Path, silent_endpoint: tuple[str, threading.Event]
) -> None:
    url, connected = silent_endpoint
    spec = tmp_path / "hotfix.toml"
    spec.write_text(
        f"""\
claimed_deployed_at = 2025-11-26T09:00:00Z
fixed_at = 2025-11-26T08:00:00Z
[aws]
region = "us-east-1"
endpoint_url = "{url}"
[image]
repository = "backend"
[service]
cluster = "c"
name = "s"
[logs]
group = "/ecs/app"
[[hotfix]]
id = "h"
expect_logs = ["new"]
""",
        encoding="utf-8",
    )
    out = tmp_path / "reports"
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_MAX_ATTEMPTS": "5",
    }
    env.pop("AWS_PROFILE", None)
    child = subprocess.Popen(
        [
            *REPORTER,
            "verify",
            str(spec),
            "-o",
            str(out),
            "-f",
            "md",
            "-f",
            "json",
            "--now",
            "2025-11-26T10:50:00Z",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert connected.wait(timeout=STUCK_FOR), "the run never reached the endpoint"
        time.sleep(0.2)  # let every collector get stuck in its read
        child.send_signal(signal.SIGINT)
        try:
            _, stderr = child.communicate(timeout=STUCK_FOR / 2)
        except subprocess.TimeoutExpired:
            pytest.fail(
                "Ctrl-C did not end the run: it kept waiting on the network\n" + _stacks(child)
            )
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130
    assert stderr.decode() == "reporter: error: interrupted\n"
    assert not out.exists() or not any(out.iterdir())


def test_ctrl_c_while_waiting_for_the_next_round_exits_130_and_writes_nothing(
    tmp_path: Path, aws: AwsClients, aws_options: AwsOptions
) -> None:
    """``--wait``: the first round ends NOT_DEPLOYED and the run pauses an hour before the
    next; SIGINT during the pause ends it with 130 and no report (they are written once,
    from the last round, which never came)."""
    seed_incident(aws)
    before_deploy(aws)
    assert aws_options.endpoint_url is not None
    spec = tmp_path / "hotfix.toml"
    spec.write_text(SPEC.format(endpoint=aws_options.endpoint_url), encoding="utf-8")
    out = tmp_path / "reports"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    env.pop("AWS_PROFILE", None)
    child = subprocess.Popen(
        [
            *REPORTER, "verify", str(spec),
            "-o", str(out), "-f", "md", "--now", NOW, "--wait", "2h", "--interval", "1h",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )  # fmt: skip
    try:
        assert child.stderr is not None
        first = child.stderr.readline().decode()
        assert first.startswith("reporter: round 1 "), first
        assert first.rstrip().endswith("next round in 1h")
        child.send_signal(signal.SIGINT)
        try:
            _, rest = child.communicate(timeout=STUCK_FOR / 2)
        except subprocess.TimeoutExpired:
            pytest.fail("Ctrl-C did not end the pause between rounds\n" + _stacks(child))
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130
    assert rest.decode() == "reporter: error: interrupted\n"
    assert not out.exists() or not any(out.iterdir())


class OtherThreadCtrlC(threading.Thread):
    """What the kernel may do with a process's SIGINT: hand it to a collector thread (this
    one, stuck on the network) rather than to the main thread that waits for it.

    The signal is sent once the main thread waits on ``waiting`` (CPython keeps a
    condition's waiters in ``_waiters``), so it lands while it waits, never before. Then
    this thread waits for :meth:`release`; ``prompt`` says whether it came within
    :data:`STUCK_FOR` (the main thread saw the Ctrl-C and ended its wait), and ``after``
    runs either way (it ends the main thread's wait when the Ctrl-C did not).
    """

    def __init__(self, waiting: threading.Condition, after: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self.waiting = waiting
        self.after = after
        self.released = threading.Event()
        self.prompt = False

    def run(self) -> None:
        while not getattr(self.waiting, "_waiters", None):
            if self.released.wait(0.01):
                return
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        self.prompt = self.released.wait(STUCK_FOR)
        self.after()

    def release(self) -> None:
        self.released.set()
        self.join()


@pytest.mark.usefixtures("ctrl_c_raises")
def test_a_ctrl_c_landing_on_a_collector_thread_still_interrupts_the_run() -> None:
    from concurrent.futures import Future

    from reporter.model import Frozen
    from reporter.pipeline import _result

    future: Future[Frozen | None] = Future()
    other = OtherThreadCtrlC(future._condition, lambda: future.set_result(None))
    other.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            _result(future)
    finally:
        other.release()
    assert other.prompt, "the wait on the collectors ended only when they did"


@pytest.mark.usefixtures("ctrl_c_raises")
def test_a_ctrl_c_landing_on_another_thread_still_ends_the_pause() -> None:
    from reporter.errors import Cancelled
    from reporter.wait import _pause

    stop = threading.Event()
    other = OtherThreadCtrlC(stop._cond, stop.set)  # type: ignore[attr-defined]
    other.start()
    try:
        with pytest.raises(Cancelled):
            _pause(stop, 2 * STUCK_FOR)
    finally:
        other.release()
    assert other.prompt, "the pause ended only when its time was up"
