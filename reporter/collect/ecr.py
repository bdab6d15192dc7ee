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

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from reporter.collect.aws import (
    AWS_ERRORS,
    FieldProblems,
    aws_error,
    check_responses,
    missing_field,
    parsed,
)
from reporter.errors import Cancelled
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
    """:class:`EcrApi` over a boto3 ECR client.

    The client's DescribeImages answers are checked against the API's shapes before
    botocore parses them (:func:`~reporter.collect.aws.check_responses`), and a failure of
    botocore's parsing is an :class:`~reporter.collect.aws.UnparsableResponse`.
    """

    def __init__(self, client: ECRClient) -> None:
        self._client = client
        check_responses(client, ("DescribeImages",))

    def describe_images(
        self, repository: str, tag: str, registry_id: str | None
    ) -> Mapping[str, Any]:
        """``ecr:DescribeImages`` for ``repository:tag`` (in ``registry_id`` when given)."""
        if registry_id:
            return parsed(
                lambda: self._client.describe_images(
                    registryId=registry_id,
                    repositoryName=repository,
                    imageIds=[{"imageTag": tag}],
                )
            )
        return parsed(
            lambda: self._client.describe_images(
                repositoryName=repository, imageIds=[{"imageTag": tag}]
            )
        )


def collect_image(
    api: EcrApi, section: ImageSection, *, cancel: threading.Event | None = None
) -> ImageEvidence:
    """Ask the registry about ``section.repository:section.tag``; never raises for AWS failures.

    Raises :class:`~reporter.errors.Cancelled` when ``cancel`` is set before the call (the
    call itself, once sent, ends within the client's read timeout).
    """
    if cancel is not None and cancel.is_set():
        raise Cancelled
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

    A malformed field (of the wrong type, a time out of range, a digest that is not
    ``sha256:<64 hex>``, a negative size) is an error ``MalformedResponse: <field>``; that
    field is left unset and every well-formed fact is kept, so only the checks that need
    the field are ``unknown`` because of it.
    """
    problems = FieldProblems(response)
    details = response.get("imageDetails")
    if not isinstance(details, list | tuple):
        no_details = problems.error(OPERATION) or missing_field(OPERATION, "imageDetails")
        return _base(section, error=no_details)
    images = [(i, d) for i, d in enumerate(details) if isinstance(d, Mapping)]
    if not images:
        if problems.items:  # the registry answered, but not with anything readable
            return _base(section, error=problems.error(OPERATION))
        return _not_found(section, "ImageNotFoundException")
    index, detail = _pick(images, section.tag)
    where = f"imageDetails[{index}]"
    tags = detail.get("imageTags")
    facts: dict[str, Any] = {
        "registry_id": problems.text(detail.get("registryId"), f"{where}.registryId")
        or section.registry_id,
        "tags": tuple(sorted(t for t in tags if isinstance(t, str)))
        if isinstance(tags, list | tuple)
        else (),
        "pushed_at": problems.time(detail.get("imagePushedAt"), f"{where}.imagePushedAt"),
        "size_bytes": problems.count(detail.get("imageSizeInBytes"), f"{where}.imageSizeInBytes"),
        "media_type": problems.text(
            detail.get("imageManifestMediaType"), f"{where}.imageManifestMediaType"
        ),
    }
    digest = problems.digest(detail.get("imageDigest"), f"{where}.imageDigest")
    error = problems.error(OPERATION)
    if digest is None:
        no_digest = error or missing_field(OPERATION, "imageDetails[].imageDigest")
        return _base(section, error=no_digest, **facts)
    return _base(section, found=True, digest=digest, error=error, **facts)


def parse_timestamp(value: object) -> datetime | None:
    """An AWS time as an aware UTC datetime, or None when absent or not a plausible time.

    boto3 gives ``datetime`` objects (zoned in local time); recorded JSON holds epoch
    seconds or ISO 8601 text. A naive datetime is taken as UTC. A time before 2000 or
    after now (:func:`~reporter.collect.aws.latest`), or a value of another type, is None
    (parsers that must say why use :meth:`FieldProblems.time`).
    """
    return FieldProblems().time(value, "")


def _pick(
    images: Sequence[tuple[int, Mapping[str, Any]]], tag: str
) -> tuple[int, Mapping[str, Any]]:
    """The image that carries ``tag`` (the first one if none says so), with its index."""
    for index, image in images:
        tags = image.get("imageTags")
        if isinstance(tags, list | tuple) and tag in tags:
            return index, image
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
