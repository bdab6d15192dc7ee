"""The image config collector: against moto's server (with the registry layer) over HTTP, then
its parsing on recorded responses parsed by botocore, then the blob GET's guarantees."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from reporter.collect.aws import AwsClients, AwsOptions, make_clients
from reporter.collect.image_config import (
    ACCEPTED_MEDIA_TYPES,
    CREATED_LABEL,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    MAX_CONFIG_BYTES,
    MAX_LABELS,
    OCI_INDEX,
    OCI_MANIFEST,
    BlobError,
    Boto3EcrConfig,
    Descriptor,
    Manifest,
    collect_image_config,
    parse_rfc3339,
    pick_platform,
)
from reporter.demo.registry_layer import push_blob, put_manifest
from reporter.model import ImageConfigEvidence
from reporter.redact import Redactor
from reporter.spec import ImageSection
from tests.collect.helpers import aws_response, client_error, unreachable_options
from tests.conftest import ACCOUNT, REGION

REPO = "backend"
REVISION = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
REVISION_LABEL = "org.opencontainers.image.revision"


# --------------------------------------------------------------------------- image builders


def config_blob(
    labels: Mapping[str, Any] | None, created: str | None = "2025-11-25T21:50:12.123456789Z"
) -> bytes:
    """An image config as buildkit writes it (labels under ``config.Labels``)."""
    body: dict[str, Any] = {"architecture": "amd64", "os": "linux"}
    if created is not None:
        body["created"] = created
    body["config"] = {"Env": ["PATH=/usr/local/bin"], "Labels": labels}
    body["rootfs"] = {"type": "layers", "diff_ids": ["sha256:" + "e" * 64]}
    return json.dumps(body).encode("utf-8")


def sha256(data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def image_manifest(
    config: bytes,
    media_type: str = OCI_MANIFEST,
    config_type: str | None = None,
    size: int | None = None,
) -> str:
    """An image manifest naming ``config`` (its digest and size)."""
    docker = media_type == DOCKER_MANIFEST
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {
                "mediaType": config_type or (DOCKER_CONFIG if docker else OCI_CONFIG),
                "digest": sha256(config),
                "size": len(config) if size is None else size,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": "sha256:" + "d" * 64,
                    "size": 32654,
                }
            ],
        },
        indent=2,
    )


def index_manifest(
    entries: Sequence[tuple[str, int, Mapping[str, str] | None]],
    media_type: str = OCI_INDEX,
    entry_type: str = OCI_MANIFEST,
) -> str:
    """An index whose entries are ``(digest, size, platform)``."""
    manifests = []
    for digest, size, platform in entries:
        entry: dict[str, Any] = {"mediaType": entry_type, "digest": digest, "size": size}
        if platform is not None:
            entry["platform"] = dict(platform)
        manifests.append(entry)
    return json.dumps({"schemaVersion": 2, "mediaType": media_type, "manifests": manifests})


def push_image(
    aws: AwsClients,
    config: bytes,
    tag: str | None = "latest",
    media_type: str = OCI_MANIFEST,
    push_config: bool = True,
    **manifest_options: Any,
) -> tuple[str, str]:
    """Push ``config`` and a manifest naming it; ``(manifest, digest)``."""
    if push_config:
        push_blob(aws.ecr, REPO, config)
    manifest = image_manifest(config, media_type, **manifest_options)
    return manifest, put_manifest(aws.ecr, REPO, manifest, media_type, tag)


def seam(options: AwsOptions) -> Boto3EcrConfig:
    return Boto3EcrConfig.from_options(make_clients(options).ecr, options)


def collect(options: AwsOptions, **section: Any) -> ImageConfigEvidence:
    return collect_image_config(seam(options), ImageSection(repository=REPO, **section))


@pytest.fixture
def repo(aws: AwsClients) -> AwsClients:
    aws.ecr.create_repository(repositoryName=REPO)
    return aws


# --------------------------------------------------------------------------- moto over HTTP


def test_single_oci_manifest_gives_revision_and_created(
    repo: AwsClients, aws_options: AwsOptions
) -> None:
    config = config_blob(
        {REVISION_LABEL: REVISION.upper(), CREATED_LABEL: "2025-11-25T21:50:00Z", "team": "web"}
    )
    _, digest = push_image(repo, config)

    evidence = collect(aws_options)

    assert evidence.error is None
    assert evidence.manifest_media_type == OCI_MANIFEST
    assert evidence.platform is None
    assert evidence.manifest_digest == digest
    assert evidence.config_digest == sha256(config)
    assert evidence.revision == REVISION  # lower-cased
    assert evidence.revision_label == REVISION_LABEL
    assert evidence.created == datetime(2025, 11, 25, 21, 50, tzinfo=UTC)
    assert evidence.labels == {
        CREATED_LABEL: "2025-11-25T21:50:00Z",
        REVISION_LABEL: REVISION,
        "team": "web",
    }


def test_docker_v2_manifest_without_labels_has_no_revision_and_no_error(
    repo: AwsClients, aws_options: AwsOptions
) -> None:
    push_image(repo, config_blob(None), media_type=DOCKER_MANIFEST)

    evidence = collect(aws_options)

    assert evidence.error is None
    assert evidence.manifest_media_type == DOCKER_MANIFEST
    assert evidence.revision is None
    assert evidence.labels == {}
    # No created label: the config's own (nanosecond) ``created``.
    assert evidence.created == datetime(2025, 11, 25, 21, 50, 12, 123456, tzinfo=UTC)


def test_label_absent_among_others_is_not_an_error(
    repo: AwsClients, aws_options: AwsOptions
) -> None:
    push_image(repo, config_blob({"maintainer": "web team"}))

    evidence = collect(aws_options)

    assert (evidence.revision, evidence.error) == (None, None)
    assert evidence.labels == {"maintainer": "web team"}


def test_custom_revision_label(repo: AwsClients, aws_options: AwsOptions) -> None:
    push_image(repo, config_blob({"git.commit": "9F1C2E7", REVISION_LABEL: "0" * 40}))

    evidence = collect(aws_options, revision_label="git.commit")

    assert evidence.revision == "9f1c2e7"
    assert evidence.revision_label == "git.commit"


@pytest.mark.parametrize("value", ["main", "v1.2.3", "", "1a2b3c4 ", "refs/heads/main", "g1a2b3c4"])
def test_label_that_is_not_a_commit_id_is_an_error(
    value: str, repo: AwsClients, aws_options: AwsOptions
) -> None:
    push_image(repo, config_blob({REVISION_LABEL: value, CREATED_LABEL: "2025-11-25T21:50:00Z"}))

    evidence = collect(aws_options)

    if value.strip() == "1a2b3c4":  # surrounding blanks are not part of the id
        assert (evidence.revision, evidence.error) == ("1a2b3c4", None)
        return
    assert evidence.revision is None
    assert evidence.error is not None
    assert evidence.error.code == "NotACommitId"
    assert repr(value) in evidence.error.message
    # What was read stays: the labels and the time.
    assert evidence.created == datetime(2025, 11, 25, 21, 50, tzinfo=UTC)
    assert REVISION_LABEL in evidence.labels


def _push_platforms(
    aws: AwsClients, index_type: str = OCI_INDEX, entry_type: str = OCI_MANIFEST
) -> dict[str, str]:
    """An index of linux/amd64, linux/arm64/v8 and a buildx attestation; digests by platform."""
    digests: dict[str, str] = {}
    entries: list[tuple[str, int, Mapping[str, str] | None]] = []
    for arch, variant, revision in (("amd64", None, "a" * 40), ("arm64", "v8", "b" * 40)):
        config = config_blob({REVISION_LABEL: revision})
        manifest, digest = push_image(aws, config, tag=None, media_type=entry_type)
        platform = {"os": "linux", "architecture": arch} | ({"variant": variant} if variant else {})
        entries.append((digest, len(manifest.encode()), platform))
        digests[f"linux/{arch}"] = digest
    attestation, digest = push_image(aws, config_blob(None), tag=None, media_type=entry_type)
    entries.append((digest, len(attestation), {"os": "unknown", "architecture": "unknown"}))
    put_manifest(
        aws.ecr, REPO, index_manifest(entries, index_type, entry_type), index_type, "latest"
    )
    return digests


@pytest.mark.parametrize(
    ("index_type", "entry_type"),
    [(OCI_INDEX, OCI_MANIFEST), (DOCKER_MANIFEST_LIST, DOCKER_MANIFEST)],
)
def test_index_reads_the_manifest_of_the_default_platform(
    index_type: str, entry_type: str, repo: AwsClients, aws_options: AwsOptions
) -> None:
    digests = _push_platforms(repo, index_type, entry_type)

    evidence = collect(aws_options)

    assert evidence.error is None
    assert evidence.manifest_media_type == index_type
    assert evidence.platform == "linux/amd64"
    assert evidence.manifest_digest == digests["linux/amd64"]
    assert evidence.revision == "a" * 40


@pytest.mark.parametrize("platform", ["linux/arm64", "linux/arm64/v8"])
def test_index_reads_the_manifest_of_the_spec_platform(
    platform: str, repo: AwsClients, aws_options: AwsOptions
) -> None:
    digests = _push_platforms(repo)

    evidence = collect(aws_options, platform=platform)

    assert evidence.platform == "linux/arm64/v8"
    assert evidence.manifest_digest == digests["linux/arm64"]
    assert evidence.revision == "b" * 40


def test_index_without_the_platform_is_an_error(repo: AwsClients, aws_options: AwsOptions) -> None:
    _push_platforms(repo)

    evidence = collect(aws_options, platform="linux/s390x")

    assert evidence.manifest_media_type == OCI_INDEX
    assert evidence.revision is None
    assert evidence.error is not None
    assert evidence.error.code == "NoManifestForPlatform"
    assert "linux/amd64, linux/arm64/v8, unknown/unknown" in evidence.error.message


def test_registry_id_is_passed(repo: AwsClients, aws_options: AwsOptions) -> None:
    push_image(repo, config_blob({REVISION_LABEL: REVISION}))

    assert collect(aws_options, registry_id=ACCOUNT).revision == REVISION


def test_tag_not_found(repo: AwsClients, aws_options: AwsOptions) -> None:
    evidence = collect(aws_options, tag="nope")

    assert evidence.error is not None
    assert (evidence.error.operation, evidence.error.code) == ("ecr:BatchGetImage", "ImageNotFound")
    assert "imageTag=nope" in evidence.error.message


def test_repository_not_found(aws: AwsClients, aws_options: AwsOptions) -> None:
    evidence = collect(aws_options)

    assert evidence.error is not None
    assert evidence.error.code == "RepositoryNotFoundException"


def test_config_blob_never_pushed(repo: AwsClients, aws_options: AwsOptions) -> None:
    push_image(repo, config_blob({REVISION_LABEL: REVISION}), push_config=False)

    evidence = collect(aws_options)

    assert evidence.config_digest is not None
    assert evidence.error is not None
    assert evidence.error.operation == "ecr:GetDownloadUrlForLayer"
    assert evidence.error.code == "LayersNotFoundException"


def test_blob_no_image_references_is_inaccessible(
    repo: AwsClients, aws_options: AwsOptions
) -> None:
    orphan = push_blob(repo.ecr, REPO, b'{"config": {}}')
    with pytest.raises(Exception, match="LayerInaccessibleException"):
        repo.ecr.get_download_url_for_layer(repositoryName=REPO, layerDigest=orphan)


def test_size_in_manifest_differs_from_the_blob(repo: AwsClients, aws_options: AwsOptions) -> None:
    config = config_blob({REVISION_LABEL: REVISION})
    push_image(repo, config, size=len(config) + 1)

    evidence = collect(aws_options)

    assert evidence.revision is None
    assert evidence.error is not None
    assert (evidence.error.operation, evidence.error.code) == ("GET config blob", "SizeMismatch")


def test_blob_bigger_than_the_manifest_says_is_not_read_past_that(
    repo: AwsClients, aws_options: AwsOptions
) -> None:
    config = config_blob({REVISION_LABEL: REVISION})
    push_image(repo, config, size=len(config) - 1)

    evidence = collect(aws_options)

    assert evidence.error is not None
    assert (evidence.error.operation, evidence.error.code) == ("GET config blob", "TooLarge")


def test_config_declared_over_the_cap_is_not_fetched() -> None:
    config = config_blob(None)
    api = single(config, size=MAX_CONFIG_BYTES + 1)

    evidence = recorded_collect(api)

    assert evidence.error is not None
    assert (evidence.error.operation, evidence.error.code) == ("GET config blob", "TooLarge")
    assert [name for name, _ in api.calls] == ["BatchGetImage"]


def test_unreachable_registry() -> None:
    options = unreachable_options(REGION)
    evidence = collect(options)
    assert evidence.error is not None
    assert evidence.error.code == "ConnectionError"


def test_label_values_are_redacted_and_escaped_but_the_revision_is_kept(
    repo: AwsClients, aws_options: AwsOptions
) -> None:
    labels = {
        REVISION_LABEL: REVISION,
        "build.args": "DB_URL=postgres://app:s3cr3t-pw@db:5432/app",
        "ci.token": "token=ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "note": "line\x1b[31mred\nnext",
        "session": "session=0123456789abcdef0123456789abcdef",
        "long": "x" * 5000,
    }
    push_image(repo, config_blob(labels))
    section = ImageSection(repository=REPO)
    redactor = Redactor([r"session=[0-9a-f]{32}"])

    evidence = collect_image_config(seam(aws_options), section, redactor)

    shown = evidence.labels
    assert shown[REVISION_LABEL] == REVISION == evidence.revision
    assert shown["build.args"] == "DB_URL=postgres://app:[REDACTED]@db:5432/app"
    assert "ghp_" not in shown["ci.token"]
    assert "[REDACTED]" in shown["ci.token"]
    assert shown["session"] == "[REDACTED]"
    assert shown["note"] == "line\\x1b[31mred\nnext"
    assert shown["long"].startswith("x" * 500 + " [… 4500 more characters cut]")
    assert "s3cr3t" not in evidence.model_dump_json()


# --------------------------------------------------------------------------- recorded responses


class Recorded:
    """The AWS seam answering with recorded responses (botocore-parsed) and blobs."""

    def __init__(
        self,
        images: Mapping[str, Mapping[str, Any] | Exception],
        url: Mapping[str, Any] | Exception | None = None,
        blob: bytes | Exception = b"",
    ) -> None:
        self.images = images
        self.url = url
        self.blob = blob
        self.calls: list[tuple[str, object]] = []

    def batch_get_image(
        self,
        repository: str,
        registry_id: str | None,
        image_id: Mapping[str, str],
        media_types: Sequence[str],
    ) -> Mapping[str, Any]:
        self.calls.append(("BatchGetImage", (dict(image_id), tuple(media_types))))
        (value,) = image_id.values()
        answer = self.images[value]
        if isinstance(answer, Exception):
            raise answer
        return aws_response("ecr", "BatchGetImage", answer)

    def get_download_url_for_layer(
        self, repository: str, registry_id: str | None, digest: str
    ) -> Mapping[str, Any]:
        self.calls.append(("GetDownloadUrlForLayer", digest))
        if isinstance(self.url, Exception):
            raise self.url
        body = self.url if self.url is not None else {"downloadUrl": URL, "layerDigest": digest}
        return aws_response("ecr", "GetDownloadUrlForLayer", body)

    def fetch_blob(self, url: str, max_bytes: int, cancel: Any = None) -> bytes:
        self.calls.append(("GET", url))
        if isinstance(self.blob, Exception):
            raise self.blob
        return self.blob


URL = (
    "https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/"
    "6b2a-298717586028-4c6f/sha256:0?X-Amz-Security-Token=IQoJb3JpZ2luX2VjE&"
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLEEXAMPLE12%2F20251126"
    "&X-Amz-Signature=deadbeef"
)


def image_entry(manifest: str, media_type: str | None, digest: str | None = None) -> dict[str, Any]:
    """One ``images[]`` entry of a BatchGetImage response (API reference shape)."""
    entry: dict[str, Any] = {
        "registryId": "298717586028",
        "repositoryName": REPO,
        "imageId": {"imageDigest": digest or sha256(manifest), "imageTag": "latest"},
        "imageManifest": manifest,
    }
    if media_type is not None:
        entry["imageManifestMediaType"] = media_type
    return entry


def answer(*entries: dict[str, Any], failures: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    return {"images": list(entries), "failures": list(failures)}


def recorded_collect(api: Recorded, **section: Any) -> ImageConfigEvidence:
    return collect_image_config(api, ImageSection(repository=REPO, **section))


def single(config: bytes, **manifest_options: Any) -> Recorded:
    manifest = image_manifest(config, **manifest_options)
    return Recorded({"latest": answer(image_entry(manifest, OCI_MANIFEST))}, blob=config)


def test_recorded_single_manifest_calls_in_order_and_accepts_every_type() -> None:
    config = config_blob({REVISION_LABEL: REVISION})
    api = single(config)

    evidence = recorded_collect(api)

    assert evidence.revision == REVISION
    assert api.calls == [
        ("BatchGetImage", ({"imageTag": "latest"}, ACCEPTED_MEDIA_TYPES)),
        ("GetDownloadUrlForLayer", sha256(config)),
        ("GET", URL),
    ]
    assert set(ACCEPTED_MEDIA_TYPES) == {
        OCI_INDEX,
        DOCKER_MANIFEST_LIST,
        OCI_MANIFEST,
        DOCKER_MANIFEST,
    }


def test_recorded_wrong_blob_digest() -> None:
    config = config_blob({REVISION_LABEL: REVISION})
    tampered = config.replace(b"1a2b", b"ffff")
    manifest = image_manifest(config)
    api = Recorded({"latest": answer(image_entry(manifest, OCI_MANIFEST))}, blob=tampered)

    evidence = recorded_collect(api)

    assert evidence.revision is None
    assert evidence.error is not None
    assert evidence.error.code == "DigestMismatch"
    assert evidence.error.operation == "GET config blob"


def test_recorded_sha512_config_digest_is_verified() -> None:
    config = config_blob({REVISION_LABEL: REVISION})
    manifest = json.loads(image_manifest(config))
    manifest["config"]["digest"] = "sha512:" + hashlib.sha512(config).hexdigest()
    text = json.dumps(manifest)
    api = Recorded({"latest": answer(image_entry(text, OCI_MANIFEST))}, blob=config)

    assert recorded_collect(api).revision == REVISION


MALFORMED_MANIFESTS: list[tuple[str, str, str | None, str]] = [
    ("not-json", "{not json", OCI_MANIFEST, "MalformedManifest"),
    ("json-array", "[1, 2]", OCI_MANIFEST, "MalformedManifest"),
    ("deeply-nested", "[" * 100_000 + "]" * 100_000, OCI_MANIFEST, "MalformedManifest"),
    ("no-config", json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST}), OCI_MANIFEST,
     "MalformedManifest"),
    ("config-without-digest",
     json.dumps({"mediaType": OCI_MANIFEST, "config": {"mediaType": OCI_CONFIG, "size": 3}}),
     OCI_MANIFEST, "MalformedManifest"),
    ("config-size-negative",
     json.dumps({"mediaType": OCI_MANIFEST,
                 "config": {"mediaType": OCI_CONFIG, "size": -1, "digest": "sha256:" + "a" * 64}}),
     OCI_MANIFEST, "MalformedManifest"),
    ("config-digest-short",
     json.dumps({"mediaType": OCI_MANIFEST,
                 "config": {"mediaType": OCI_CONFIG, "size": 3, "digest": "sha256:abc"}}),
     OCI_MANIFEST, "MalformedManifest"),
    ("helm-chart-artifact",
     json.dumps({"mediaType": OCI_MANIFEST,
                 "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "size": 3,
                            "digest": "sha256:" + "a" * 64}}),
     OCI_MANIFEST, "UnknownMediaType"),
    ("schema1", json.dumps({"schemaVersion": 1, "name": REPO, "fsLayers": []}),
     "application/vnd.docker.distribution.manifest.v1+prettyjws", "UnknownMediaType"),
    ("types-disagree", image_manifest(b"{}", DOCKER_MANIFEST), OCI_MANIFEST, "MalformedManifest"),
    ("no-media-type-anywhere",
     json.dumps({"schemaVersion": 2, "config": {"mediaType": OCI_CONFIG, "size": 2,
                                                "digest": sha256(b"{}")}}),
     None, "MissingField"),
    ("index-without-manifests", json.dumps({"mediaType": OCI_INDEX}), OCI_INDEX,
     "MalformedManifest"),
    ("index-entry-not-object", json.dumps({"mediaType": OCI_INDEX, "manifests": ["x"]}), OCI_INDEX,
     "MalformedManifest"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("manifest", "media_type", "code"),
    [case[1:] for case in MALFORMED_MANIFESTS],
    ids=[case[0] for case in MALFORMED_MANIFESTS],
)
def test_recorded_malformed_manifest(manifest: str, media_type: str | None, code: str) -> None:
    api = Recorded({"latest": answer(image_entry(manifest, media_type))})

    evidence = recorded_collect(api)

    assert evidence.error is not None
    assert evidence.error.operation == "ecr:BatchGetImage"
    assert evidence.error.code == code, evidence.error
    assert evidence.revision is None
    assert [name for name, _ in api.calls] == ["BatchGetImage"]


def test_recorded_manifest_without_media_type_field_uses_the_registry_s() -> None:
    config = config_blob({REVISION_LABEL: REVISION})
    manifest = json.loads(image_manifest(config))
    del manifest["mediaType"]  # optional in OCI manifests
    text = json.dumps(manifest)
    api = Recorded({"latest": answer(image_entry(text, OCI_MANIFEST))}, blob=config)

    evidence = recorded_collect(api)

    assert (evidence.manifest_media_type, evidence.revision) == (OCI_MANIFEST, REVISION)


def test_recorded_manifest_bytes_must_match_its_digest() -> None:
    config = config_blob({REVISION_LABEL: REVISION})
    manifest = image_manifest(config)
    api = Recorded(
        {"latest": answer(image_entry(manifest, OCI_MANIFEST, digest="sha256:" + "0" * 64))},
        blob=config,
    )

    evidence = recorded_collect(api)

    assert evidence.error is not None
    assert evidence.error.code == "DigestMismatch"
    assert evidence.error.operation == "ecr:BatchGetImage"


def test_recorded_index_entry_must_hash_to_its_digest() -> None:
    config = config_blob({REVISION_LABEL: REVISION})
    manifest = image_manifest(config)
    listed = "sha256:" + "7" * 64
    index = index_manifest([(listed, len(manifest), {"os": "linux", "architecture": "amd64"})])
    entry = image_entry(manifest, OCI_MANIFEST)
    entry["imageId"] = {"imageDigest": listed}  # the registry claims it, the bytes say otherwise
    api = Recorded(
        {"latest": answer(image_entry(index, OCI_INDEX)), listed: answer(entry)}, blob=config
    )

    evidence = recorded_collect(api)

    assert evidence.platform == "linux/amd64"
    assert evidence.error is not None
    assert evidence.error.code == "DigestMismatch"
    assert api.calls[1] == (
        "BatchGetImage",
        ({"imageDigest": listed}, (DOCKER_MANIFEST, OCI_MANIFEST)),
    )


def test_recorded_nested_index_is_refused() -> None:
    inner = index_manifest([])
    outer = index_manifest(
        [(sha256(inner), len(inner), {"os": "linux", "architecture": "amd64"})],
        entry_type=OCI_INDEX,
    )
    api = Recorded(
        {
            "latest": answer(image_entry(outer, OCI_INDEX)),
            sha256(inner): answer(image_entry(inner, OCI_INDEX)),
        }
    )

    evidence = recorded_collect(api)

    assert evidence.error is not None
    assert evidence.error.code == "UnknownMediaType"


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        ({"imageId": {"imageTag": "latest"}, "failureCode": "ImageNotFound",
          "failureReason": "Requested image not found"}, "ImageNotFound"),
        ({"imageId": {"imageTag": "latest"}, "failureCode": "KmsError",
          "failureReason": "The KMS key is disabled"}, "KmsError"),
        ({"imageId": {"imageTag": "latest"}}, "ImageFailure"),
    ],
)  # fmt: skip
def test_recorded_failures_entry(failure: Mapping[str, Any], code: str) -> None:
    evidence = recorded_collect(Recorded({"latest": answer(failures=[failure])}))

    assert evidence.error is not None
    assert (evidence.error.operation, evidence.error.code) == ("ecr:BatchGetImage", code)


def test_recorded_response_without_images() -> None:
    evidence = recorded_collect(Recorded({"latest": {}}))

    assert evidence.error is not None
    assert evidence.error.code == "MissingField"


@pytest.mark.parametrize(
    ("url", "code"),
    [({"layerDigest": "sha256:" + "0" * 64}, "MissingField"),
     ({"downloadUrl": URL, "layerDigest": "sha256:" + "9" * 64}, "DigestMismatch")],
)  # fmt: skip
def test_recorded_download_url_answer(url: Mapping[str, Any], code: str) -> None:
    config = config_blob({REVISION_LABEL: REVISION})
    api = single(config)
    api.url = dict(url)

    evidence = recorded_collect(api)

    assert evidence.error is not None
    assert (evidence.error.operation, evidence.error.code) == ("ecr:GetDownloadUrlForLayer", code)
    assert evidence.config_digest == sha256(config)


def test_recorded_client_errors_name_the_call() -> None:
    api = Recorded(
        {"latest": client_error("AccessDeniedException", "not authorized", "BatchGetImage")}
    )
    evidence = recorded_collect(api)
    assert evidence.error is not None
    assert (evidence.error.operation, evidence.error.code) == (
        "ecr:BatchGetImage",
        "AccessDeniedException",
    )

    api = single(config_blob(None))
    api.url = client_error("LayerInaccessibleException", "not associated", "GetDownloadUrlForLayer")
    evidence = recorded_collect(api)
    assert evidence.error is not None
    assert evidence.error.code == "LayerInaccessibleException"


def test_recorded_blob_errors_are_kept() -> None:
    api = single(config_blob(None))
    api.blob = BlobError("ReadTimeout", "no answer from https://bucket/x in time")

    evidence = recorded_collect(api)

    assert evidence.error is not None
    assert (evidence.error.operation, evidence.error.code) == ("GET config blob", "ReadTimeout")
    assert evidence.manifest_digest is not None
    assert evidence.config_digest is not None


@pytest.mark.parametrize(
    ("blob", "code"),
    [
        (b"\xff\xfe not utf-8", "NotJson"),
        (b"<html>AccessDenied</html>", "NotJson"),
        (b'["a list"]', "NotJson"),
        (b'{"config": "text"}', "MalformedConfig"),
        (b'{"config": {"Labels": ["a"]}}', "MalformedConfig"),
    ],
)
def test_recorded_malformed_config(blob: bytes, code: str) -> None:
    evidence = recorded_collect(single(blob))

    assert evidence.error is not None
    assert (evidence.error.operation, evidence.error.code) == ("GET config blob", code)


@pytest.mark.parametrize(
    "blob", [b"{}", b'{"config": null}', b'{"config": {}}', b'{"config": {"Labels": null}}']
)
def test_recorded_config_without_labels(blob: bytes) -> None:
    evidence = recorded_collect(single(blob))

    assert (evidence.error, evidence.revision, evidence.labels) == (None, None, {})
    assert evidence.created is None


def test_recorded_created_label_that_is_not_a_time_falls_back_to_the_config() -> None:
    blob = config_blob({CREATED_LABEL: "yesterday"}, created="2025-11-25T22:50:00+01:00")

    evidence = recorded_collect(single(blob))

    assert evidence.created == datetime(2025, 11, 25, 21, 50, tzinfo=UTC)


def test_recorded_many_labels_are_capped_keeping_revision_and_created() -> None:
    labels = {f"a.label.{n:04d}": str(n) for n in range(MAX_LABELS + 50)}
    labels |= {"zz.revision": REVISION, CREATED_LABEL: "2025-11-25T21:50:00Z", "n": 7}  # type: ignore[dict-item]

    evidence = recorded_collect(single(config_blob(labels)), revision_label="zz.revision")

    assert len(evidence.labels) == MAX_LABELS
    assert evidence.labels_omitted == len(labels) - MAX_LABELS
    assert evidence.labels["zz.revision"] == REVISION
    assert CREATED_LABEL in evidence.labels
    assert evidence.revision == REVISION


def test_recorded_lone_surrogates_become_visible_escapes() -> None:
    blob = b'{"config": {"Labels": {"odd\\udc80": "x\\ud800y"}}}'
    api = single(blob)

    evidence = recorded_collect(api)

    assert evidence.labels == {"odd\\udc80": "x\\ud800y"}
    evidence.model_dump_json()  # writable as UTF-8


def test_recorded_manifest_with_a_lone_surrogate_is_a_digest_mismatch() -> None:
    manifest = image_manifest(b"{}").replace('"layers"', '"\ud800layers"')
    entry = image_entry(manifest, OCI_MANIFEST, digest="sha256:" + "0" * 64)

    evidence = recorded_collect(Recorded({"latest": answer(entry)}))

    assert evidence.error is not None
    assert evidence.error.code == "DigestMismatch"
    evidence.model_dump_json()


def test_recorded_non_string_label_value_is_kept_as_json() -> None:
    evidence = recorded_collect(single(config_blob({"n": 7, "b": True})))
    assert evidence.labels == {"b": "true", "n": "7"}


def test_cancel_before_any_call_raises() -> None:
    import threading

    from reporter.errors import Cancelled

    cancel = threading.Event()
    cancel.set()
    api = single(config_blob(None))
    with pytest.raises(Cancelled):
        collect_image_config(api, ImageSection(repository=REPO), cancel=cancel)
    assert api.calls == []


# --------------------------------------------------------------------------- platforms, times


def _index(*platforms: str | None) -> Manifest:
    entries = []
    for n, platform in enumerate(platforms):
        entries.append(Descriptor(OCI_MANIFEST, f"sha256:{n:064d}", 10, platform))
    return Manifest(OCI_INDEX, "sha256:" + "f" * 64, manifests=tuple(entries))


@pytest.mark.parametrize(
    ("platforms", "wanted", "picked"),
    [
        (("linux/amd64", "linux/arm64/v8"), "linux/amd64", 0),
        (("linux/arm64/v8", "linux/amd64"), "linux/arm64", 0),
        (("linux/arm64", "linux/amd64"), "linux/arm64/v8", 0),
        (("linux/amd64", "linux/amd64"), "linux/amd64", 0),  # the first of equals
        ((None, "unknown/unknown", "linux/amd64"), "linux/amd64", 2),
        (("linux/arm/v6", "linux/arm/v7"), "linux/arm/v7", 1),
        (("linux/arm/v7",), "linux/arm", 0),  # the only one of that architecture
        (("linux/amd64/v2", "linux/amd64"), "linux/amd64", 1),  # without a variant preferred
    ],
)
def test_pick_platform(platforms: tuple[str | None, ...], wanted: str, picked: int) -> None:
    assert pick_platform(_index(*platforms), wanted).digest == f"sha256:{picked:064d}"


@pytest.mark.parametrize(
    ("platforms", "wanted"),
    [
        (("linux/arm/v6", "linux/arm/v7"), "linux/arm"),
        (("windows/amd64",), "linux/amd64"),
        ((), "linux/amd64"),
    ],
)
def test_pick_platform_refuses(platforms: tuple[str, ...], wanted: str) -> None:
    with pytest.raises(Exception, match="NoManifestForPlatform"):
        pick_platform(_index(*platforms), wanted)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-11-25T21:50:12Z", datetime(2025, 11, 25, 21, 50, 12, tzinfo=UTC)),
        ("2025-11-25T21:50:12.123456789Z", datetime(2025, 11, 25, 21, 50, 12, 123456, tzinfo=UTC)),
        ("2025-11-25t22:50:12+01:00", datetime(2025, 11, 25, 21, 50, 12, tzinfo=UTC)),
        ("2025-11-25 21:50:12.5-00:00", datetime(2025, 11, 25, 21, 50, 12, 500000, tzinfo=UTC)),
        ("2025-11-25T21:50:12", None),  # no zone
        ("2025-13-25T21:50:12Z", None),
        ("yesterday", None),
        (1764107412, None),
    ],
)
def test_parse_rfc3339(text: object, expected: datetime | None) -> None:
    assert parse_rfc3339(text) == expected
