"""A real boto3 CloudWatch Logs client whose answers come from recorded bodies, not the network.

botocore's ``before-send`` hook hands back an HTTP response built from the recorded JSON
body before anything is sent; everything else is the real client: parameter validation,
signing, retries, botocore's parser (and its exceptions on a body of the wrong shape),
then the project's seam (:class:`~reporter.collect.logs.Boto3Logs`,
:class:`~reporter.collect.insights.Boto3Insights`). Bodies are shaped as in the AWS API
reference for FilterLogEvents, StartQuery, GetQueryResults and StopQuery.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from reporter.collect.aws import AwsOptions, make_clients

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient

Answer = tuple[int, Any] | Any
"""A recorded body (status 200), or ``(status, body)``; a body of ``bytes`` is sent as is."""


class _Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def offline_options() -> AwsOptions:
    """Options whose endpoint is never reached (every call is answered before sending)."""
    return AwsOptions(
        region="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        access_key_id="testing",
        secret_access_key="testing",
        max_attempts=1,
        connect_timeout=1,
        read_timeout=1,
    )


class Replay:
    """Answers every CloudWatch Logs call of a fresh client with ``answer(operation, request)``.

    ``requests`` records ``(operation, request body)`` in call order (thread-safe).
    """

    def __init__(self, answer: Callable[[str, dict[str, Any]], Answer]) -> None:
        self.answer = answer
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self.client: CloudWatchLogsClient = make_clients(offline_options()).logs
        handler: Callable[..., Any] = self._send
        self.client.meta.events.register("before-send.cloudwatch-logs", handler)

    def operations(self) -> list[str]:
        """The operations called, in order."""
        with self._lock:
            return [name for name, _ in self.requests]

    def _send(self, request: Any, **_: Any) -> AWSResponse:
        target = request.headers["X-Amz-Target"]
        target = target.decode() if isinstance(target, bytes) else str(target)
        operation = target.rsplit(".", 1)[-1]
        body = json.loads(request.body or b"{}")
        with self._lock:
            self.requests.append((operation, body))
        answer = self.answer(operation, body)
        status, payload = answer if isinstance(answer, tuple) else (200, answer)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/x-amz-json-1.1"
        if status >= 300 and isinstance(payload, Mapping) and "__type" in payload:
            headers["x-amzn-ErrorType"] = str(payload["__type"])
        return AWSResponse(request.url, status, headers, _Raw(data))


def error_body(code: str, message: str = "injected") -> tuple[int, dict[str, str]]:
    """An AWS JSON-protocol error answer (HTTP 400)."""
    return 400, {"__type": code, "message": message}


def request_key(operation: str, body: Mapping[str, Any]) -> str:
    """Which recorded answer a request gets.

    ``FilterLogEvents live`` (no ``filterPattern``: the liveness call), ``FilterLogEvents
    <nextToken>`` (empty for the first page), ``StartQuery <queryString>``,
    ``GetQueryResults <queryId> [<nextToken>]``, ``StopQuery <queryId>``.
    """
    if operation == "FilterLogEvents":
        if "filterPattern" not in body:
            return "FilterLogEvents live"
        return f"FilterLogEvents {body.get('nextToken', '')}"
    if operation == "StartQuery":
        return f"StartQuery {body.get('queryString', '')}"
    if operation == "GetQueryResults":
        return f"GetQueryResults {body.get('queryId', '')} {body.get('nextToken', '')}".rstrip()
    return f"{operation} {body.get('queryId', '')}"


def keyed(answers: Mapping[str, Answer]) -> Callable[[str, dict[str, Any]], Answer]:
    """An answer function for :class:`Replay` from answers by :func:`request_key`.

    A request without a recorded answer gets ``ResourceNotFoundException``.
    """

    def answer(operation: str, body: dict[str, Any]) -> Answer:
        key = request_key(operation, body)
        if key in answers:
            return answers[key]
        return error_body("ResourceNotFoundException", f"nothing recorded for {key}")

    return answer
