"""The image's config, read from the registry: its labels, the commit it was built from, when.

Build pipelines stamp an image with the commit it was built from, as the OCI label
``org.opencontainers.image.revision`` (docker/metadata-action, buildx, Jib, ko and
Cloud Native Buildpacks all do). That label lives in the image's *config*, a JSON blob
the registry stores beside the layers. Reading it takes three reads, each a read-only
call:

1. ``ecr:BatchGetImage`` for ``repository:tag``, accepting the OCI and Docker v2 image
   manifest and index media types. When the tag names an index (a multi-platform
   image), the manifest of ``[image] platform`` (default ``linux/amd64``) is read with a
   second ``BatchGetImage``, by its digest. Every manifest is checked against the digest
   it was asked by (the SHA-256 of its bytes).
2. ``ecr:GetDownloadUrlForLayer`` for the config's digest: a pre-signed URL.
3. An HTTP GET of exactly that URL (:class:`BlobFetcher`): size-capped (at the size the
   manifest names, itself at most :data:`MAX_CONFIG_BYTES`), timed out, cancellable, no
   redirect followed, no credentials sent, nothing else fetched; the body must have the
   size and the digest the manifest names.

Then ``config.Labels`` gives the revision (the value of ``[image] revision_label``) and
``org.opencontainers.image.created`` (else the config's ``created``) the build time.

The raw calls sit behind :class:`EcrConfigApi` (over boto3 and :class:`BlobFetcher` in
:class:`Boto3EcrConfig`), so that the parsing (:func:`parse_manifest`,
:func:`pick_platform`, :func:`parse_config`) is tested on recorded responses.
:func:`collect_image_config` never raises for a registry failure: each one (denied,
throttled, HTTP 5xx, timeout, wrong digest, too big, not JSON, malformed manifest,
unknown media type, no manifest for the platform, a revision label that is not a commit
id) is an :class:`~reporter.model.EvidenceError` on the evidence, and what was learned
before it is kept. An image without the label is not an error: ``revision`` is None.

The blob GET takes ``https://`` URLs only, except on an emulator: plain ``http://`` is
accepted only when the ECR client itself talks plain HTTP (an ``endpoint_url`` such as
``http://127.0.0.1:5000``) and the URL's host and port are that endpoint's.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import http.client
import io
import json
import os
import random
import re
import selectors
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from reporter import __version__
from reporter.collect.aws import AWS_ERRORS, AwsOptions, aws_error, missing_field
from reporter.errors import Cancelled
from reporter.model import EvidenceError, ImageConfigEvidence
from reporter.redact import Redactor
from reporter.spec import ImageSection
from reporter.text import clean, visible

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient

BATCH_GET_IMAGE = "ecr:BatchGetImage"
GET_DOWNLOAD_URL = "ecr:GetDownloadUrlForLayer"
GET_BLOB = "GET config blob"
"""The operation named in errors of the blob GET (an HTTP GET of the pre-signed URL)."""
READ_LABELS = "read image labels"

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST_TYPES = frozenset({DOCKER_MANIFEST, OCI_MANIFEST})
INDEX_TYPES = frozenset({DOCKER_MANIFEST_LIST, OCI_INDEX})
ACCEPTED_MEDIA_TYPES = (OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST)
"""What BatchGetImage is asked to return for the tag (``acceptedMediaTypes``)."""
CONFIG_TYPES = frozenset(
    {"application/vnd.docker.container.image.v1+json", "application/vnd.oci.image.config.v1+json"}
)

CREATED_LABEL = "org.opencontainers.image.created"
MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""Largest config blob fetched: a container config is a few kilobytes."""
MAX_LABELS = 100
"""Most labels kept on the evidence (sorted by name; the revision and created labels always)."""
LABEL_KEY_CHARS = 200
LABEL_VALUE_CHARS = 500
SHOWN_VALUE_CHARS = 80
"""Longest label value quoted in an error message."""

_DIGEST = re.compile(r"(?P<algorithm>sha256|sha512):(?P<hex>[0-9a-f]+)")
_HEX_LENGTH = {"sha256": 64, "sha512": 128}
_COMMIT_ID = re.compile(r"[0-9a-f]{4,64}")
_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}:\d{2})"
    r"(?P<fraction>\.\d+)?(?P<zone>[Zz]|[+-]\d{2}:\d{2})"
)


# --------------------------------------------------------------------------- the seam


class EcrConfigApi(Protocol):
    """The raw reads the collector needs (a seam: tests swap in recorded responses)."""

    def batch_get_image(
        self,
        repository: str,
        registry_id: str | None,
        image_id: Mapping[str, str],
        media_types: Sequence[str],
    ) -> Mapping[str, Any]:
        """``ecr:BatchGetImage`` for one ``imageTag`` or ``imageDigest``; raises botocore errors."""
        ...

    def get_download_url_for_layer(
        self, repository: str, registry_id: str | None, digest: str
    ) -> Mapping[str, Any]:
        """``ecr:GetDownloadUrlForLayer`` for one blob digest; raises botocore errors."""
        ...

    def fetch_blob(self, url: str, max_bytes: int, cancel: threading.Event | None = None) -> bytes:
        """The body of a GET of ``url``; raises :class:`BlobError` or :class:`Cancelled`."""
        ...


