"""The ECR collector: what the registry says about ``repository:tag``.

One call, ``ecr:DescribeImages`` with ``imageIds=[{imageTag: tag}]``. The raw call sits
behind :class:`EcrApi` (implemented over boto3 by :class:`Boto3Ecr`), so that
:func:`parse_image` can be tested on recorded responses. DescribeImages takes no
``nextToken``/``maxResults`` together with ``imageIds``: the answer for one tag is a
single page.

:func:`collect_image` never raises for AWS failures: a repository or tag that does not
exist is ``found=False`` with a ``not_found_reason``; any other failure is an ``error``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from reporter.collect.aws import AWS_ERRORS, aws_error, missing_field
from reporter.model import ImageEvidence
from reporter.spec import ImageSection

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient

OPERATION = "ecr:DescribeImages"

NOT_FOUND_CODES = frozenset({"RepositoryNotFoundException", "ImageNotFoundException"})
"""Error codes by which the registry answers that the repository or the tag does not exist."""


class EcrApi(Protocol):
    """The raw ECR call the collector needs (a seam: tests swap in recorded responses)."""

    def describe_images(
        self, repository: str, tag: str, registry_id: str | None
    ) -> Mapping[str, Any]:
        """The DescribeImages response for one tag; raises botocore errors."""
        ...


class Boto3Ecr:
    """:class:`EcrApi` over a boto3 ECR client."""

    def __init__(self, client: ECRClient) -> None:
        self._client = client

    def describe_images(
        self, repository: str, tag: str, registry_id: str | None
    ) -> Mapping[str, Any]:
        """``ecr:DescribeImages`` for ``repository:tag`` (in ``registry_id`` when given)."""
        if registry_id:
            return self._client.describe_images(
                registryId=registry_id, repositoryName=repository, imageIds=[{"imageTag": tag}]
            )
        return self._client.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])


def collect_image(api: EcrApi, section: ImageSection) -> ImageEvidence:
    """Ask the registry about ``section.repository:section.tag``; never raises for AWS failures."""
    try:
        response = api.describe_images(section.repository, section.tag, section.registry_id)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in NOT_FOUND_CODES:
            return _not_found(section, code)
        return _base(section, error=aws_error(OPERATION, exc))
    except AWS_ERRORS as exc:
        return _base(section, error=aws_error(OPERATION, exc))
    return parse_image(response, section)


def parse_image(response: Mapping[str, Any], section: ImageSection) -> ImageEvidence:
    """Turn a DescribeImages response into evidence for ``section``'s tag.

    A response without ``imageDetails``, or whose image has no ``imageDigest``, is an
    error (``MissingField``): without a digest nothing can be compared. An empty
    ``imageDetails`` means the registry holds no image for the tag. A missing
    ``imagePushedAt`` leaves ``pushed_at`` unset (the checks then say ``unknown``).
    """
    details = response.get("imageDetails")
    if not isinstance(details, Sequence) or isinstance(details, str):
        return _base(section, error=missing_field(OPERATION, "imageDetails"))
    images = [d for d in details if isinstance(d, Mapping)]
    if not images:
        return _not_found(section, "ImageNotFoundException")
    detail = _pick(images, section.tag)
    digest = detail.get("imageDigest")
    facts: dict[str, Any] = {
        "registry_id": _str(detail.get("registryId")) or section.registry_id,
        "tags": tuple(sorted(str(t) for t in detail.get("imageTags") or ())),
        "pushed_at": parse_timestamp(detail.get("imagePushedAt")),
        "size_bytes": _int(detail.get("imageSizeInBytes")),
        "media_type": _str(detail.get("imageManifestMediaType")),
    }
    if not isinstance(digest, str) or not digest:
        return _base(section, error=missing_field(OPERATION, "imageDetails[].imageDigest"), **facts)
    return _base(section, found=True, digest=digest, **facts)


def parse_timestamp(value: object) -> datetime | None:
    """An AWS timestamp as an aware UTC datetime.

    boto3 gives ``datetime`` objects (zoned in local time); recorded JSON holds epoch
    seconds or ISO 8601 text. A naive datetime is taken as UTC. Anything else is None.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
        except ValueError:
            return None
        return parse_timestamp(parsed)
    return None


def _pick(images: Sequence[Mapping[str, Any]], tag: str) -> Mapping[str, Any]:
    """The image that carries ``tag`` (the first one if none says so)."""
    for image in images:
        if tag in (image.get("imageTags") or ()):
            return image
    return images[0]


def _not_found(section: ImageSection, code: str) -> ImageEvidence:
    where = f" in registry {section.registry_id!r}" if section.registry_id else ""
    if code == "RepositoryNotFoundException":
        reason = f"repository {section.repository!r} not found{where}"
    else:
        reason = f"tag {section.tag!r} not found in repository {section.repository!r}{where}"
    return _base(section, not_found_reason=reason)


def _base(section: ImageSection, **facts: Any) -> ImageEvidence:
    facts.setdefault("registry_id", section.registry_id)
    return ImageEvidence(repository=section.repository, tag=section.tag, **facts)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
