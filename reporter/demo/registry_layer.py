"""The part of ECR moto lacks: layer downloads. A WSGI middleware in front of moto's server app.

moto implements pushing blobs (``InitiateLayerUpload``, ``UploadLayerPart``,
``CompleteLayerUpload``) but keeps only each blob's digest and size, and it does not
implement ``GetDownloadUrlForLayer``. :class:`RegistryLayer` sits in front of moto and:

- keeps the bytes of every blob pushed through the upload calls (it passes each call to
  moto, and once moto has accepted ``CompleteLayerUpload`` it stores the parts under the
  digest moto computed, after checking that digest itself);
- answers ``GetDownloadUrlForLayer`` as the AWS API reference describes it: a
  ``downloadUrl`` and the ``layerDigest``; ``RepositoryNotFoundException`` for a
  repository moto does not hold, ``LayersNotFoundException`` for a blob never pushed,
  ``LayerInaccessibleException`` for one no image of the repository references, and
  ``InvalidParameterException`` for a malformed digest;
- serves that URL: ``GET /_ecr-layers/<registry>/<region>/<repository>/<digest>`` on the
  same server, standing in for ECR's pre-signed Amazon S3 URL. Like one, it carries its
  authorisation in the query (``X-Amz-Signature``, an HMAC of the path with a key of this
  process); without it, or with a wrong one, the answer is S3's ``403 AccessDenied``
  XML; an unknown blob is ``404 NoSuchKey``. Only ``GET`` is served.
- forgets every blob when moto's state is reset (``POST /moto-api/reset``).

Everything else goes to moto untouched.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import re
import secrets
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921"
"""The ``X-Amz-Target`` prefix of ECR's JSON protocol."""
BLOB_PATH = "/_ecr-layers/"
"""Where the layer serves blobs (the stand-in for ECR's pre-signed S3 URLs)."""
URL_EXPIRES_SECONDS = 3600
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
REQUEST_ID = "8f1c6a4e-2b7d-4e0a-9c53-1d2e3f4a5b6c"

_DIGEST = re.compile(r"[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+")
"""``layerDigest``'s pattern in the API reference."""
_REGION = re.compile(r"Credential=[^/,\s]+/\d{8}/(?P<region>[a-z0-9-]+)/")


@dataclass(frozen=True)
class BlobKey:
    """Where a blob is stored: registry (account), region, repository, digest."""

    registry: str
    region: str
    repository: str
    digest: str


@dataclass
class _Answer:
    """moto's answer, captured so the layer can read it before passing it on."""

    status: str = ""
    headers: list[tuple[str, str]] | None = None
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return self.status.startswith("200")


