"""Fault-test fixtures: one seeded, fault-injecting emulator per module, and a spec that passes.

The emulator is moto's server app behind :class:`~tests.faults.middleware.FaultInjector`,
seeded with the demo incident (faults off). The spec is a variant of the demo spec whose
checks all pass on that incident, so any fault can only take checks away from ``pass``.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reporter.collect.aws import AwsOptions, make_clients
from reporter.demo.seed import (
    CLUSTER,
    LOG_GROUP,
    REPOSITORY,
    SERVICE,
    TAG,
    demo_spec_dir,
    seed_incident,
)
from reporter.model import Bundle
from reporter.pipeline import build_bundle, collect
from reporter.spec import LoadedSpec, load_spec
from tests.faults.middleware import FaultInjector, fault_server

REGION = "us-east-1"
NOW = datetime(2025, 11, 26, 10, 50, tzinfo=UTC)
"""The demo's "now": the end of the log window."""
READ_TIMEOUT = 0.3
MAX_ATTEMPTS = 2

HOTFIXES = ("websocket", "parser")
EXPECTED_TEXTS = ("WebSocket client connected", "Parsing remaining buffered content")
"""Texts the seeded logs hold in the window: one per hotfix, so ``logs_expected`` passes."""

PASSING_SPEC = f"""\
# The demo incident, asked only what it can prove: every check passes.
title = "Fault matrix"
claimed_deployed_at = 2025-11-26T09:00:00Z
fixed_at = 2025-11-25T21:00:00Z  # before the push at 2025-11-25T21:54:59Z

[aws]
region = "{REGION}"

[image]
repository = "{REPOSITORY}"
tag = "{TAG}"

[service]
cluster = "{CLUSTER}"
name = "{SERVICE}"

[logs]
group = "{LOG_GROUP}"
since = 2025-11-26T09:00:00Z

[code]
root = {{root}}

[[hotfix]]
id = "{HOTFIXES[0]}"
expect_logs = ["{EXPECTED_TEXTS[0]}"]
retired_logs = ["Requested platforms"]
code = [{{{{ path = "backend/app/api/websocket.py", contains = "Requested platforms" }}}}]

[[hotfix]]
id = "{HOTFIXES[1]}"
expect_logs = ["{EXPECTED_TEXTS[1]}"]
retired_logs = ["Found 3 platform sections in markdown"]
code = [
    {{{{ path = "backend/app/services/content_parser.py", contains = "requested_platforms=" }}}},
]
"""

_STEADY_TASKS = {
    "model_name": "ecs::task",
    "transition": {"progression": "manual", "times": sys.maxsize},
}


@dataclass(frozen=True)
class Emulator:
    """The seeded emulator: its URL and the injector in front of it."""

    url: str
    injector: FaultInjector

    def options(self, url: str | None = None) -> AwsOptions:
        """Client options: static credentials, 2 attempts, 0.3 s timeouts (``url`` overrides)."""
        return AwsOptions(
            region=REGION,
            endpoint_url=url or self.url,
            access_key_id="testing",
            secret_access_key="testing",
            max_attempts=MAX_ATTEMPTS,
            connect_timeout=READ_TIMEOUT,
            read_timeout=READ_TIMEOUT,
        )


def moto_api(url: str, path: str, body: Mapping[str, object] | None = None) -> None:
    """POST to one of moto's own endpoints on the loopback emulator."""
    data = json.dumps(body).encode("utf-8") if body is not None else b""
    request = urllib.request.Request(  # noqa: S310 - loopback only
        url + path, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """A fault-injecting moto server holding the demo incident; emptied again afterwards."""
    logger = logging.getLogger("werkzeug")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with fault_server() as (url, injector):
            moto_api(url, "/moto-api/reset")
            moto_api(url, "/moto-api/state-manager/set-transition", _STEADY_TASKS)
            try:
                seeded = Emulator(url, injector)
                # Seeding is no test of faults: patient timeouts, so a slow first call on a
                # busy machine is not retried into "already exists".
                patient = replace(seeded.options(), connect_timeout=10.0, read_timeout=10.0)
                seed_incident(make_clients(patient))
                injector.forget()
                yield seeded
            finally:
                injector.disarm()
                moto_api(
                    url, "/moto-api/state-manager/unset-transition", {"model_name": "ecs::task"}
                )
                moto_api(url, "/moto-api/reset")
    finally:
        logger.setLevel(level)


@pytest.fixture
def injector(emulator: Emulator) -> Iterator[FaultInjector]:
    """The emulator's injector, disarmed and with no requests recorded when the test ends."""
    emulator.injector.disarm()
    emulator.injector.forget()
    yield emulator.injector
    emulator.injector.disarm()
    emulator.injector.forget()


@pytest.fixture(scope="module")
def passing_spec(tmp_path_factory: pytest.TempPathFactory) -> LoadedSpec:
    """The all-pass variant of the demo spec, in a temporary folder."""
    folder = tmp_path_factory.mktemp("spec")
    # A copy: the demo's tree sits in this repository, whose HEAD (in the evidence) may move.
    shutil.copytree(demo_spec_dir() / "code", folder / "code")
    path = folder / "faults.toml"
    path.write_text(PASSING_SPEC.format(root=json.dumps("code")), encoding="utf-8")
    return load_spec(path)


def run(loaded: LoadedSpec, options: AwsOptions) -> Bundle:
    """collect + build_bundle, as the CLI does."""
    return build_bundle(loaded, collect(loaded, NOW, options))


def demo_spec() -> Path:
    """The demo's own spec file."""
    from reporter.demo.seed import DEMO_SPEC_NAME

    return demo_spec_dir() / DEMO_SPEC_NAME
