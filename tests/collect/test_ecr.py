"""The ECR collector: against moto's server over HTTP, then its parsing on recorded responses."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from moto.ecr.models import ecr_backends

from reporter.collect.aws import AwsClients, make_clients
from reporter.collect.ecr import Boto3Ecr, collect_image, parse_image, parse_timestamp
from reporter.errors import Cancelled
from reporter.spec import ImageSection
from tests.collect.helpers import (
    aws_response,
    client_error,
    recorded,
    replay_options,
    unreachable_options,
)
from tests.conftest import ACCOUNT, REGION
from tests.faults.replay import Replay, replay_server

REPO = "backend"
MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST = {
    "schemaVersion": 2,
    "mediaType": MEDIA_TYPE,
    "config": {
        "mediaType": "application/vnd.docker.container.image.v1+json",
        "size": 7023,
        "digest": "sha256:" + "c" * 64,
    },
    "layers": [
        {
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "size": 32654,
            "digest": "sha256:" + "d" * 64,
        }
    ],
}
PUSHED = datetime(2025, 11, 26, 8, 30, tzinfo=UTC)


# --------------------------------------------------------------------------- helpers


class FakeEcr:
    """A fake of the AWS seam: answers with a recorded response or raises a botocore error."""

    def __init__(self, response: Mapping[str, Any] | None = None, error: Exception | None = None):
        self.response = response or {}
        self.error = error
        self.calls: list[tuple[str, str, str | None]] = []

    def describe_images(
        self, repository: str, tag: str, registry_id: str | None
    ) -> Mapping[str, Any]:
        self.calls.append((repository, tag, registry_id))
        if self.error is not None:
            raise self.error
        return self.response


def push(aws: AwsClients, *tags: str) -> str:
    """Create the repository and push one image under ``tags``; its digest."""
    aws.ecr.create_repository(repositoryName=REPO)
    digest = ""
    for tag in tags:
        pushed = aws.ecr.put_image(
            repositoryName=REPO, imageManifest=json.dumps(MANIFEST), imageTag=tag
        )
        digest = pushed["image"]["imageId"]["imageDigest"]
    return digest


def set_pushed_at(when: datetime) -> None:
    """moto stamps imagePushedAt with "now" (epoch seconds): set it on its backend image."""
    repository = ecr_backends[ACCOUNT][REGION].repositories[REPO]
    for image in repository.images:
        image.image_pushed_at = int(when.timestamp())


# --------------------------------------------------------------------------- moto


def test_found_image_carries_digest_tags_push_time_size_and_media_type(aws: AwsClients) -> None:
    digest = push(aws, "v1", "latest")
    set_pushed_at(PUSHED)

    image = collect_image(Boto3Ecr(aws.ecr), ImageSection(repository=REPO, tag="latest"))

    assert image.found is True
    assert image.error is None
    assert image.not_found_reason is None
    assert image.digest == digest
    assert image.digest is not None
    assert image.digest.startswith("sha256:")
    assert image.tags == ("latest", "v1")
    assert image.pushed_at == PUSHED
    assert image.pushed_at is not None
    assert image.pushed_at.utcoffset() == timedelta(0)
    assert image.size_bytes == 7023
    assert image.media_type == MEDIA_TYPE
    assert image.registry_id == ACCOUNT


def test_push_time_left_as_moto_stamps_it_is_now_in_utc(aws: AwsClients) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    push(aws, "latest")

    image = collect_image(Boto3Ecr(aws.ecr), ImageSection(repository=REPO))

    assert image.pushed_at is not None
    assert image.pushed_at.tzinfo == UTC
    assert before <= image.pushed_at <= datetime.now(UTC)


def test_missing_repository_is_not_found(aws: AwsClients) -> None:
    image = collect_image(Boto3Ecr(aws.ecr), ImageSection(repository="nope", tag="latest"))

    assert image.found is False
    assert image.error is None
    assert image.not_found_reason == "repository 'nope' not found"
    assert image.digest is None


def test_missing_tag_is_not_found(aws: AwsClients) -> None:
    push(aws, "v1")

    image = collect_image(Boto3Ecr(aws.ecr), ImageSection(repository=REPO, tag="latest"))

    assert image.found is False
    assert image.error is None
    assert image.not_found_reason == "tag 'latest' not found in repository 'backend'"


def test_registry_id_is_sent(aws: AwsClients) -> None:
    push(aws, "latest")
    api = Boto3Ecr(aws.ecr)

    mine = collect_image(api, ImageSection(repository=REPO, registry_id=ACCOUNT))
    other = collect_image(api, ImageSection(repository=REPO, registry_id="999999999999"))

    assert mine.found is True
    assert mine.registry_id == ACCOUNT
    assert other.found is False
    assert other.not_found_reason == "repository 'backend' not found in registry '999999999999'"


def test_unreachable_registry_is_an_error_not_an_exception() -> None:
    options = unreachable_options(REGION)
    api = Boto3Ecr(make_clients(options).ecr)

    image = collect_image(api, ImageSection(repository=REPO))

    assert image.found is False
    assert image.error is not None
    assert image.error.operation == "ecr:DescribeImages"
    assert image.error.code == "ConnectionError"


# --------------------------------------------------------------------------- parsing


def test_parse_recorded_response() -> None:
    response = aws_response("ecr", "DescribeImages", recorded("ecr_describe_images.json"))
    section = ImageSection(repository="content-marketing-swarm-backend", tag="latest")

    image = parse_image(response, section)

    assert image.model_dump() == {
        "repository": "content-marketing-swarm-backend",
        "tag": "latest",
        "registry_id": "012345678910",
        "found": True,
        "not_found_reason": None,
        "digest": "sha256:4a1c6567c38904384ebc64e35b7eeddd8451110c299e3368d2210066487d97e5",
        "tags": ("latest", "v1.13.6"),
        "pushed_at": PUSHED,
        "size_bytes": 48318255,
        "media_type": MEDIA_TYPE,
        "error": None,
    }


def test_parse_raw_json_numbers_as_well_as_boto3_datetimes() -> None:
    section = ImageSection(repository="content-marketing-swarm-backend")
    raw = recorded("ecr_describe_images.json")

    assert parse_image(raw, section) == parse_image(
        aws_response("ecr", "DescribeImages", raw), section
    )


def test_collect_passes_repository_tag_and_registry_to_the_seam() -> None:
    api = FakeEcr(aws_response("ecr", "DescribeImages", recorded("ecr_describe_images.json")))

    collect_image(api, ImageSection(repository="r", tag="t", registry_id="012345678910"))

    assert api.calls == [("r", "t", "012345678910")]


def test_missing_push_time_leaves_pushed_at_unknown() -> None:
    body = recorded("ecr_describe_images.json")
    del body["imageDetails"][0]["imagePushedAt"]

    image = parse_image(aws_response("ecr", "DescribeImages", body), ImageSection(repository="r"))

    assert image.found is True
    assert image.error is None
    assert image.pushed_at is None


def test_response_without_image_details_is_a_missing_field() -> None:
    image = parse_image(aws_response("ecr", "DescribeImages", {}), ImageSection(repository="r"))

    assert image.found is False
    assert image.error is not None
    assert image.error.code == "MissingField"
    assert image.error.operation == "ecr:DescribeImages"
    assert "imageDetails" in image.error.message


def test_image_without_digest_is_a_missing_field() -> None:
    body = recorded("ecr_describe_images.json")
    del body["imageDetails"][0]["imageDigest"]

    image = parse_image(aws_response("ecr", "DescribeImages", body), ImageSection(repository="r"))

    assert image.found is False
    assert image.digest is None
    assert image.error is not None
    assert image.error.code == "MissingField"
    assert "imageDigest" in image.error.message


def test_empty_image_details_is_not_found() -> None:
    response = aws_response("ecr", "DescribeImages", {"imageDetails": []})

    image = parse_image(response, ImageSection(repository="r", tag="v2"))

    assert image.found is False
    assert image.error is None
    assert image.not_found_reason == "tag 'v2' not found in repository 'r'"


def test_the_image_carrying_the_tag_is_picked() -> None:
    other = {"imageDigest": "sha256:" + "0" * 64, "imageTags": ["old"]}
    wanted = {"imageDigest": "sha256:" + "1" * 64, "imageTags": ["latest"]}
    response = aws_response("ecr", "DescribeImages", {"imageDetails": [other, wanted]})

    image = parse_image(response, ImageSection(repository="r"))

    assert image.digest == "sha256:" + "1" * 64


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("RepositoryNotFoundException", "repository 'r' not found"),
        ("ImageNotFoundException", "tag 'latest' not found in repository 'r'"),
    ],
)
def test_not_found_errors_are_not_found(code: str, reason: str) -> None:
    api = FakeEcr(error=client_error(code, "does not exist", "DescribeImages"))

    image = collect_image(api, ImageSection(repository="r"))

    assert image.found is False
    assert image.error is None
    assert image.not_found_reason == reason


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (
            client_error("AccessDeniedException", "not authorized", "DescribeImages", 403),
            "AccessDeniedException",
        ),
        (
            client_error("ThrottlingException", "Rate exceeded", "DescribeImages"),
            "ThrottlingException",
        ),
        (ReadTimeoutError(endpoint_url="https://api.ecr.us-east-1.amazonaws.com/"), "ReadTimeout"),
    ],
)
def test_other_failures_are_errors(error: Exception, code: str) -> None:
    image = collect_image(FakeEcr(error=error), ImageSection(repository="r"))

    assert image.found is False
    assert image.not_found_reason is None
    assert image.error is not None
    assert image.error.operation == "ecr:DescribeImages"
    assert image.error.code == code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2025, 11, 26, 8, 30), PUSHED),
        (datetime(2025, 11, 26, 9, 30, tzinfo=timezone(timedelta(hours=1))), PUSHED),
        (1764145800, PUSHED),
        (1764145800.0, PUSHED),
        ("2025-11-26T08:30:00Z", PUSHED),
        ("2025-11-26T03:30:00-05:00", PUSHED),
        ("yesterday", None),
        ("2025-11-26T08:30:00", None),  # no zone: not a time AWS writes
        (None, None),
        (True, None),
        (0, None),
        (1e20, None),
        (2**31, None),
        (float("nan"), None),
        (datetime(1970, 1, 1, tzinfo=UTC), None),
    ],
)
def test_parse_timestamp(value: object, expected: datetime | None) -> None:
    parsed = parse_timestamp(value)

    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo == UTC


# --------------------------------------------------------------------------- malformed, over HTTP

REC_SECTION = ImageSection(repository="content-marketing-swarm-backend", tag="latest")
REC_DIGEST = "sha256:4a1c6567c38904384ebc64e35b7eeddd8451110c299e3368d2210066487d97e5"


@pytest.fixture(scope="module")
def replay_endpoint() -> Iterator[tuple[str, Replay]]:
    with replay_server() as served:
        yield served


@pytest.fixture
def replayed(replay_endpoint: tuple[str, Replay]) -> Iterator[tuple[Replay, Boto3Ecr]]:
    url, replay = replay_endpoint
    replay.clear()
    yield replay, Boto3Ecr(make_clients(replay_options(url)).ecr)
    replay.clear()


def detail_with(field: str, value: Any) -> dict[str, Any]:
    body = recorded("ecr_describe_images.json")
    body["imageDetails"][0][field] = value
    return body


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (1e20, "1e+20 is not a time between 2000 and now"),
        (-1e12, "-1000000000000.0 is not a time between 2000 and now"),
        (0, "0 is not a time between 2000 and now"),
        (2**31, "2147483648 is not a time between 2000 and now"),  # 2038: after the read
        ("2025-11-26T08:30:00Z", "expected a time (epoch seconds), got the text"),
        (True, "expected a time (epoch seconds), got true"),
        ([1764145800], "expected a time (epoch seconds), got a list"),
    ],
)
def test_a_malformed_push_time_is_unknown_and_the_digest_kept(
    replayed: tuple[Replay, Boto3Ecr], value: Any, problem: str
) -> None:
    replay, api = replayed
    replay.answer("DescribeImages", detail_with("imagePushedAt", value))

    image = collect_image(api, REC_SECTION)

    assert image.error is not None
    assert image.error.operation == "ecr:DescribeImages"
    assert image.error.code == "MalformedResponse: imageDetails[0].imagePushedAt"
    assert problem in image.error.message
    assert image.pushed_at is None
    assert (image.found, image.digest, image.size_bytes) == (True, REC_DIGEST, 48318255)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("imageDigest", "sha256:xyz"),
        ("imageDigest", "sha256:" + "A" * 64),
        ("imageDigest", "md5:" + "a" * 32),
        ("imageDigest", 42),
        ("imageDigest", ""),
    ],
)
def test_a_digest_that_is_not_one_is_malformed(
    replayed: tuple[Replay, Boto3Ecr], field: str, value: Any
) -> None:
    replay, api = replayed
    replay.answer("DescribeImages", detail_with(field, value))

    image = collect_image(api, REC_SECTION)

    assert image.found is False
    assert image.digest is None
    assert image.error is not None
    if value == "":  # an empty digest reads as none at all
        assert image.error.code == "MissingField"
    else:
        assert image.error.code == "MalformedResponse: imageDetails[0].imageDigest"
    assert image.pushed_at == PUSHED  # the rest is kept


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"imageDetails": 5}, "imageDetails"),
        ({"imageDetails": "latest"}, "imageDetails"),
        ({"imageDetails": [7]}, "imageDetails[0]"),
        (detail_with("imageSizeInBytes", -1), "imageDetails[0].imageSizeInBytes"),
        (detail_with("imageSizeInBytes", 1e30), "imageDetails[0].imageSizeInBytes"),
        (detail_with("imageTags", "latest"), "imageDetails[0].imageTags"),
        (b"<html>502 Bad Gateway</html>", "(body)"),
        (b'{"imageDetails": [{"imageDigest": "sha256:', "(body)"),
    ],
)
def test_malformed_answers_are_errors_naming_the_field(
    replayed: tuple[Replay, Boto3Ecr], body: Any, field: str
) -> None:
    replay, api = replayed
    replay.answer("DescribeImages", body)

    image = collect_image(api, REC_SECTION)

    assert image.error is not None
    assert image.error.code == f"MalformedResponse: {field}"


def test_cancel_before_the_call_sends_nothing(replayed: tuple[Replay, Boto3Ecr]) -> None:
    replay, api = replayed
    replay.answer("DescribeImages", recorded("ecr_describe_images.json"))
    cancel = threading.Event()
    cancel.set()

    with pytest.raises(Cancelled):
        collect_image(api, REC_SECTION, cancel=cancel)

    assert replay.requests() == []


def test_recorded_answer_over_http_is_the_recorded_parse(replayed: tuple[Replay, Boto3Ecr]) -> None:
    replay, api = replayed
    body = recorded("ecr_describe_images.json")
    replay.answer("DescribeImages", body)

    image = collect_image(api, REC_SECTION)

    assert image == parse_image(aws_response("ecr", "DescribeImages", body), REC_SECTION)
    assert image.error is None
    assert replay.requests("DescribeImages") == [
        {"repositoryName": REC_SECTION.repository, "imageIds": [{"imageTag": "latest"}]}
    ]
