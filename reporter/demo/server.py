"""The AWS emulator the demo runs against: moto's server, started inside this process.

:func:`emulator` serves moto's server app on a free port of 127.0.0.1 (as moto's
``ThreadedMotoServer`` does), behind :class:`~reporter.demo.registry_layer.RegistryLayer`
for the layer downloads moto lacks (``GetDownloadUrlForLayer`` and the blob GET), and
yields its URL; the real collectors then talk to it over HTTP with the options from
:func:`demo_options`. Nothing leaves the machine and no credentials are needed.

moto's backends are process-wide, so the emulator starts from, and leaves behind, an
empty state (``/moto-api/reset``). While it runs it also:

- seeds moto's random numbers (``/moto-api/seed``), so ids it makes up (task ids,
  deployment ids, subnets) are the same on every run and the demo report is repeatable;
- keeps ECS tasks where the seed put them (``/moto-api/state-manager/set-transition``):
  by default moto moves a task one step towards ``STOPPED`` each time it is described,
  which would turn the incident's two ``RUNNING`` tasks into ``DEACTIVATING`` ones;
- keeps the werkzeug request log quiet (one line per request on stderr otherwise); the
  CLI owns stdout and nothing here writes to it.
"""

from __future__ import annotations

import json
import logging
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from reporter.collect.aws import AwsOptions

DEMO_REGION = "us-east-1"
DEMO_ACCOUNT = "123456789012"
"""moto's default account id (``moto.core.DEFAULT_ACCOUNT_ID``): every ARN the demo shows."""

DEMO_ACCESS_KEY_ID = "demo"
DEMO_SECRET_ACCESS_KEY = "demo"  # noqa: S105 - moto accepts any static key; not a secret
DEMO_RANDOM_SEED = 20251126
"""Seed of moto's random numbers, so its made-up ids repeat from one demo run to the next."""

ECS_TASK_MODEL = "ecs::task"
_STEADY = {"progression": "manual", "times": sys.maxsize}
"""A transition that never fires: a task stays in the state it was put in."""

_REQUEST_TIMEOUT = 10.0


@contextmanager
def emulator() -> Iterator[str]:
    """Run the emulator on 127.0.0.1 (free port) for the block; yield ``http://127.0.0.1:PORT``.

    The server starts from an empty state with seeded random ids and steady ECS tasks,
    and is stopped and emptied again on exit, also when the block raises.
    """
    from reporter.demo.registry_layer import moto_app, serve

    with _quiet_request_log(), serve(moto_app(), name="demo-emulator") as url:
        prepare(url)
        try:
            yield url
        finally:
            restore(url)


def demo_options(url: str) -> AwsOptions:
    """Options for the collectors: the demo region, the emulator's URL, static dummy credentials."""
    return AwsOptions(
        region=DEMO_REGION,
        endpoint_url=url,
        access_key_id=DEMO_ACCESS_KEY_ID,
        secret_access_key=DEMO_SECRET_ACCESS_KEY,
        max_attempts=2,
        connect_timeout=2.0,
        read_timeout=10.0,
    )


def prepare(url: str) -> None:
    """Empty moto's state, seed its random numbers and keep ECS tasks steady."""
    _moto_api(url, "/moto-api/reset")
    _moto_api(url, f"/moto-api/seed?a={DEMO_RANDOM_SEED}")
    _moto_api(
        url,
        "/moto-api/state-manager/set-transition",
        {"model_name": ECS_TASK_MODEL, "transition": _STEADY},
    )


def restore(url: str) -> None:
    """Give moto back its default ECS task transition and an empty state."""
    _moto_api(url, "/moto-api/state-manager/unset-transition", {"model_name": ECS_TASK_MODEL})
    _moto_api(url, "/moto-api/reset")


def _moto_api(url: str, path: str, body: dict[str, object] | None = None) -> None:
    """POST to one of moto's own endpoints on the loopback server; raise on an HTTP error."""
    data = json.dumps(body).encode("utf-8") if body is not None else b""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"not the loopback emulator: {url}")
    request = urllib.request.Request(  # noqa: S310 - http on loopback, checked above
        url + path, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=_REQUEST_TIMEOUT) as response:  # noqa: S310
        response.read()


@contextmanager
def _quiet_request_log() -> Iterator[None]:
    """Drop werkzeug's per-request INFO lines for the block; its errors still reach stderr."""
    logger = logging.getLogger("werkzeug")
    previous = logger.level
    if previous == logging.NOTSET or previous < logging.WARNING:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)