class Boto3EcrConfig:
    """:class:`EcrConfigApi` over a boto3 ECR client and a :class:`BlobFetcher`."""

    def __init__(self, client: ECRClient, fetcher: BlobFetcher) -> None:
        self._client = client
        self._fetcher = fetcher

    @classmethod
    def from_options(cls, client: ECRClient, options: AwsOptions) -> Boto3EcrConfig:
        """The seam for a run: the blob GET uses the run's timeouts and retry budget.

        Plain ``http://`` blob URLs are allowed only on the host and port of the endpoint
        the client talks to, and only when that endpoint is itself plain HTTP (an emulator).
        """
        return cls(
            client,
            BlobFetcher(
                endpoint_url=client.meta.endpoint_url,
                connect_timeout=options.connect_timeout,
                read_timeout=options.read_timeout,
                max_attempts=options.max_attempts or _env_max_attempts(),
            ),
        )

    def batch_get_image(
        self,
        repository: str,
        registry_id: str | None,
        image_id: Mapping[str, str],
        media_types: Sequence[str],
    ) -> Mapping[str, Any]:
        """``ecr:BatchGetImage`` for ``image_id`` (in ``registry_id`` when given)."""
        ids: Any = [dict(image_id)]
        if registry_id:
            return self._client.batch_get_image(
                registryId=registry_id,
                repositoryName=repository,
                imageIds=ids,
                acceptedMediaTypes=list(media_types),
            )
        return self._client.batch_get_image(
            repositoryName=repository, imageIds=ids, acceptedMediaTypes=list(media_types)
        )

    def get_download_url_for_layer(
        self, repository: str, registry_id: str | None, digest: str
    ) -> Mapping[str, Any]:
        """``ecr:GetDownloadUrlForLayer`` for the blob ``digest`` of ``repository``."""
        if registry_id:
            return self._client.get_download_url_for_layer(
                registryId=registry_id, repositoryName=repository, layerDigest=digest
            )
        return self._client.get_download_url_for_layer(
            repositoryName=repository, layerDigest=digest
        )

    def fetch_blob(self, url: str, max_bytes: int, cancel: threading.Event | None = None) -> bytes:
        """The blob at the pre-signed ``url`` (see :meth:`BlobFetcher.fetch`)."""
        return self._fetcher.fetch(url, max_bytes, cancel)


def _env_max_attempts() -> int:
    """``AWS_MAX_ATTEMPTS`` when it is a positive integer, else botocore's default of 3."""
    value = os.environ.get("AWS_MAX_ATTEMPTS", "")
    return int(value) if value.isdigit() and int(value) > 0 else 3


# --------------------------------------------------------------------------- collecting


class _Failed(Exception):
    """One step failed: the evidence gets ``error``."""

    def __init__(self, error: EvidenceError) -> None:
        super().__init__(error.line())
        self.error = error


def collect_image_config(
    api: EcrConfigApi,
    section: ImageSection,
    redactor: Redactor | None = None,
    cancel: threading.Event | None = None,
) -> ImageConfigEvidence:
    """Read the config labels of ``section.repository:section.tag``; never raises for AWS failures.

    Label values (and names) are redacted with ``redactor`` (the built-in patterns when
    None), cut and escaped; the revision is a commit id and is kept as it is. Raises
    :class:`Cancelled` when ``cancel`` is set, between calls or during the blob GET.
    """
    redactor = redactor or Redactor()
    facts: dict[str, Any] = {"revision_label": section.revision_label}
    try:
        _read(api, section, redactor, cancel, facts)
    except _Failed as failed:
        facts["error"] = failed.error
    return ImageConfigEvidence(**facts)


def _read(
    api: EcrConfigApi,
    section: ImageSection,
    redactor: Redactor,
    cancel: threading.Event | None,
    facts: dict[str, Any],
) -> None:
    """The steps of :func:`collect_image_config`, filling ``facts`` as they succeed."""
    _check(cancel)
    tag_image = _get_image(api, section, {"imageTag": section.tag}, ACCEPTED_MEDIA_TYPES)
    top = parse_manifest(tag_image)
    facts["manifest_media_type"] = top.media_type
    manifest = top
    if top.media_type in INDEX_TYPES:
        entry = pick_platform(top, section.platform)
        facts["platform"] = entry.platform
        _check(cancel)
        image = _get_image(api, section, {"imageDigest": entry.digest}, sorted(MANIFEST_TYPES))
        manifest = parse_manifest(image, expected_digest=entry.digest)
        if manifest.media_type not in MANIFEST_TYPES:
            raise _Failed(
                _manifest_error(
                    "UnknownMediaType",
                    f"the index entry for {entry.platform} is a {manifest.media_type!r},"
                    " not an image manifest",
                )
            )
    facts["manifest_digest"] = manifest.digest
    config = manifest.config
    if config is None:  # parse_manifest gives image manifests a config
        raise _Failed(_manifest_error("MalformedManifest", "the manifest names no config"))
    facts["config_digest"] = config.digest
    if config.size > MAX_CONFIG_BYTES:
        raise _Failed(
            EvidenceError(
                operation=GET_BLOB,
                code="TooLarge",
                message=f"the manifest says the config is {config.size} bytes,"
                f" more than the {MAX_CONFIG_BYTES} read",
            )
        )
    _check(cancel)
    url = _download_url(api, section, config.digest)
    _check(cancel)
    try:
        blob = api.fetch_blob(url, config.size, cancel)  # never more than the manifest says
    except BlobError as exc:
        raise _Failed(
            EvidenceError(operation=GET_BLOB, code=exc.code, message=exc.message)
        ) from None
    verify_blob(blob, config)
    labels = parse_config(blob)
    facts.update(read_labels(labels, section.revision_label, redactor))
    if facts.get("created") is None:
        facts["created"] = config_created(blob)


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("image config collection cancelled")


