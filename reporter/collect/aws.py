"""The AWS session and clients: the standard configuration chain, standard retries, timeouts.

Every boto3 client the collectors use is made here, once per run, and shared by the
collector threads (boto3 clients are thread-safe; sessions are not). Failures of AWS
calls are turned into :class:`~reporter.model.EvidenceError` by :func:`aws_error`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
    ReadTimeoutError,
)

from reporter import __version__
from reporter.errors import InputError
from reporter.model import EvidenceError

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_logs import CloudWatchLogsClient

AWS_ERRORS: tuple[type[BaseException], ...] = (ClientError, BotoCoreError)
"""What an AWS call can raise once botocore has given up retrying."""


@dataclass(frozen=True)
class AwsOptions:
    """How to reach AWS. ``None`` means: whatever the standard configuration chain says."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    access_key_id: str | None = None
    """Static credentials: used by the demo and the tests against the emulator only."""
    secret_access_key: str | None = None
    max_attempts: int | None = None
    """Total attempts per call (standard retry mode); None keeps AWS_MAX_ATTEMPTS or 3."""
    connect_timeout: float = 5.0
    read_timeout: float = 30.0


@dataclass(frozen=True)
class AwsClients:
    """The three read-only clients a run needs."""

    ecr: ECRClient
    ecs: ECSClient
    logs: CloudWatchLogsClient


def client_config(options: AwsOptions) -> Config:
    """botocore's ``standard`` retry mode with connect and read timeouts."""
    retries: dict[str, object] = {"mode": "standard"}
    if options.max_attempts is not None:
        retries["total_max_attempts"] = options.max_attempts
    return Config(
        retries=retries,  # type: ignore[arg-type]
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
        user_agent_extra=f"reporter/{__version__}",
        max_pool_connections=20,
    )


def _key(where: str, name: str) -> str:
    """``where`` (naming ``[aws]``) extended to one of its keys: ``spec.toml: key 'aws'``
    becomes ``spec.toml: key 'aws.region'``, ``aws`` becomes ``aws.region``."""
    if where.endswith("'"):
        return f"{where[:-1]}.{name}'"
    return f"{where}.{name}"


def make_clients(options: AwsOptions, where: str = "aws") -> AwsClients:
    """Clients for ECR, ECS and CloudWatch Logs.

    Bad input is an :class:`InputError` naming the key under ``where`` (``aws.region``):
    a profile that does not exist, no region, a region that is not a region name, an
    endpoint URL botocore or urllib3 would refuse later (no scheme or host, a port out of
    range), whether it came from the options or from the environment. Everything else
    (credentials, permissions) fails per call later and becomes an ``unknown`` check.
    """
    from reporter.spec import endpoint_problem, region_problem

    if options.region is not None and (problem := region_problem(options.region)):
        raise InputError(_key(where, "region"), f"{problem} (from --region or [aws] region)")
    if options.endpoint_url is not None and (problem := endpoint_problem(options.endpoint_url)):
        raise InputError(
            _key(where, "endpoint_url"), f"{problem} (from --endpoint-url or [aws] endpoint_url)"
        )
    try:
        session = boto3.Session(
            profile_name=options.profile,
            region_name=options.region,
            aws_access_key_id=options.access_key_id,
            aws_secret_access_key=options.secret_access_key,
        )
        config = client_config(options)
        url = options.endpoint_url
        clients = AwsClients(
            ecr=session.client("ecr", config=config, endpoint_url=url),
            ecs=session.client("ecs", config=config, endpoint_url=url),
            logs=session.client("logs", config=config, endpoint_url=url),
        )
    except ProfileNotFound as exc:
        raise InputError(
            _key(where, "profile"), f"AWS profile not found: {exc.kwargs.get('profile')}"
        ) from None
    except NoRegionError:
        raise InputError(
            _key(where, "region"),
            "no AWS region: set [aws] region in the spec, --region, or AWS_REGION",
        ) from None
    except InvalidRegionError as exc:
        raise InputError(
            _key(where, "region"),
            f"{str(exc.kwargs.get('region_name'))[:60]!r} is not an AWS region name "
            "(from AWS_DEFAULT_REGION or the AWS profile)",
        ) from None
    except ValueError as exc:  # botocore rejects a malformed endpoint URL with ValueError
        raise InputError(
            _key(where, "endpoint_url"),
            f"{exc} (from AWS_ENDPOINT_URL or the AWS profile)",
        ) from None
    for client in (clients.ecr, clients.ecs, clients.logs):
        problem = endpoint_problem(client.meta.endpoint_url)
        if problem is not None:  # from AWS_ENDPOINT_URL(_<SERVICE>) or the profile
            raise InputError(
                _key(where, "endpoint_url"),
                f"the endpoint of {client.meta.service_model.service_name} {problem} "
                "(from AWS_ENDPOINT_URL or the AWS profile)",
            )
    return clients


def aws_error(operation: str, exc: BaseException) -> EvidenceError:
    """One line saying which AWS call failed and why."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code") or "ClientError")
        message = str(err.get("Message") or exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status and str(status) not in message:
            message = f"HTTP {status}: {message}"
        attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts")
        if attempts:
            message = f"{message} (after {attempts} retries)"
        return EvidenceError(operation=operation, code=code, message=message)
    if isinstance(exc, NoCredentialsError):
        return EvidenceError(
            operation=operation, code="NoCredentials", message="no AWS credentials found"
        )
    if isinstance(exc, ReadTimeoutError):
        return EvidenceError(operation=operation, code="ReadTimeout", message=str(exc))
    if isinstance(exc, ConnectTimeoutError):
        return EvidenceError(operation=operation, code="ConnectTimeout", message=str(exc))
    if isinstance(exc, EndpointConnectionError):
        return EvidenceError(operation=operation, code="ConnectionError", message=str(exc))
    return EvidenceError(operation=operation, code=type(exc).__name__, message=str(exc))


def missing_field(operation: str, field: str) -> EvidenceError:
    """The error for a response that lacks a field the tool needs."""
    return EvidenceError(
        operation=operation, code="MissingField", message=f"the response has no {field!r}"
    )
