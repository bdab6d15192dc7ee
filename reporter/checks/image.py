"""``image.found``: the tag exists in the registry."""

from __future__ import annotations

from reporter.checks.base import FAIL, PASS, UNKNOWN, Finding
from reporter.checks.wording import short_digest, when
from reporter.model import ImageEvidence


def image_found(image: ImageEvidence) -> Finding:
    """``image.found``: the tag exists in the repository."""
    ref = f"{image.repository}:{image.tag}"
    if image.error is not None:
        return Finding(UNKNOWN, f"Could not read {ref} from ECR: {image.error.line()}")
    if not image.found:
        return Finding(
            FAIL, f"{ref} is not in ECR: {image.not_found_reason or 'no image for the tag'}"
        )
    digest = short_digest(image.digest) if image.digest else "no digest"
    pushed = f", pushed {when(image.pushed_at)}" if image.pushed_at else ", push time not returned"
    return Finding(PASS, f"{ref} exists in ECR ({digest}{pushed}).")


def image_source(image: ImageEvidence) -> str:
    """Where the image facts come from, for a check's ``source``."""
    return f"ECR DescribeImages {image.repository}:{image.tag}"