def _get_image(
    api: EcrConfigApi,
    section: ImageSection,
    image_id: Mapping[str, str],
    media_types: Sequence[str],
) -> Mapping[str, Any]:
    """One BatchGetImage; the image it returned, or :class:`_Failed`."""
    try:
        response = api.batch_get_image(
            section.repository, section.registry_id, image_id, media_types
        )
    except AWS_ERRORS as exc:
        raise _Failed(aws_error(BATCH_GET_IMAGE, exc)) from None
    images = response.get("images")
    failures = response.get("failures")
    if isinstance(images, Sequence) and not isinstance(images, str):
        found = [image for image in images if isinstance(image, Mapping)]
        if found:
            return found[0]
    if isinstance(failures, Sequence) and not isinstance(failures, str):
        for failure in failures:
            if isinstance(failure, Mapping):
                code = _shown(_text(failure.get("failureCode")) or "ImageFailure")
                reason = _shown(_text(failure.get("failureReason")) or "no reason given")
                wanted = ", ".join(f"{k}={_shown(v)}" for k, v in image_id.items())
                raise _Failed(
                    EvidenceError(
                        operation=BATCH_GET_IMAGE, code=code, message=f"{wanted}: {reason}"
                    )
                )
    if not isinstance(images, Sequence) or isinstance(images, str):
        raise _Failed(missing_field(BATCH_GET_IMAGE, "images"))
    raise _Failed(
        EvidenceError(
            operation=BATCH_GET_IMAGE,
            code="ImageNotFound",
            message="the response holds neither an image nor a failure",
        )
    )


def _download_url(api: EcrConfigApi, section: ImageSection, digest: str) -> str:
    """The pre-signed URL of blob ``digest``, or :class:`_Failed`."""
    try:
        response = api.get_download_url_for_layer(section.repository, section.registry_id, digest)
    except AWS_ERRORS as exc:
        raise _Failed(aws_error(GET_DOWNLOAD_URL, exc)) from None
    url = response.get("downloadUrl")
    if not isinstance(url, str) or not url:
        raise _Failed(missing_field(GET_DOWNLOAD_URL, "downloadUrl"))
    answered = response.get("layerDigest")
    if isinstance(answered, str) and answered and answered != digest:
        raise _Failed(
            EvidenceError(
                operation=GET_DOWNLOAD_URL,
                code="DigestMismatch",
                message=f"asked for {digest}, the answer is for {_shown(answered)}",
            )
        )
    return url


# --------------------------------------------------------------------------- manifests


@dataclass(frozen=True)
class Descriptor:
    """An OCI content descriptor: what a manifest says about a blob or another manifest."""

    media_type: str | None
    digest: str
    size: int
    platform: str | None = None
    """Index entries: ``os/architecture[/variant]``."""


@dataclass(frozen=True)
class Manifest:
    """A manifest or index as BatchGetImage returned it, checked against its digest."""

    media_type: str
    digest: str
    """``sha256:`` of the manifest's bytes."""
    config: Descriptor | None = None
    """Image manifests: the config blob."""
    manifests: tuple[Descriptor, ...] = ()
    """Indexes: the entries, in the index's order."""


def parse_manifest(image: Mapping[str, Any], expected_digest: str | None = None) -> Manifest:
    """An ``images[]`` entry of BatchGetImage, parsed and checked.

    The media type is ``imageManifestMediaType`` (else the manifest's own ``mediaType``);
    it must be an OCI or Docker v2 image manifest or index, and agree with the manifest's
    own ``mediaType`` when both are given. The manifest's SHA-256 must equal
    ``expected_digest`` (when given) and ``imageId.imageDigest`` (when the answer has one).
    Raises :class:`_Failed` otherwise.
    """
    raw = image.get("imageManifest")
    if not isinstance(raw, str) or not raw:
        raise _Failed(missing_field(BATCH_GET_IMAGE, "images[].imageManifest"))
    digest = "sha256:" + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
    image_id = image.get("imageId")
    answered = image_id.get("imageDigest") if isinstance(image_id, Mapping) else None
    for wanted in (expected_digest, answered):
        if isinstance(wanted, str) and wanted and wanted != digest:
            raise _Failed(
                _manifest_error(
                    "DigestMismatch",
                    f"the manifest's bytes hash to {digest}, not {_shown(wanted)}",
                )
            )
    body = _json_object(raw)
    if body is None:
        raise _Failed(_manifest_error("MalformedManifest", "the manifest is not a JSON object"))
    declared = _text(image.get("imageManifestMediaType"))
    own = body.get("mediaType")
    if own is not None and not isinstance(own, str):
        raise _Failed(_manifest_error("MalformedManifest", "'mediaType' is not a string"))
    media_type = declared or own
    if media_type is None:
        raise _Failed(missing_field(BATCH_GET_IMAGE, "images[].imageManifestMediaType"))
    if declared and own and declared != own:
        raise _Failed(
            _manifest_error(
                "MalformedManifest",
                f"the registry says {_shown(declared)}, the manifest says {_shown(own)}",
            )
        )
    if media_type in INDEX_TYPES:
        entries = body.get("manifests")
        if not isinstance(entries, list):
            raise _Failed(_manifest_error("MalformedManifest", "the index has no 'manifests' list"))
        return Manifest(
            media_type=media_type,
            digest=digest,
            manifests=tuple(
                _descriptor(entry, "manifests[]", with_platform=True) for entry in entries
            ),
        )
    if media_type in MANIFEST_TYPES:
        config = _descriptor(body.get("config"), "config")
        if config.media_type not in CONFIG_TYPES:
            raise _Failed(
                _manifest_error(
                    "UnknownMediaType",
                    f"the config is a {_shown(config.media_type or 'blob without a media type')},"
                    " not a container image config",
                )
            )
        return Manifest(media_type=media_type, digest=digest, config=config)
    raise _Failed(
        _manifest_error(
            "UnknownMediaType",
            f"{_shown(media_type)} is neither an OCI nor a Docker v2 image manifest or index",
        )
    )


