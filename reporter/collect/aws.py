"""The AWS session and clients: the standard configuration chain, standard retries, timeouts.

Every boto3 client the collectors use is made here, once per run, and shared by the
collector threads (boto3 clients are thread-safe; sessions are not). Failures of AWS
calls are turned into :class:`~reporter.model.EvidenceError` by :func:`aws_error`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

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
from reporter.text import truncate, visible

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from botocore.model import OperationModel, Shape
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
    if isinstance(exc, UnparsableResponse):
        return EvidenceError(
            operation=operation, code="MalformedResponse: (body)", message=str(exc)
        )
    if isinstance(exc, EndpointConnectionError):
        return EvidenceError(operation=operation, code="ConnectionError", message=str(exc))
    return EvidenceError(operation=operation, code=type(exc).__name__, message=str(exc))


def missing_field(operation: str, field: str) -> EvidenceError:
    """The error for a response that lacks a field the tool needs."""
    return EvidenceError(
        operation=operation, code="MissingField", message=f"the response has no {field!r}"
    )


# --------------------------------------------------------------------------- malformed answers

MALFORMED_KEY = "ReporterMalformed"
"""Key under which :func:`check_responses` hands the problems it found to the caller, next to
the parsed fields (botocore merges it into the parsed response; AWS names no field so)."""

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
"""No AWS answer holds an earlier time (ECS and ECR date from 2014-2015): 0 is not a time."""
CLOCK_SKEW = timedelta(days=1)
"""How far past the moment it is read a time in an answer may lie (clocks disagree); a
time later than that (1e20, 2038) is not a time AWS wrote, and would let a push time or a
task start pass a comparison it should not."""


def latest() -> datetime:
    """The latest time an answer read now can hold: the wall clock (not ``--now``, which
    may replay the past) plus :data:`CLOCK_SKEW`."""
    return datetime.now(UTC) + CLOCK_SKEW


PLAUSIBLE = "a time between 2000 and now"

_INT_RANGE = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
"""Ranges of the API's ``Integer`` and ``Long`` shapes."""

VALUE_CHARS = 60
"""Longest excerpt of a malformed value shown in an error."""


@dataclass(frozen=True)
class Malformed:
    """One field of an AWS answer that does not fit what the API promises.

    ``field`` is its path in the answer (``tasks[1].containers[0].imageDigest``,
    ``(body)`` for the answer as a whole); ``problem`` says what is wrong, one line.
    """

    field: str
    problem: str


class UnparsableResponse(BotoCoreError):
    """botocore itself failed while parsing an answer (a shape it could not convert)."""

    fmt = "botocore could not parse the answer: {detail}"


PARSER_FAILURES: tuple[type[BaseException], ...] = (
    ValueError,
    TypeError,
    AttributeError,
    KeyError,
    IndexError,
    RuntimeError,
    OverflowError,
)
"""What botocore's response parsers raise on answers they cannot convert (a timestamp of
1e20 is a RuntimeError, a string where a structure belongs an AttributeError...).
:class:`RecursionError` is a RuntimeError."""

T = TypeVar("T")


def parsed(call: Callable[[], T]) -> T:
    """Run one boto3 call; a failure of botocore's parsing becomes :class:`UnparsableResponse`.

    :func:`check_responses` removes what botocore cannot parse before it tries; this is
    the backstop at the seam, so that an answer it missed is an ``unknown`` check, not a
    traceback. botocore's own errors (:data:`AWS_ERRORS`) pass through unchanged.
    """
    try:
        return call()
    except AWS_ERRORS:
        raise
    except PARSER_FAILURES as exc:
        raise UnparsableResponse(detail=f"{type(exc).__name__}: {_excerpt(str(exc))}") from exc


def check_responses(client: BaseClient, operations: Iterable[str]) -> None:
    """Check every answer of ``operations`` against the API's shapes before botocore parses it.

    Registered on ``client``'s ``before-parse`` event (botocore 1.36 and later; idempotent).
    For each successful JSON answer, every field the API's output shape describes is
    checked (:func:`check_body`); a field of the wrong type or out of range is removed from
    the answer, so that botocore parses the rest, and reported under :data:`MALFORMED_KEY`
    of the parsed response (read it with :func:`malformed`). Fields the shape does not
    describe are left alone.
    """
    service = client.meta.service_model.service_id.hyphenize()
    for operation in operations:
        client.meta.events.register(
            f"before-parse.{service}.{operation}",
            _before_parse,
            unique_id=f"reporter-check-responses-{service}-{operation}",
        )


