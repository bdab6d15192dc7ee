"""The emulator's registry layer: ECR's layer downloads, as the AWS API reference describes them."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from botocore.exceptions import ClientError

from reporter.collect.aws import AwsClients
from reporter.demo.registry_layer import BLOB_PATH, push_blob, put_manifest
from tests.conftest import ACCOUNT, REGION

REPO = "backend"
CONFIG = b'{"config":{"Labels":{"org.opencontainers.image.revision":"1a2b3c4"}}}'
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def reference(aws: AwsClients, config: bytes, *layers: str) -> None:
    """An image whose manifest names ``config`` (and ``layers``)."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
            "size": len(config),
        },
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": 1}
            for d in layers
        ],
    }
    put_manifest(aws.ecr, REPO, json.dumps(manifest), OCI_MANIFEST, "latest")


def get(url: str, method: str = "GET") -> tuple[int, bytes, str]:
    """Status, body and content type of one request (no redirects are involved)."""
    request = urllib.request.Request(url, method=method)  # noqa: S310 - loopback test server
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("Content-Type", "")


@pytest.fixture
def repo(aws: AwsClients) -> AwsClients:
    aws.ecr.create_repository(repositoryName=REPO)
    return aws


def test_pushed_blob_is_served_at_the_download_url(repo: AwsClients, moto_server: str) -> None:
    digest = push_blob(repo.ecr, REPO, CONFIG, part_size=16)  # several parts, in order
    reference(repo, CONFIG)

    answer = repo.ecr.get_download_url_for_layer(repositoryName=REPO, layerDigest=digest)

    assert answer["layerDigest"] == digest
    url = answer["downloadUrl"]
    assert url.startswith(f"{moto_server}{BLOB_PATH}{ACCOUNT}/{REGION}/{REPO}/{digest}?")
    assert "X-Amz-Signature=" in url
    assert get(url)[:2] == (200, CONFIG)


def test_registry_id_given_explicitly(repo: AwsClients) -> None:
    digest = push_blob(repo.ecr, REPO, CONFIG)
    reference(repo, CONFIG)

    answer = repo.ecr.get_download_url_for_layer(
        registryId=ACCOUNT, repositoryName=REPO, layerDigest=digest
    )

    assert get(answer["downloadUrl"])[:2] == (200, CONFIG)


def test_moto_still_knows_the_pushed_layer(repo: AwsClients) -> None:
    digest = push_blob(repo.ecr, REPO, CONFIG)

    (layer,) = repo.ecr.batch_check_layer_availability(repositoryName=REPO, layerDigests=[digest])[
        "layers"
    ]

    assert (layer["layerAvailability"], layer["layerSize"]) == ("AVAILABLE", len(CONFIG))


@pytest.mark.parametrize(
    ("digest", "code"),
    [
        ("sha256:" + "0" * 64, "LayersNotFoundException"),
        ("not a digest", "InvalidParameterException"),
    ],
)
def test_download_url_errors(repo: AwsClients, digest: str, code: str) -> None:
    with pytest.raises(ClientError) as raised:
        repo.ecr.get_download_url_for_layer(repositoryName=REPO, layerDigest=digest)

    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_repository(aws: AwsClients) -> None:
    with pytest.raises(ClientError) as raised:
        aws.ecr.get_download_url_for_layer(repositoryName="nope", layerDigest="sha256:" + "0" * 64)

    assert raised.value.response["Error"]["Code"] == "RepositoryNotFoundException"


def test_a_blob_no_image_names_is_inaccessible(repo: AwsClients) -> None:
    digest = push_blob(repo.ecr, REPO, CONFIG)

    with pytest.raises(ClientError) as raised:
        repo.ecr.get_download_url_for_layer(repositoryName=REPO, layerDigest=digest)

    assert raised.value.response["Error"]["Code"] == "LayerInaccessibleException"


def test_a_referenced_layer_is_served_too(repo: AwsClients) -> None:
    layer = push_blob(repo.ecr, REPO, b"\x1f\x8b layer bytes")
    push_blob(repo.ecr, REPO, CONFIG)
    reference(repo, CONFIG, layer)

    url = repo.ecr.get_download_url_for_layer(repositoryName=REPO, layerDigest=layer)

    assert get(url["downloadUrl"])[:2] == (200, b"\x1f\x8b layer bytes")


def _signed_url(repo: AwsClients) -> str:
    digest = push_blob(repo.ecr, REPO, CONFIG)
    reference(repo, CONFIG)
    url: str = repo.ecr.get_download_url_for_layer(repositoryName=REPO, layerDigest=digest)[
        "downloadUrl"
    ]
    return url


def test_the_url_works_only_with_its_signature(repo: AwsClients) -> None:
    url = _signed_url(repo)
    bare = url.split("?", 1)[0]
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    other_path = url.replace(f"/{REPO}/", f"/{REPO}x/")

    for wrong in (bare, tampered, other_path):
        status, body, content_type = get(wrong)
        assert status == 403, wrong
        assert b"<Code>AccessDenied</Code>" in body
        assert content_type == "application/xml"


def test_only_get_is_served(repo: AwsClients) -> None:
    url = _signed_url(repo)

    status, body, _ = get(url, method="DELETE")

    assert status == 405
    assert b"MethodNotAllowed" in body
    assert get(url)[:2] == (200, CONFIG)  # still there


def test_reset_forgets_the_blobs(repo: AwsClients, moto_server: str) -> None:
    url = _signed_url(repo)

    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST", data=b"")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()

    assert get(url)[0] == 404
