"""The progress a run reports (reporter/progress.py, told by the pipeline and the logs
collector): every collector's state, bytes of local log files against their total,
CloudWatch events."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reporter.collect.aws import AwsClients, AwsOptions
from reporter.demo.seed import seed_incident
from reporter.pipeline import collect
from reporter.progress import CollectorState, Unit
from reporter.spec import load_spec

NOW = datetime(2025, 11, 26, 10, 50, tzinfo=UTC)


class Recorder:
    """A Progress that keeps what it hears (from any thread)."""

    def __init__(self) -> None:
        self.states: dict[str, list[tuple[CollectorState, str]]] = {}
        self.measured: dict[str, tuple[Unit, int | None]] = {}
        self.amounts: dict[str, int] = {}
        self._lock = threading.Lock()

    def state(self, part: str, state: CollectorState, detail: str = "") -> None:
        with self._lock:
            self.states.setdefault(part, []).append((state, detail))

    def measure(self, part: str, unit: Unit, total: int | None = None) -> None:
        with self._lock:
            self.measured[part] = (unit, total)
            self.amounts[part] = 0

    def advance(self, part: str, amount: int) -> None:
        with self._lock:
            self.amounts[part] = self.amounts.get(part, 0) + amount


SPEC = """\
claimed_deployed_at = 2025-11-26T09:00:00Z
fixed_at = 2025-11-25T20:00:00Z
[aws]
region = "us-east-1"
endpoint_url = "{endpoint}"
[image]
repository = "content-marketing-swarm-backend"
[service]
cluster = "content-marketing-swarm-dev-cluster"
name = "content-marketing-swarm-dev-backend-service"
[logs]
{logs}
[[hotfix]]
id = "h"
expect_logs = ["WebSocket client connected"]
"""


@pytest.fixture
def seeded(aws: AwsClients, aws_options: AwsOptions) -> AwsOptions:
    seed_incident(aws)
    return aws_options


def _spec(tmp_path: Path, options: AwsOptions, logs: str) -> Path:
    path = tmp_path / "hotfix.toml"
    path.write_text(SPEC.format(endpoint=options.endpoint_url, logs=logs), encoding="utf-8")
    return path


def test_every_collector_goes_waiting_running_done_and_files_count_bytes(
    tmp_path: Path, seeded: AwsOptions
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    sizes = 0
    for n in range(3):
        text = "".join(
            f"2025-11-26T10:{m:02d}:00Z WebSocket client connected: {n}\n" for m in range(40)
        )
        (logs / f"app{n}.log").write_text(text, encoding="utf-8")
        sizes += len(text)
    loaded = load_spec(_spec(tmp_path, seeded, 'files = ["logs/*.log"]'))
    heard = Recorder()
    collect(loaded, NOW, seeded, progress=heard)
    assert set(heard.states) == {"image", "service", "logs", "image_config"}
    for part, states in heard.states.items():
        assert [s for s, _ in states] == ["waiting", "running", "done"], part
    assert heard.measured == {"logs": ("bytes", sizes)}
    assert heard.amounts["logs"] == sizes


def test_cloudwatch_counts_events_and_a_failed_source_is_failed(
    tmp_path: Path, seeded: AwsOptions
) -> None:
    loaded = load_spec(_spec(tmp_path, seeded, 'group = "/ecs/content-marketing-swarm-dev"'))
    heard = Recorder()
    evidence = collect(loaded, NOW, seeded, progress=heard)
    assert heard.measured["logs"] == ("events", None)
    assert heard.amounts["logs"] >= evidence.logs.events_scanned > 0

    missing = load_spec(_spec(tmp_path, seeded, 'group = "/ecs/missing"'))
    heard = Recorder()
    collect(missing, NOW, seeded, progress=heard)
    assert heard.states["logs"][-1] == ("failed", "ResourceNotFoundException")
    assert heard.states["image"][-1] == ("done", "")
