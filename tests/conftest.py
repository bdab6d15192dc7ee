"""Shared fixtures: moto's server on 127.0.0.1, and boto3 clients that talk to it over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reporter.collect.aws import AwsClients, AwsOptions, make_clients
from reporter.demo.registry_layer import moto_app, serve
from reporter.demo.seed import seed_incident
from reporter.demo.server import prepare, restore

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/* from the current output instead of comparing",
    )


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's server app with the demo's registry layer (what moto lacks of ECR), started
    in-process on a free port of 127.0.0.1, as the demo's emulator is; yields its URL."""
    with serve(moto_app(), name="moto-server") as url:
        yield url


@pytest.fixture
def aws_options(moto_server: str) -> Iterator[AwsOptions]:
    """Options for a fresh, empty emulator state (reset before and after, steady ECS tasks)."""
    prepare(moto_server)
    yield emulator_options(moto_server)
    restore(moto_server)


def emulator_options(url: str) -> AwsOptions:
    """Options for moto's server at ``url``: static test credentials, short retries."""
    return AwsOptions(
        region=REGION,
        endpoint_url=url,
        access_key_id="testing",
        secret_access_key="testing",
        max_attempts=2,
        connect_timeout=2,
        read_timeout=5,
    )


@pytest.fixture
def aws(aws_options: AwsOptions) -> AwsClients:
    """boto3 clients for the emulator."""
    return make_clients(aws_options)


@pytest.fixture
def seeded(aws: AwsClients, aws_options: AwsOptions, monkeypatch: pytest.MonkeyPatch) -> str:
    """The reference incident seeded on the emulator, static test credentials in the
    environment (no profile): yields the emulator's URL for a spec's ``endpoint_url``."""
    seed_incident(aws)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    assert aws_options.endpoint_url is not None
    return aws_options.endpoint_url