class RegistryLayer:
    """WSGI middleware: ECR blob storage and downloads in front of moto (see the module)."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._parts: dict[str, bytearray] = {}
        self._blobs: dict[BlobKey, bytes] = {}
        self._key = secrets.token_bytes(32)

    # -- what the tests and the demo may look at

    def blob(self, key: BlobKey) -> bytes | None:
        """The stored bytes of ``key``, if pushed."""
        with self._lock:
            return self._blobs.get(key)

    def clear(self) -> None:
        """Forget every blob and every upload in progress."""
        with self._lock:
            self._parts.clear()
            self._blobs.clear()

    # -- WSGI

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Serve blob GETs and GetDownloadUrlForLayer; tee the upload calls; pass the rest."""
        path = str(environ.get("PATH_INFO") or "")
        if path.startswith(BLOB_PATH):
            return self._serve_blob(environ, start_response)
        target = str(environ.get("HTTP_X_AMZ_TARGET") or "")
        if target == f"{ECR_TARGET}.GetDownloadUrlForLayer":
            return self._download_url(environ, start_response)
        if target == f"{ECR_TARGET}.UploadLayerPart":
            return self._upload_part(environ, start_response)
        if target == f"{ECR_TARGET}.CompleteLayerUpload":
            return self._complete_upload(environ, start_response)
        if path == "/moto-api/reset":
            self.clear()
        return self.app(environ, start_response)

    # -- uploads (moto decides; the layer keeps the bytes)

    def _upload_part(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        request = _json_body(environ)
        answer = self._moto(environ)
        if answer.ok:
            blob = base64.b64decode(str(request.get("layerPartBlob") or ""))
            with self._lock:
                self._parts.setdefault(str(request.get("uploadId")), bytearray()).extend(blob)
        return _forward(answer, start_response)

    def _complete_upload(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> list[bytes]:
        region = _region(environ)
        _json_body(environ)
        answer = self._moto(environ)
        if answer.ok:
            done = json.loads(answer.body)
            with self._lock:
                data = bytes(self._parts.pop(str(done["uploadId"]), b""))
                digest = "sha256:" + hashlib.sha256(data).hexdigest()
                if digest != done["layerDigest"]:
                    raise RuntimeError(f"moto's digest {done['layerDigest']} is not {digest}")
                key = BlobKey(str(done["registryId"]), region, str(done["repositoryName"]), digest)
                self._blobs[key] = data
        return _forward(answer, start_response)

    def _moto(self, environ: dict[str, Any]) -> _Answer:
        """Call moto; capture its whole answer."""
        answer = _Answer()

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            answer.status, answer.headers = status, headers

        chunks = self.app(environ, keep)
        try:
            answer.body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return answer

    # -- GetDownloadUrlForLayer

    def _download_url(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.ecr.models import ecr_backends

        request = _json_body(environ)
        region = _region(environ)
        registry = str(request.get("registryId") or DEFAULT_ACCOUNT_ID)
        repository_name = str(request.get("repositoryName") or "")
        digest = str(request.get("layerDigest") or "")
        if not _DIGEST.fullmatch(digest):
            return _aws_error(
                start_response,
                "InvalidParameterException",
                f"Invalid parameter at 'layerDigest' failed to satisfy constraint: "
                f"'must satisfy regular expression pattern: {_DIGEST.pattern}'",
            )
        try:
            repository = ecr_backends[registry][region].repositories.get(repository_name)
        except KeyError:  # a region moto does not know
            repository = None
        if repository is None:
            return _aws_error(
                start_response,
                "RepositoryNotFoundException",
                f"The repository with name '{repository_name}' does not exist in the registry"
                f" with id '{registry}'",
            )
        key = BlobKey(registry, region, repository_name, digest)
        if self.blob(key) is None:
            return _aws_error(
                start_response,
                "LayersNotFoundException",
                f"The layer with digest '{digest}' does not exist in the repository with name"
                f" '{repository_name}' in the registry with id '{registry}'",
            )
        if digest not in _referenced(repository.images):
            return _aws_error(
                start_response,
                "LayerInaccessibleException",
                "The specified layer is not available because it is not associated with an"
                " image. Unassociated image layers may be cleaned up at any time.",
            )
        scheme = str(environ.get("wsgi.url_scheme") or "http")
        host = str(environ.get("HTTP_HOST") or "")
        path = self._path(key)
        query = urllib.parse.urlencode(
            {"X-Amz-Expires": URL_EXPIRES_SECONDS, "X-Amz-Signature": self._signature(path)}
        )
        return _json(
            start_response,
            {"downloadUrl": f"{scheme}://{host}{path}?{query}", "layerDigest": digest},
        )

    def _path(self, key: BlobKey) -> str:
        return f"{BLOB_PATH}{key.registry}/{key.region}/{key.repository}/{key.digest}"

    def _signature(self, path: str) -> str:
        return hmac.new(self._key, path.encode("utf-8"), hashlib.sha256).hexdigest()

    # -- the blob GET (standing in for S3)

    def _serve_blob(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        method = str(environ.get("REQUEST_METHOD") or "")
        path = str(environ.get("PATH_INFO") or "")
        if method != "GET":
            return _s3_error(
                start_response, "405 Method Not Allowed", "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
            )  # fmt: skip
        query = urllib.parse.parse_qs(str(environ.get("QUERY_STRING") or ""))
        signature = (query.get("X-Amz-Signature") or [""])[0]
        if not hmac.compare_digest(signature, self._signature(path)):
            return _s3_error(
                start_response, "403 Forbidden", "AccessDenied",
                "Request has expired or its signature does not match.",
            )  # fmt: skip
        key = _key_of(path)
        data = self.blob(key) if key is not None else None
        if data is None:
            return _s3_error(
                start_response, "404 Not Found", "NoSuchKey", "The specified key does not exist."
            )
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/octet-stream"),
                ("Content-Length", str(len(data))),
                ("ETag", f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'),
                ("x-amz-request-id", REQUEST_ID),
            ],
        )
        return [data]


def _key_of(path: str) -> BlobKey | None:
    """The blob a ``/_ecr-layers/<registry>/<region>/<repository...>/<digest>`` path names."""
    parts = path[len(BLOB_PATH) :].split("/")
    if len(parts) < 4 or not all(parts):
        return None
    return BlobKey(parts[0], parts[1], "/".join(parts[2:-1]), parts[-1])


def _referenced(images: Iterable[Any]) -> set[str]:
    """Every blob digest (configs and layers) the manifests of moto's images name."""
    digests: set[str] = set()
    for image in images:
        try:
            manifest = json.loads(image.image_manifest)
        except (TypeError, ValueError):
            continue
        if not isinstance(manifest, dict):
            continue
        blobs = [manifest.get("config"), *(manifest.get("layers") or [])]
        digests.update(str(b["digest"]) for b in blobs if isinstance(b, dict) and "digest" in b)
    return digests


def _region(environ: dict[str, Any]) -> str:
    """The region of the request's SigV4 credential scope (moto's default without one)."""
    match = _REGION.search(str(environ.get("HTTP_AUTHORIZATION") or ""))
    return match["region"] if match else "us-east-1"


def _json_body(environ: dict[str, Any]) -> dict[str, Any]:
    """The request's JSON body; the body is put back for whoever reads it next."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    data = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(data)
    try:
        body = json.loads(data or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _forward(answer: _Answer, start_response: StartResponse) -> list[bytes]:
    start_response(answer.status, answer.headers or [])
    return [answer.body]


def _json(start_response: StartResponse, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode("utf-8")
    start_response(
        "200 OK",
        [
            ("Content-Type", JSON_CONTENT_TYPE),
            ("Content-Length", str(len(data))),
            ("x-amzn-RequestId", REQUEST_ID),
        ],
    )
    return [data]


def _aws_error(start_response: StartResponse, code: str, message: str) -> list[bytes]:
    """An AWS JSON-protocol error (HTTP 400)."""
    data = json.dumps({"__type": code, "message": message}).encode("utf-8")
    start_response(
        "400 Bad Request",
        [
            ("Content-Type", JSON_CONTENT_TYPE),
            ("Content-Length", str(len(data))),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", REQUEST_ID),
        ],
    )
    return [data]


def _s3_error(start_response: StartResponse, status: str, code: str, message: str) -> list[bytes]:
    """An Amazon S3 REST error: XML with ``Code``, ``Message`` and ``RequestId``."""
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{REQUEST_ID}</RequestId></Error>"
    ).encode()
    start_response(
        status,
        [("Content-Type", "application/xml"), ("Content-Length", str(len(data)))],
    )
    return [data]


# --------------------------------------------------------------------------- pushing


def push_blob(ecr: Any, repository: str, data: bytes, part_size: int = 1024 * 1024) -> str:
    """Push ``data`` as a blob of ``repository`` through ECR's layer-upload calls; its digest.

    What ``docker push`` does for a layer or a config: ``InitiateLayerUpload``, the parts
    in order (``UploadLayerPart``), ``CompleteLayerUpload`` with the digest. ``ecr`` is a
    boto3 ECR client.
    """
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    upload = ecr.initiate_layer_upload(repositoryName=repository)["uploadId"]
    for start in range(0, max(len(data), 1), part_size):
        part = data[start : start + part_size]
        if not part:
            break
        ecr.upload_layer_part(
            repositoryName=repository,
            uploadId=upload,
            partFirstByte=start,
            partLastByte=start + len(part) - 1,
            layerPartBlob=part,
        )
    done = ecr.complete_layer_upload(
        repositoryName=repository, uploadId=upload, layerDigests=[digest]
    )
    if done["layerDigest"] != digest:
        raise RuntimeError(f"the registry computed {done['layerDigest']}, not {digest}")
    return digest


def put_manifest(
    ecr: Any, repository: str, manifest: str, media_type: str, tag: str | None = None
) -> str:
    """Push ``manifest`` (``PutImage``, tagged ``tag`` or by digest only); its digest.

    The digest is the SHA-256 of the manifest's bytes, given to ``PutImage`` as
    ``imageDigest``: moto would otherwise make one up from the layer digests (or at
    random for an index), while registries hash the bytes.
    """
    digest = "sha256:" + hashlib.sha256(manifest.encode("utf-8")).hexdigest()
    request: dict[str, Any] = {
        "repositoryName": repository,
        "imageManifest": manifest,
        "imageManifestMediaType": media_type,
        "imageDigest": digest,
    }
    if tag is not None:
        request["imageTag"] = tag
    ecr.put_image(**request)
    return digest


# --------------------------------------------------------------------------- the server


def moto_app() -> RegistryLayer:
    """moto's server app (every service) behind a :class:`RegistryLayer`."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return RegistryLayer(DomainDispatcherApplication(create_backend_app))


@contextmanager
def serve(app: WsgiApp, name: str = "emulator") -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 for the block, as moto's server does.

    werkzeug's threaded server with moto's request handler (what ``ThreadedMotoServer``
    builds); yields ``http://127.0.0.1:PORT``; shut down and joined on exit.
    """
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
