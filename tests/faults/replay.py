"""A WSGI layer that answers AWS JSON-protocol operations from the tests' scripts, over HTTP.

moto cannot play some answers AWS gives: ListTasks pages (moto answers in one page
whatever ``maxResults`` says), a page token that repeats, fields of the wrong type. The
:class:`Replay` app answers the operations a test scripts — by the ``X-Amz-Target``
header the JSON protocols of ECR, ECS and CloudWatch Logs send — with the body the script
gives (the exact bytes on the wire, or JSON), and passes every other request to moto's
app (or answers ``UnknownOperationException`` when it has none). It records every
request, so tests can assert what the client asked.

Written from the AWS API reference: JSON 1.1 protocol, ``Content-Type:
application/x-amz-json-1.1``, errors as ``{"__type": code, "message": ...}`` with an HTTP
4xx/5xx status.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from tests.faults.middleware import JSON_CONTENT_TYPE, StartResponse, WsgiApp, target_operation


@dataclass(frozen=True)
class AwsError:
    """An error answer: ``code`` (``__type``), ``message`` and the HTTP status."""

    code: str
    message: str
    status: str = "400 Bad Request"


Body = Mapping[str, Any] | Sequence[Any] | bytes | AwsError
"""What a script answers: JSON (any JSON value), the exact bytes on the wire, or an error."""
Script = Callable[[dict[str, Any]], Body]
"""Answers one request, given its JSON body."""


def pages(bodies: Sequence[Body]) -> Script:
    """A paged answer: the first request gets ``bodies[0]``; a request whose ``nextToken``
    is the ``nextToken`` of ``bodies[k]`` gets ``bodies[k + 1]``; an unknown token is an
    ``InvalidParameterException``, as AWS answers it. A body given as bytes is read as
    JSON for its token (none when it is not a JSON object)."""
    following: dict[str, Body] = {}
    for page, after in itertools.pairwise(bodies):
        token = _token(page)
        if token is not None:
            following.setdefault(token, after)

    def answer(request: dict[str, Any]) -> Body:
        token = request.get("nextToken")
        if token is None:
            return bodies[0]
        if isinstance(token, str) and token in following:
            return following[token]
        return AwsError("InvalidParameterException", "Invalid nextToken.")

    return answer


def _token(body: Body) -> str | None:
    """The ``nextToken`` a page names, if it is text."""
    if isinstance(body, bytes):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    token = body.get("nextToken") if isinstance(body, Mapping) else None
    return token if isinstance(token, str) else None


class Replay:
    """WSGI app: scripted operations are answered by their script, the rest by ``fallback``."""

    def __init__(self, fallback: WsgiApp | None = None) -> None:
        self.fallback = fallback
        self._lock = threading.Lock()
        self._scripts: dict[str, Script] = {}
        self._requests: list[tuple[str, dict[str, Any]]] = []

    def answer(self, operation: str, script: Script | Body) -> None:
        """Answer ``operation`` (``ListTasks``) by ``script``, or always with one body."""
        with self._lock:
            self._scripts[operation] = script if callable(script) else _constant(script)

    def clear(self) -> None:
        """Forget every script and every request recorded."""
        with self._lock:
            self._scripts.clear()
            self._requests.clear()

    def requests(self, operation: str | None = None) -> list[dict[str, Any]]:
        """The JSON bodies of the requests seen (for ``operation`` only, when given)."""
        with self._lock:
            return [body for op, body in self._requests if operation in (None, op)]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer a scripted operation, else hand the request on."""
        target = str(environ.get("HTTP_X_AMZ_TARGET") or "")
        operation = target_operation(target) if target else ""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        request = _json_object(raw)
        with self._lock:
            self._requests.append((operation, request))
            script = self._scripts.get(operation)
        if script is None:
            if self.fallback is None:
                return _send(start_response, AwsError("UnknownOperationException", target))

            environ["wsgi.input"] = io.BytesIO(raw)
            return self.fallback(environ, start_response)
        return _send(start_response, script(request))


def _constant(body: Body) -> Script:
    return lambda _request: body


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _send(start_response: StartResponse, body: Body) -> list[bytes]:
    status = "200 OK"
    if isinstance(body, AwsError):
        status = body.status
        data = json.dumps({"__type": body.code, "message": body.message}).encode("utf-8")
    elif isinstance(body, bytes):
        data = body
    else:
        data = json.dumps(body).encode("utf-8")
    headers = [
        ("Content-Type", JSON_CONTENT_TYPE),
        ("Content-Length", str(len(data))),
        ("x-amzn-RequestId", "00000000-0000-4000-8000-000000000001"),
    ]
    if isinstance(body, AwsError):
        headers.append(("x-amzn-ErrorType", body.code))
    start_response(status, headers)
    return [data]


@contextmanager
def replay_server(with_moto: bool = False) -> Iterator[tuple[str, Replay]]:
    """A :class:`Replay` on 127.0.0.1 (in front of moto's app when ``with_moto``); yields
    its URL and the app."""
    fallback: WsgiApp | None = None
    handler: Any = None
    if with_moto:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        fallback = DomainDispatcherApplication(create_backend_app)
        handler = MotoRequestHandler
    replay = Replay(fallback)
    logger = logging.getLogger("werkzeug")  # one line per request otherwise
    level = logger.level
    logger.setLevel(logging.ERROR)
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, replay, threaded=True, request_handler=handler
    )
    thread = threading.Thread(target=server.serve_forever, name="replay-server", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}", replay
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        logger.setLevel(level)
