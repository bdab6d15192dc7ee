"""A fault-injecting WSGI middleware in front of moto's server app, and the server that runs it.

The server is built like moto's ``ThreadedMotoServer`` (werkzeug ``make_server`` on
127.0.0.1, a free port, threaded, moto's ``DomainDispatcherApplication`` and
``MotoRequestHandler``), with :class:`FaultInjector` wrapping moto's app behind the demo's
registry layer (``GetDownloadUrlForLayer`` and the blob GET moto lacks). The injector
picks requests by their ``X-Amz-Target`` header (``Service.Operation``, as the JSON
protocols of ECR, ECS and CloudWatch Logs send it; a blob GET is :data:`BLOB_GET`, and
its faults are answered the way Amazon S3 answers) and, while a :class:`Fault` is armed,
answers them with an error, stalls them past the client's read timeout, drops the
connection, or passes them to moto and removes fields from moto's answer. It also
records the target of every request it sees.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from reporter.demo.registry_layer import BLOB_PATH, moto_app

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
FieldPath = tuple[str | int, ...]
"""Where a field sits in a JSON answer: keys, list indexes, and ``"*"`` for every element."""

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
STALL_SECONDS = 1.0
"""How long a stalled request waits: well past the tests' 0.3 s read timeout."""


class Kind(Enum):
    """What an armed fault does to the requests it selects."""

    ACCESS_DENIED = "access-denied"
    THROTTLED = "throttled"
    """HTTP 400 ``ThrottlingException``: every time, or ``times`` times then through."""
    INTERNAL_ERROR = "http-500"
    READ_TIMEOUT = "read-timeout"
    """No answer until long after the client stopped waiting."""
    DROPPED = "dropped-connection"
    """The connection is closed without an answer."""
    MISSING_FIELD = "missing-field"
    """moto answers, then ``field`` is removed from the JSON."""
    REWRITE = "rewrite"
    """moto answers, then ``rewrite`` edits the JSON (a shape moto never gives)."""
    OVERSIZE = "oversize"
    """moto answers, then :data:`PADDING` bytes are added to the body."""
    CORRUPTED = "corrupted"
    """moto answers, then the body's last byte is changed (same length, other digest)."""


@dataclass(frozen=True)
class Fault:
    """A fault for the requests whose ``X-Amz-Target`` ends with ``.<operation>``.

    ``skip`` matching requests go through untouched first (a fault on page 2 skips 1);
    then ``times`` requests get the fault (None: every one after the skipped ones).
    """

    operation: str
    kind: Kind
    field: FieldPath = ()
    skip: int = 0
    times: int | None = None
    rewrite: Callable[[Any], None] | None = None
    """With :attr:`Kind.REWRITE`: edits moto's decoded JSON answer in place."""
    body: str | None = None
    """Only requests whose body holds this text (``'"nextToken"'``: pages after the first)."""


BLOB_GET = "GetLayerBlob"
"""The operation name of a GET of a blob URL that GetDownloadUrlForLayer gave out."""
PADDING = 1024


def target_operation(target: str) -> str:
    """``Logs_20140328.FilterLogEvents`` -> ``FilterLogEvents``; a blob GET -> ``GetLayerBlob``."""
    if target.startswith(f"GET {BLOB_PATH}"):
        return BLOB_GET
    return target.rsplit(".", 1)[-1]