def _descriptor(node: object, where: str, with_platform: bool = False) -> Descriptor:
    """One descriptor (``config`` or an index entry), or :class:`_Failed` naming ``where``."""
    if not isinstance(node, Mapping):
        raise _Failed(_manifest_error("MalformedManifest", f"{where!r} is not an object"))
    digest = node.get("digest")
    if not isinstance(digest, str) or not _valid_digest(digest):
        raise _Failed(
            _manifest_error("MalformedManifest", f"{where}.digest is not a sha256/sha512 digest")
        )
    size = node.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _Failed(_manifest_error("MalformedManifest", f"{where}.size is not a size"))
    media_type = node.get("mediaType")
    platform = _platform_of(node.get("platform")) if with_platform else None
    return Descriptor(
        media_type=media_type if isinstance(media_type, str) else None,
        digest=digest,
        size=size,
        platform=platform,
    )


def _platform_of(node: object) -> str | None:
    """``os/architecture[/variant]`` of an index entry's ``platform``, lower-cased, or None."""
    if not isinstance(node, Mapping):
        return None
    os_name, arch, variant = node.get("os"), node.get("architecture"), node.get("variant")
    if not isinstance(os_name, str) or not isinstance(arch, str) or not os_name or not arch:
        return None
    parts = [os_name.lower(), arch.lower()]
    if isinstance(variant, str) and variant:
        parts.append(variant.lower())
    return "/".join(parts)


def _valid_digest(digest: str) -> bool:
    match = _DIGEST.fullmatch(digest)
    return match is not None and len(match["hex"]) == _HEX_LENGTH[match["algorithm"]]


def _normalized(platform: str) -> tuple[str, str, str | None]:
    """``(os, architecture, variant)``; arm64's default variant ``v8`` counts as none."""
    parts = platform.lower().split("/")
    os_name, arch = parts[0], parts[1] if len(parts) > 1 else ""
    variant = parts[2] if len(parts) > 2 else None
    if arch == "arm64" and variant == "v8":
        variant = None
    return os_name, arch, variant


def pick_platform(index: Manifest, platform: str) -> Descriptor:
    """The index entry for ``platform`` (``os/architecture[/variant]``), or :class:`_Failed`.

    The first entry whose platform equals the wanted one is taken (the OCI rule when
    several match); ``linux/arm64`` and ``linux/arm64/v8`` are the same platform. Without
    a variant in ``platform``, an entry without one is preferred, else the only entry of
    that os and architecture. Entries without a platform (attestations, artifacts) never
    match.
    """
    want_os, want_arch, want_variant = _normalized(platform)
    candidates = [
        entry
        for entry in index.manifests
        if entry.platform is not None and _normalized(entry.platform)[:2] == (want_os, want_arch)
    ]
    exact = [e for e in candidates if _normalized(e.platform or "")[2] == want_variant]
    if exact:
        return exact[0]
    if want_variant is None and len(candidates) == 1:
        return candidates[0]
    offered = sorted({e.platform for e in index.manifests if e.platform is not None})
    listed = ", ".join(_shown(p) for p in offered[:10]) + (" ..." if len(offered) > 10 else "")
    why = (
        f"several variants of {want_os}/{want_arch} and none without a variant: {listed}"
        if candidates
        else f"the index offers {listed or 'no platform'}"
    )
    raise _Failed(_manifest_error("NoManifestForPlatform", f"no manifest for {platform} ({why})"))


def _manifest_error(code: str, message: str) -> EvidenceError:
    return EvidenceError(operation=BATCH_GET_IMAGE, code=code, message=message)


# --------------------------------------------------------------------------- the config


def verify_blob(blob: bytes, config: Descriptor) -> None:
    """The blob has the size and digest the manifest names; :class:`_Failed` otherwise."""
    if len(blob) != config.size:
        raise _Failed(
            EvidenceError(
                operation=GET_BLOB,
                code="SizeMismatch",
                message=f"got {len(blob)} bytes, the manifest says {config.size}",
            )
        )
    algorithm, _, expected = config.digest.partition(":")
    actual = hashlib.new(algorithm, blob).hexdigest()
    if actual != expected:
        raise _Failed(
            EvidenceError(
                operation=GET_BLOB,
                code="DigestMismatch",
                message=f"the blob hashes to {algorithm}:{actual}, not {config.digest}",
            )
        )


