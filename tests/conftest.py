"""Shared fixtures: moto's server on 127.0.0.1, and boto3 clients that talk to it over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from reporter.collect.aws import AwsClients, AwsOptions, make_clients
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
    """moto's server, started in-process on a free port of 127.0.0.1; yields its URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


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