class FaultInjector:
    """WSGI middleware: records every request's target and applies the armed fault (if any)."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._fault: Fault | None = None
        self._matched = 0
        self._injected = 0
        self._seen: list[str] = []

    # -- control (from the tests' thread)

    def arm(self, fault: Fault) -> None:
        """Apply ``fault`` from now on (replacing any other) and start counting afresh."""
        with self._lock:
            self._fault, self._matched, self._injected = fault, 0, 0

    def disarm(self) -> None:
        """Let every request through untouched."""
        with self._lock:
            self._fault = None

    @property
    def injected(self) -> int:
        """How many requests the armed fault has hit so far."""
        with self._lock:
            return self._injected

    def seen(self) -> list[str]:
        """Every request's target (or ``METHOD /path`` without one), in arrival order."""
        with self._lock:
            return list(self._seen)

    def forget(self) -> None:
        """Clear the record of requests seen."""
        with self._lock:
            self._seen.clear()

    # -- WSGI

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Record the request; fault it if the armed fault selects it, else pass it to moto."""
        target = str(environ.get("HTTP_X_AMZ_TARGET") or "")
        fault = self._select(
            target or f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}",
            _body(environ) if self._wants_body() else b"",
        )
        if fault is None:
            return self.app(environ, start_response)
        return self._inject(fault, environ, start_response)

    def _wants_body(self) -> bool:
        with self._lock:
            return self._fault is not None and self._fault.body is not None

    def _select(self, target: str, body: bytes = b"") -> Fault | None:
        with self._lock:
            self._seen.append(target)
            fault = self._fault
            if fault is None or target_operation(target) != fault.operation:
                return None
            if fault.body is not None and fault.body.encode("utf-8") not in body:
                return None
            self._matched += 1
            if self._matched <= fault.skip:
                return None
            if fault.times is not None and self._injected >= fault.times:
                return None
            self._injected += 1
            return fault

    def _inject(
        self, fault: Fault, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        if fault.operation == BLOB_GET and fault.kind in _S3_ERRORS:
            return _s3_error(start_response, *_S3_ERRORS[fault.kind])
        if fault.kind is Kind.OVERSIZE:
            return self._rewrite(environ, start_response, lambda raw: raw + b" " * PADDING)
        if fault.kind is Kind.CORRUPTED:
            return self._rewrite(environ, start_response, lambda raw: raw[:-1] + b"\x00")
        if fault.kind is Kind.ACCESS_DENIED:
            message = (
                "User: arn:aws:sts::123456789012:assumed-role/reporter/ci is not authorized to"
                f" perform: {fault.operation} because no identity-based policy allows it"
            )
            return _error(start_response, "400 Bad Request", "AccessDeniedException", message)
        if fault.kind is Kind.THROTTLED:
            return _error(start_response, "400 Bad Request", "ThrottlingException", "Rate exceeded")
        if fault.kind is Kind.INTERNAL_ERROR:
            message = "An internal error occurred (injected)."
            return _error(start_response, "500 Internal Server Error", "InternalFailure", message)
        if fault.kind is Kind.READ_TIMEOUT:
            time.sleep(STALL_SECONDS)
            return _error(start_response, "503 Service Unavailable", "ServiceUnavailable", "late")
        if fault.kind is Kind.DROPPED:
            connection: socket.socket = environ["werkzeug.socket"]
            connection.shutdown(socket.SHUT_RDWR)
            return _error(start_response, "503 Service Unavailable", "ServiceUnavailable", "gone")
        if fault.kind is Kind.REWRITE and fault.rewrite is not None:
            edit = fault.rewrite
            return self._rewrite(environ, start_response, lambda raw: _edited(raw, edit))
        return self._rewrite(environ, start_response, lambda raw: _without(raw, fault.field))

    def _rewrite(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        change: Callable[[bytes], bytes],
    ) -> Iterable[bytes]:
        """Call moto, then ``change`` its answer's body."""
        captured: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"], captured["headers"] = status, headers

        chunks = self.app(environ, keep)
        try:
            raw = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        data = change(raw)
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(data)))])
        return [data]


def _edited(raw: bytes, edit: Callable[[Any], object]) -> bytes:
    """A JSON answer after ``edit`` changed it in place."""
    body = json.loads(raw)
    edit(body)
    return json.dumps(body).encode("utf-8")


def _without(raw: bytes, field: FieldPath) -> bytes:
    """A JSON answer without ``field``."""
    body = json.loads(raw)
    delete_path(body, field)
    return json.dumps(body).encode("utf-8")


def _body(environ: dict[str, Any]) -> bytes:
    """The request body, read and put back for the app behind."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    data: bytes = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(data)
    return data


def delete_path(node: Any, path: FieldPath) -> int:
    """Remove the field at ``path`` (``"*"`` = every list element); how many were removed."""
    if not path:
        return 0
    head, rest = path[0], path[1:]
    if head == "*":
        items: Sequence[Any] = node if isinstance(node, list) else []
        return sum(delete_path(item, rest) for item in items)
    if isinstance(head, int):
        if not isinstance(node, list) or head >= len(node):
            return 0
        return delete_path(node[head], rest)
    if not isinstance(node, dict) or head not in node:
        return 0
    if not rest:
        del node[head]
        return 1
    return delete_path(node[head], rest)


_S3_ERRORS = {
    Kind.ACCESS_DENIED: ("403 Forbidden", "AccessDenied", "Request has expired"),
    Kind.THROTTLED: ("503 Slow Down", "SlowDown", "Please reduce your request rate."),
    Kind.INTERNAL_ERROR: ("500 Internal Server Error", "InternalError", "Try again."),
}
"""How Amazon S3 (which serves ECR's layer URLs) answers these faults."""


def _s3_error(start_response: StartResponse, status: str, code: str, message: str) -> list[bytes]:
    """An Amazon S3 REST error answer (XML)."""
    data = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
    start_response(
        status, [("Content-Type", "application/xml"), ("Content-Length", str(len(data)))]
    )
    return [data]


def _error(start_response: StartResponse, status: str, code: str, message: str) -> list[bytes]:
    """An AWS JSON-protocol error answer."""
    data = json.dumps({"__type": code, "message": message}).encode("utf-8")
    start_response(
        status,
        [
            ("Content-Type", JSON_CONTENT_TYPE),
            ("Content-Length", str(len(data))),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", "00000000-0000-4000-8000-000000000000"),
        ],
    )
    return [data]


@contextmanager
def fault_server(
    wrap: Callable[[WsgiApp], WsgiApp] | None = None,
) -> Iterator[tuple[str, FaultInjector]]:
    """moto's app (behind the registry layer) behind a :class:`FaultInjector` on 127.0.0.1;
    yields the URL and the injector.

    ``wrap`` puts a layer between the injector and moto (the Logs Insights evaluator).
    """
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    app: WsgiApp = moto_app()
    injector = FaultInjector(wrap(app) if wrap is not None else app)
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, injector, threaded=True, request_handler=MotoRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="fault-server", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}", injector
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