def parse_config(blob: bytes) -> Mapping[str, str]:
    """``config.Labels`` of an image config (empty when none); :class:`_Failed` if malformed.

    A label whose value is not a string (never written by docker or buildah) is kept as
    its JSON text.
    """
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError:
        raise _Failed(_config_error("NotJson", "the config is not UTF-8 text")) from None
    body = _json_object(text)
    if body is None:
        raise _Failed(_config_error("NotJson", "the config is not a JSON object"))
    config = body.get("config")
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise _Failed(_config_error("MalformedConfig", "'config' is not an object"))
    labels = config.get("Labels")
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise _Failed(_config_error("MalformedConfig", "'config.Labels' is not an object"))
    return {
        _text_only(str(key)): _text_only(value if isinstance(value, str) else json.dumps(value))
        for key, value in labels.items()
    }


def config_created(blob: bytes) -> datetime | None:
    """The config's own ``created`` time (already known to be a JSON object); None if absent."""
    body = _json_object(blob.decode("utf-8"))
    return parse_rfc3339(body.get("created")) if body is not None else None


def read_labels(
    labels: Mapping[str, str], revision_label: str, redactor: Redactor
) -> dict[str, Any]:
    """The evidence facts of ``labels``: shown labels, revision, created, and an error if any.

    The revision is the label's value, stripped and lower-cased, when it is a commit id
    (4 to 64 hexadecimal digits); any other value is an error ``NotACommitId`` (revision
    None). A missing label is no error. Shown labels are redacted, cut and escaped; at most
    :data:`MAX_LABELS` (sorted by name, the revision and created labels always among them).
    """
    facts: dict[str, Any] = {}
    value = labels.get(revision_label)
    if value is not None:
        candidate = value.strip().lower()
        if _COMMIT_ID.fullmatch(candidate):
            facts["revision"] = candidate
        else:
            shown = clean(value, redactor, limit=SHOWN_VALUE_CHARS)
            facts["error"] = EvidenceError(
                operation=READ_LABELS,
                code="NotACommitId",
                message=f"label {_shown(revision_label)} is {shown!r}, not a commit id"
                " (4 to 64 hexadecimal digits)",
            )
    facts["created"] = parse_rfc3339(labels.get(CREATED_LABEL))
    names = sorted(labels)
    wanted = {revision_label, CREATED_LABEL}
    kept = [n for n in names if n in wanted]
    kept += [n for n in names if n not in wanted][: max(0, MAX_LABELS - len(kept))]
    shown_labels: dict[str, str] = {}
    for name in sorted(kept):
        key = clean(name, redactor, limit=LABEL_KEY_CHARS)
        if key in shown_labels:
            continue
        if name == revision_label and "revision" in facts:
            shown_labels[key] = facts["revision"]
        else:
            shown_labels[key] = clean(labels[name], redactor, limit=LABEL_VALUE_CHARS)
    facts["labels"] = shown_labels
    facts["labels_omitted"] = len(names) - len(kept)
    return facts


def parse_rfc3339(value: object) -> datetime | None:
    """An RFC 3339 time with a zone (any number of fraction digits) in UTC; None otherwise."""
    if not isinstance(value, str):
        return None
    match = _RFC3339.fullmatch(value.strip())
    if match is None:
        return None
    fraction = (match["fraction"] or "")[:7]  # the dot and microseconds: Go writes nanoseconds
    zone = "+00:00" if match["zone"] in ("Z", "z") else match["zone"]
    try:
        parsed = datetime.fromisoformat(f"{match['date']}T{match['time']}{fraction}{zone}")
    except ValueError:
        return None
    return parsed.astimezone(UTC)


def _config_error(code: str, message: str) -> EvidenceError:
    return EvidenceError(operation=GET_BLOB, code=code, message=message)