def _before_parse(
    operation_model: OperationModel,
    response_dict: dict[str, Any],
    customized_response_dict: dict[str, Any],
    **_: Any,
) -> None:
    status = response_dict.get("status_code")
    if not isinstance(status, int) or status >= 300:
        return  # errors are parsed as errors
    model = operation_model.service_model
    protocol = getattr(model, "resolved_protocol", None) or model.protocol  # newer botocore
    if protocol != "json":
        return  # the shapes below are checked as JSON; other protocols rely on parsed()
    body, problems = check_body(operation_model.output_shape, response_dict.get("body") or b"")
    if problems:
        response_dict["body"] = body
        customized_response_dict[MALFORMED_KEY] = problems


def check_body(shape: Shape | None, body: bytes) -> tuple[bytes, tuple[Malformed, ...]]:
    """A JSON answer with every field that does not fit ``shape`` removed, and what was wrong.

    Checked: a structure is an object, a list an array, a map an object; a string is a
    string, a boolean a boolean; an integer or long is a whole number in the shape's range;
    a double is a finite number; a timestamp is a number of epoch seconds (an ISO 8601
    text where the shape says so) from :data:`EARLIEST` to :func:`latest`; a key given twice in one
    object is ambiguous. A wrong field is removed (a wrong list element is left out), so
    the evidence built from the rest never holds it. ``body`` comes back unchanged when
    nothing is wrong.
    """
    if not body.strip():
        return body, ()
    try:
        document = json.loads(body, object_pairs_hook=_Object)
    except (ValueError, RecursionError) as exc:
        return b"{}", (Malformed("(body)", f"not JSON: {_excerpt(str(exc))}"),)
    if not isinstance(document, dict):
        return b"{}", (Malformed("(body)", f"not a JSON object but {_kind(document)}"),)
    problems: list[Malformed] = []
    if shape is not None:
        _check_structure(document, shape, "", problems)
    if not problems:
        return body, ()
    return json.dumps(document, separators=(",", ":")).encode("utf-8"), tuple(problems)


def malformed(response: Mapping[str, Any]) -> tuple[Malformed, ...]:
    """The problems :func:`check_responses` found in ``response`` (none: an empty tuple)."""
    found = response.get(MALFORMED_KEY)
    if not isinstance(found, tuple | list):
        return ()
    return tuple(item for item in found if isinstance(item, Malformed))


def malformed_error(operation: str, problems: Sequence[Malformed]) -> EvidenceError:
    """The error for an answer with malformed fields: ``MalformedResponse: <first field>``."""
    first = problems[0]
    more = len(problems) - 1
    message = first.problem
    if more:
        message += f" (and {more} more malformed field{'s' if more > 1 else ''})"
    return EvidenceError(
        operation=operation, code=f"MalformedResponse: {first.field}", message=message
    )


class _Object(dict[str, Any]):
    """A JSON object that remembers the keys it was given more than once."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        counts: dict[str, int] = {}
        for key, _value in pairs:
            counts[key] = counts.get(key, 0) + 1
        self.repeated = {key: n for key, n in counts.items() if n > 1}


def _path(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def _check_structure(node: dict[str, Any], shape: Shape, path: str, out: list[Malformed]) -> None:
    members: Mapping[str, Shape] = getattr(shape, "members", {})
    wire = {m.serialization.get("name", name): m for name, m in members.items()}
    for key in list(node):
        member = wire.get(key)
        if member is None:
            continue  # a field the API does not describe (yet): botocore ignores it too
        field = _path(path, key)
        repeated = node.repeated.get(key, 1) if isinstance(node, _Object) else 1
        if repeated > 1:
            out.append(Malformed(field, f"given {repeated} times in one object"))
            del node[key]
        elif node[key] is not None and not _check(node[key], member, field, out):
            del node[key]


def _check(value: Any, shape: Shape, path: str, out: list[Malformed]) -> bool:
    """Whether ``value`` fits ``shape`` (recording why not); inner misfits are removed."""
    kind = shape.type_name
    problem: str | None = None
    if kind == "structure":
        if not isinstance(value, dict):
            problem = f"expected an object, got {_kind(value)}"
        else:
            _check_structure(value, shape, path, out)
    elif kind == "list":
        if not isinstance(value, list):
            problem = f"expected a list, got {_kind(value)}"
        else:
            member: Shape = getattr(shape, "member")  # noqa: B009 - ListShape only
            kept = []
            for i, item in enumerate(value):
                if item is None:
                    out.append(Malformed(f"{path}[{i}]", "null in a list"))
                elif _check(item, member, f"{path}[{i}]", out):
                    kept.append(item)
            value[:] = kept
    elif kind == "map":
        if not isinstance(value, dict):
            problem = f"expected an object, got {_kind(value)}"
        else:
            inner: Shape = getattr(shape, "value")  # noqa: B009 - MapShape only
            for key in list(value):
                field = f"{path}.{_excerpt(key)}"
                if value[key] is not None and not _check(value[key], inner, field, out):
                    del value[key]
    else:
        problem = _scalar_problem(value, shape)
    if problem is not None:
        out.append(Malformed(path, problem))
        return False
    return True


def _scalar_problem(value: Any, shape: Shape) -> str | None:
    kind = shape.type_name
    if kind in ("string", "blob"):
        return None if isinstance(value, str) else f"expected text, got {_kind(value)}"
    if kind == "boolean":
        return None if isinstance(value, bool) else f"expected true/false, got {_kind(value)}"
    if kind in _INT_RANGE:
        low, high = _INT_RANGE[kind]
        if not isinstance(value, int) or isinstance(value, bool):
            return f"expected a whole number, got {_kind(value)}"
        return None if low <= value <= high else f"{value} is out of range for an {kind}"
    if kind in ("double", "float"):
        if not _is_number(value) or not math.isfinite(value):
            return f"expected a number, got {_kind(value)}"
        return None
    if kind == "timestamp":
        return _timestamp_problem(value, shape)
    return None  # document and other free-form shapes


def _timestamp_problem(value: Any, shape: Shape) -> str | None:
    text_format = shape.serialization.get("timestampFormat") in ("iso8601", "rfc822")
    if _is_number(value):
        if not math.isfinite(value) or not EARLIEST.timestamp() <= value < latest().timestamp():
            return f"{_excerpt(repr(value))} is not {PLAUSIBLE}"
        return None
    if text_format and isinstance(value, str):
        return None if in_range(_iso(value)) else f"{_excerpt(repr(value))} is not a time"
    return f"expected a time (epoch seconds), got {_kind(value)}"


def _iso(text: str) -> datetime | None:
    try:
        parsed_time = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return parsed_time if parsed_time.tzinfo is not None else None


def in_range(moment: datetime | None) -> bool:
    """Whether ``moment`` is an aware time from :data:`EARLIEST` to :func:`latest`."""
    if moment is None or moment.tzinfo is None:
        return False
    return EARLIEST <= moment < latest()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    """How a JSON value reads in a problem: its type, and a short excerpt of scalars."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {_excerpt(repr(value))}"
    return f"the number {_excerpt(repr(value))}"


