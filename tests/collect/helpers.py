"""Helpers shared by the collector tests: AWS answers exactly as boto3 hands them over."""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import botocore.session
from botocore.exceptions import ClientError
from botocore.parsers import create_parser

from reporter.collect.aws import MALFORMED_KEY, AwsOptions, check_body

DATA = Path(__file__).parent / "data"


def aws_response(service: str, operation: str, body: Mapping[str, Any] | bytes) -> dict[str, Any]:
    """``body`` (the JSON on the wire) as a seam hands it over: exactly what boto3 returns.

    The answer goes the way it goes in a client of a collector's seam: checked against the
    API's shapes (:func:`~reporter.collect.aws.check_body`, what the seam's ``before-parse``
    hook runs), then parsed by botocore, with the problems found under ``MALFORMED_KEY``.
    """
    model = botocore.session.get_session().get_service_model(service)
    parser = create_parser(model.metadata["protocol"])
    shape = model.operation_model(operation).output_shape
    assert shape is not None
    wire = body if isinstance(body, bytes) else json.dumps(body).encode()
    checked, problems = check_body(shape, wire)
    raw = {"body": checked, "headers": {}, "status_code": 200}
    parsed: dict[str, Any] = parser.parse(raw, shape)
    if problems:
        parsed[MALFORMED_KEY] = problems
    return parsed


def client_error(code: str, message: str, operation: str, status: int = 400) -> ClientError:
    """The ClientError botocore raises when AWS answers ``code``."""
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


def recorded(name: str) -> dict[str, Any]:
    """A recorded response body from ``tests/collect/data``."""
    loaded: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return loaded


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def unreachable_options(region: str) -> AwsOptions:
    """Options whose endpoint refuses connections: one attempt, short timeouts."""
    return AwsOptions(
        region=region,
        endpoint_url=f"http://127.0.0.1:{closed_port()}",
        access_key_id="testing",
        secret_access_key="testing",
        max_attempts=1,
        connect_timeout=1,
        read_timeout=1,
    )


def replay_options(url: str) -> AwsOptions:
    """Options for a :class:`~tests.faults.replay.Replay` server: one attempt, short timeouts."""
    return AwsOptions(
        region="us-east-1",
        endpoint_url=url,
        access_key_id="testing",
        secret_access_key="testing",
        max_attempts=1,
        connect_timeout=2,
        read_timeout=5,
    )