def _json_object(text: str) -> dict[str, Any] | None:
    """``text`` as a JSON object, or None (invalid JSON, another type, or nested too deep)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _shown(value: str) -> str:
    """A value from a response, safe in a one-line message (escaped, cut)."""
    return visible(_text_only(value[:SHOWN_VALUE_CHARS]), keep_newlines=False) + (
        "..." if len(value) > SHOWN_VALUE_CHARS else ""
    )


def _text_only(value: str) -> str:
    """``value`` with lone surrogates (JSON ``\\ud800`` escapes) as visible escapes.

    They are no text: the evidence could not be written as UTF-8 with them in it.
    """
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


# --------------------------------------------------------------------------- the blob GET


class BlobError(Exception):
    """The blob GET failed; ``code`` names the cause (``ReadTimeout``, ``TooLarge``...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


POLL_SECONDS = 0.1
"""How often a waiting blob GET looks at the cancel event."""
MAX_HEADER_BYTES = 64 * 1024
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class _Target:
    """A URL the fetcher agreed to GET."""

    scheme: str
    host: str
    port: int
    netloc: str
    """As in the URL (the ``Host`` header: pre-signed URLs sign it)."""
    request_target: str
    """Path and query, exactly as in the URL (the query carries the signature)."""

    @property
    def shown(self) -> str:
        """``scheme://host/path``, without the query (which carries the signature)."""
        return f"{self.scheme}://{self.netloc}{self.request_target.split('?', 1)[0]}"


class BlobFetcher:
    """GETs one pre-signed blob URL, and nothing else.

    - ``https://`` only; plain ``http://`` only when ``endpoint_url`` is plain HTTP and the
      URL's host and port are its host and port (an emulator such as moto's server).
    - No credentials: a URL with ``user:password@`` is refused, no ``Authorization`` or
      cookie header is sent; the URL's own query (its signature) is sent as it is.
    - No redirect is followed: a 3xx answer is an error.
    - ``connect_timeout`` for the connection (and TLS handshake), ``read_timeout`` for any
      wait for data and for the whole answer; at most ``max_bytes`` of body.
    - Retries (up to ``max_attempts`` in all, backing off) on a refused or dropped
      connection, a timeout, HTTP 429 and 5xx.
    - Cancellable: every wait is sliced into :data:`POLL_SECONDS` and the cancel event is
      looked at between slices, so a set event ends the GET within a fraction of a second.
    - TLS is verified against ``AWS_CA_BUNDLE`` when set, else botocore's CA bundle (the
      one the AWS calls use). ``HTTPS_PROXY``/``NO_PROXY`` are honoured (an ``http://``
      proxy, tunnelled with CONNECT; proxy credentials go to the proxy only).
    """

    def __init__(
        self,
        endpoint_url: str | None = None,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_attempts: int = 3,
        ssl_context: ssl.SSLContext | None = None,
        proxies: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._endpoint = _endpoint_of(endpoint_url)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_attempts = max(1, max_attempts)
        self._ssl_context = ssl_context
        self._proxies = proxies
        self._sleep = sleep

    # -- policy

    def target(self, url: str) -> _Target:
        """``url`` as a :class:`_Target`; :class:`BlobError` ``RefusedUrl`` when not allowed."""
        if not url.isascii() or any(
            ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url
        ):
            raise BlobError("RefusedUrl", "the URL holds spaces, control or non-ASCII characters")
        try:
            parts = urllib.parse.urlsplit(url)
            port = parts.port
        except ValueError as exc:  # a port that is no number, a broken IPv6 address
            raise BlobError("RefusedUrl", f"the URL cannot be parsed ({exc})") from None
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        if not host:
            raise BlobError("RefusedUrl", f"no host in a {scheme or 'scheme-less'} URL")
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            raise BlobError("RefusedUrl", "the URL carries credentials; they are never sent")
        if scheme == "https":
            port = port or 443
        elif scheme == "http":
            port = port or 80
            if self._endpoint is None or self._endpoint != ("http", host, port):
                raise BlobError(
                    "RefusedUrl",
                    f"plain http://{visible(parts.netloc)} refused: only https://, or http:// on"
                    " the host and port of a plain-HTTP endpoint_url (an emulator)",
                )
        else:
            raise BlobError("RefusedUrl", f"scheme {visible(scheme)!r} refused: only https://")
        request_target = url[len(f"{parts.scheme}://{parts.netloc}") :] or "/"
        if not request_target.startswith("/"):
            request_target = "/" + request_target
        request_target = request_target.split("#", 1)[0]
        return _Target(scheme, host, port, parts.netloc, request_target)

    # -- fetching

    def fetch(self, url: str, max_bytes: int, cancel: threading.Event | None = None) -> bytes:
        """The body of a GET of ``url`` (at most ``max_bytes``); raises :class:`BlobError`."""
        target = self.target(url)
        attempt = 1
        while True:
            _check(cancel)
            try:
                return self._attempt(target, max_bytes, cancel)
            except _Retryable as exc:
                if attempt >= self.max_attempts:
                    retries = f" (after {attempt - 1} retries)" if attempt > 1 else ""
                    raise BlobError(exc.code, f"{exc.message}{retries}") from None
            except (OSError, ValueError, http.client.HTTPException) as exc:  # what else sockets,
                # TLS or http.client raise: an error of this GET, never a traceback
                raise BlobError(type(exc).__name__, f"{target.shown}: {exc}") from None
            delay = min(2.0, 0.1 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)  # noqa: S311
            self._wait(delay, cancel)
            attempt += 1

    def _wait(self, delay: float, cancel: threading.Event | None) -> None:
        if self._sleep is not None:
            self._sleep(delay)
        elif cancel is not None:
            cancel.wait(delay)
        else:
            time.sleep(delay)
        _check(cancel)

    def _attempt(self, target: _Target, max_bytes: int, cancel: threading.Event | None) -> bytes:
        connect_deadline = time.monotonic() + self.connect_timeout
        proxy = self._proxy_for(target)
        where = target.shown
        address = proxy[:2] if proxy else (target.host, target.port)
        conn: socket.socket = _connect(address, connect_deadline, cancel, where)
        try:
            if proxy is not None:
                _tunnel(conn, target, proxy[2], connect_deadline, cancel)
            if target.scheme == "https":
                conn = _tls(conn, target.host, self._context(), connect_deadline, cancel, where)
            deadline = time.monotonic() + self.read_timeout
            io_ = _SlicedIO(conn, cancel, deadline, self.read_timeout, where)
            io_.sendall(_request(target))
            return _read_response(io_, target, max_bytes)
        finally:
            conn.close()

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            from botocore.httpsession import get_cert_path

            cafile = os.environ.get("AWS_CA_BUNDLE") or get_cert_path(True)
            self._ssl_context = ssl.create_default_context(
                cafile=cafile if isinstance(cafile, str) else None
            )
        return self._ssl_context

    def _proxy_for(self, target: _Target) -> tuple[str, int, str | None] | None:
        """``(host, port, Proxy-Authorization)`` of the proxy for an https target, if any."""
        if target.scheme != "https":
            return None
        proxies = self._proxies if self._proxies is not None else urllib.request.getproxies()
        proxy = proxies.get("https")
        if not proxy or (self._proxies is None and urllib.request.proxy_bypass(target.host)):
            return None
        try:
            parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
            port = parts.port or 80
        except ValueError:
            raise BlobError("UnsupportedProxy", "HTTPS_PROXY cannot be parsed") from None
        if parts.scheme.lower() != "http" or not parts.hostname:
            raise BlobError(
                "UnsupportedProxy",
                f"only an http:// HTTPS_PROXY is supported, not {visible(parts.scheme)}://",
            )
        auth = None
        if parts.username is not None:
            user = urllib.parse.unquote(parts.username)
            password = urllib.parse.unquote(parts.password or "")
            auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return parts.hostname, port, auth


def _endpoint_of(endpoint_url: str | None) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of the endpoint; None without one."""
    if not endpoint_url:
        return None
    try:
        parts = urllib.parse.urlsplit(endpoint_url)
        scheme = parts.scheme.lower()
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return None
    return scheme, (parts.hostname or "").lower(), port


class _Retryable(Exception):
    """An attempt failed in a way another attempt may not."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _connect(
    address: tuple[str, int], deadline: float, cancel: threading.Event | None, where: str
) -> socket.socket:
    """A TCP connection to ``address``, made without blocking past the deadline or a cancel."""
    host, port = address
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise _Retryable(
            "ConnectionError", f"cannot resolve {host}: {exc.strerror or exc}"
        ) from None
    failure = f"nothing to connect to for {where}"
    for family, kind, proto, _, addr in infos:
        sock = socket.socket(family, kind, proto)
        connected = False
        try:
            sock.setblocking(False)
            status = sock.connect_ex(addr)
            if status not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
                raise OSError(status, os.strerror(status))
            _wait_for(
                sock,
                write=True,
                deadline=deadline,
                cancel=cancel,
                code="ConnectTimeout",
                where=where,
            )
            status = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if status:
                raise OSError(status, os.strerror(status))
            connected = True
            return sock
        except OSError as exc:
            failure = f"could not connect to {where}: {exc.strerror or exc}"
        finally:
            if not connected:
                sock.close()
    raise _Retryable("ConnectionError", failure)


def _wait_for(
    sock: socket.socket,
    *,
    write: bool,
    deadline: float,
    cancel: threading.Event | None,
    code: str,
    where: str,
) -> None:
    """Wait until ``sock`` is writable (or readable), in slices; cancel and the deadline end it."""
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_WRITE if write else selectors.EVENT_READ)
        while True:
            _check(cancel)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Retryable(code, f"no answer from {where} in time")
            if selector.select(min(POLL_SECONDS, remaining)):
                return