def _excerpt(text: str) -> str:
    """A value or message from an answer: one line, cut, control characters shown."""
    return visible(truncate(text, VALUE_CHARS), keep_newlines=False)


DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
"""An image digest as ECR and ECS give it."""


class FieldProblems:
    """The malformed fields of one answer, as the parser of a collector meets them.

    It starts with what :func:`check_responses` removed from the answer and collects what
    the parser finds on top (a count below zero, a digest that is not one). Each reader
    returns the value when it is well-formed, else None, recording the problem; an absent
    field (None) is not a problem here: the parser decides whether it may be absent.
    """

    def __init__(self, response: Mapping[str, Any] | None = None) -> None:
        self.items: list[Malformed] = list(malformed(response)) if response is not None else []

    def add(self, field: str, problem: str) -> None:
        """Record that ``field`` is malformed."""
        self.items.append(Malformed(field, problem))

    def time(self, value: object, field: str) -> datetime | None:
        """An aware UTC time from :data:`EARLIEST` to :func:`latest`.

        botocore hands over datetimes (zoned in local time); a recorded answer holds epoch
        seconds or ISO 8601 text with a zone. Anything else is a problem.
        """
        if value is None:
            return None
        moment: datetime | None = None
        if isinstance(value, datetime):
            moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if math.isfinite(value) and EARLIEST.timestamp() <= value < latest().timestamp():
                moment = datetime.fromtimestamp(value, UTC)
        elif isinstance(value, str):
            moment = _iso(value)
        if not in_range(moment):
            self.add(field, f"{_excerpt(repr(value))} is not {PLAUSIBLE}")
            return None
        assert moment is not None
        return moment.astimezone(UTC)

    def count(self, value: object, field: str) -> int | None:
        """A whole number of at least 0."""
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.add(field, f"expected a count (0 or more), got {_kind(value)}")
            return None
        return value

    def text(self, value: object, field: str) -> str | None:
        """A non-empty string (an empty one reads as absent)."""
        if value is None:
            return None
        if not isinstance(value, str):
            self.add(field, f"expected text, got {_kind(value)}")
            return None
        return value or None

    def digest(self, value: object, field: str) -> str | None:
        """``sha256:<64 lowercase hex>``."""
        text = self.text(value, field)
        if text is not None and not DIGEST.fullmatch(text):
            self.add(field, f"{_excerpt(repr(text))} is not a digest (sha256:<64 hex>)")
            return None
        return text

    def error(self, operation: str) -> EvidenceError | None:
        """``MalformedResponse: <first field>`` when anything was malformed, else None."""
        return malformed_error(operation, self.items) if self.items else None