def _tls(
    sock: socket.socket,
    host: str,
    context: ssl.SSLContext,
    deadline: float,
    cancel: threading.Event | None,
    where: str,
) -> ssl.SSLSocket:
    """A verified TLS session over ``sock`` (non-blocking handshake, sliced waits)."""
    conn = context.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
    while True:
        try:
            conn.do_handshake()
            return conn
        except ssl.SSLWantReadError:
            _wait_for(
                conn,
                write=False,
                deadline=deadline,
                cancel=cancel,
                code="ConnectTimeout",
                where=where,
            )
        except ssl.SSLWantWriteError:
            _wait_for(
                conn,
                write=True,
                deadline=deadline,
                cancel=cancel,
                code="ConnectTimeout",
                where=where,
            )
        except ssl.SSLCertVerificationError as exc:
            raise BlobError("SSLError", f"{where}: {exc.verify_message or exc.reason}") from None
        except ssl.SSLError as exc:
            raise BlobError("SSLError", f"{where}: {exc.reason or exc}") from None
        except OSError as exc:
            raise _Retryable("ConnectionClosedError", f"{where}: {exc.strerror or exc}") from None


def _tunnel(
    sock: socket.socket,
    target: _Target,
    auth: str | None,
    deadline: float,
    cancel: threading.Event | None,
) -> None:
    """``CONNECT host:port`` through an HTTP proxy; its answer must be 2xx."""
    lines = [f"CONNECT {target.host}:{target.port} HTTP/1.1", f"Host: {target.host}:{target.port}"]
    if auth is not None:
        lines.append(f"Proxy-Authorization: {auth}")
    io_ = _SlicedIO(sock, cancel, deadline, max(0.0, deadline - time.monotonic()), "the proxy")
    io_.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = io_.recv(1)  # byte by byte: nothing after the proxy's answer may be consumed
        if not chunk:
            raise _Retryable("ConnectionClosedError", "the proxy closed the connection")
        head += chunk
        if len(head) > MAX_HEADER_BYTES:
            raise BlobError("ProxyError", "the proxy's answer is too long")
    status = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status.split(" ", 2)
    if len(parts) < 2 or not parts[1].startswith("2"):
        raise BlobError("ProxyError", f"the proxy answered {visible(status[:100])!r} to CONNECT")


class _SlicedIO(io.RawIOBase):
    """A non-blocking socket read and written in :data:`POLL_SECONDS` slices.

    Each wait for data ends after ``idle`` seconds without any, and every wait ends at
    ``deadline`` or as soon as ``cancel`` is set (:class:`Cancelled`).
    """

    def __init__(
        self,
        sock: socket.socket,
        cancel: threading.Event | None,
        deadline: float,
        idle: float,
        where: str,
    ) -> None:
        super().__init__()
        self._sock = sock
        self._cancel = cancel
        self._deadline = deadline
        self._idle = idle
        self._where = where
        sock.setblocking(False)

    def readable(self) -> bool:
        """A readable stream (for :class:`io.BufferedReader`)."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read what is available into ``buffer`` (0 at the end of the stream)."""
        deadline = min(self._deadline, time.monotonic() + self._idle)
        while True:
            try:
                return self._sock.recv_into(buffer)
            except (ssl.SSLWantReadError, BlockingIOError):
                self._wait(write=False, deadline=deadline)
            except ssl.SSLWantWriteError:
                self._wait(write=True, deadline=deadline)
            except ssl.SSLError as exc:
                raise _Retryable(
                    "ConnectionClosedError", f"{self._where}: {exc.reason or exc}"
                ) from None
            except OSError as exc:
                raise _Retryable(
                    "ConnectionClosedError", f"{self._where}: {exc.strerror or exc}"
                ) from None

    def recv(self, size: int) -> bytes:
        """Up to ``size`` bytes (b"" at the end of the stream)."""
        buffer = bytearray(size)
        count = self.readinto(buffer)
        return bytes(buffer[:count])

    def sendall(self, data: bytes) -> None:
        """Send all of ``data``, waiting in slices."""
        view = memoryview(data)
        while view:
            try:
                sent = self._sock.send(view)
                view = view[sent:]
            except (ssl.SSLWantWriteError, BlockingIOError):
                self._wait(write=True, deadline=self._deadline)
            except ssl.SSLWantReadError:
                self._wait(write=False, deadline=self._deadline)
            except OSError as exc:
                raise _Retryable(
                    "ConnectionClosedError", f"{self._where}: {exc.strerror or exc}"
                ) from None

    def makefile(self, mode: str = "rb") -> io.BufferedReader:
        """A buffered reader over this stream (what :class:`http.client.HTTPResponse` reads)."""
        return io.BufferedReader(self)

    def _wait(self, *, write: bool, deadline: float) -> None:
        _wait_for(
            self._sock,
            write=write,
            deadline=deadline,
            cancel=self._cancel,
            code="ReadTimeout",
            where=self._where,
        )


def _request(target: _Target) -> bytes:
    """The GET request: no credentials, no cookies, no compression, one request per connection."""
    lines = (
        f"GET {target.request_target} HTTP/1.1",
        f"Host: {target.netloc}",
        f"User-Agent: reporter/{__version__}",
        "Accept: */*",
        "Accept-Encoding: identity",
        "Connection: close",
    )
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def _read_response(io_: _SlicedIO, target: _Target, max_bytes: int) -> bytes:
    """Status, headers and at most ``max_bytes`` of body."""
    response = http.client.HTTPResponse(io_, method="GET")  # type: ignore[arg-type]
    try:
        try:
            response.begin()
        except (http.client.HTTPException, ValueError) as exc:
            if isinstance(exc, http.client.RemoteDisconnected):
                raise _Retryable(
                    "ConnectionClosedError", f"{target.shown}: closed without an answer"
                ) from None
            raise BlobError("BadResponse", f"{target.shown}: {type(exc).__name__}") from None
        status = response.status
        if 300 <= status < 400:
            location = response.getheader("Location") or ""
            moved = urllib.parse.urlsplit(location)
            shown = (
                f"{moved.scheme}://{moved.netloc}{moved.path}"
                if moved.scheme
                else f"the relative location {moved.path}"
            )  # never the query: it may carry a signature
            raise BlobError(
                "Redirect",
                f"HTTP {status}: {target.shown} redirects to {_shown(shown)}; not followed",
            )
        if status != 200:
            detail = _error_code(response)
            message = f"HTTP {status}{f' {detail}' if detail else ''} from {target.shown}"
            code = "AccessDenied" if status == 403 else f"HTTP{status}"
            if status in RETRYABLE_STATUS:
                raise _Retryable(code, message)
            raise BlobError(code, message)
        header = (response.getheader("Content-Length") or "").strip()
        length = int(header) if header.isdigit() else None
        if length is not None and length > max_bytes:
            raise BlobError("TooLarge", f"{target.shown} is {length} bytes, more than {max_bytes}")
        body = bytearray()
        while True:
            try:
                chunk = response.read(64 * 1024)
            except http.client.IncompleteRead as exc:
                got = len(body) + len(exc.partial)
                raise _Retryable(
                    "ConnectionClosedError", f"{target.shown}: the answer ended after {got} bytes"
                ) from None
            except http.client.HTTPException as exc:
                raise BlobError("BadResponse", f"{target.shown}: {type(exc).__name__}") from None
            if not chunk:
                if length is not None and len(body) != length:  # http.client does not check
                    raise _Retryable(
                        "ConnectionClosedError",
                        f"{target.shown}: the answer ended after {len(body)} of {length} bytes",
                    )
                return bytes(body)
            body += chunk
            if len(body) > max_bytes:
                raise BlobError("TooLarge", f"{target.shown} is more than {max_bytes} bytes")
    finally:
        response.close()


def _error_code(response: http.client.HTTPResponse) -> str:
    """The error code of an S3 (XML) or AWS JSON error answer, if its first bytes name one."""
    try:
        head = response.read(4096).decode("utf-8", "replace")
    except (http.client.HTTPException, OSError, _Retryable, BlobError):
        return ""
    match = re.search(r"<Code>([A-Za-z0-9.]{1,64})</Code>", head) or re.search(
        r'"__type"\s*:\s*"(?:[^"#]*#)?([A-Za-z0-9.]{1,64})"', head
    )
    return match.group(1) if match else ""
