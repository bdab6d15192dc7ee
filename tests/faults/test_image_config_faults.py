"""Never a false revision: the image config's three reads, every way they can fail.

The emulator holds the demo incident, whose image config names the pre-fix commit. Each
case breaks one read (``BatchGetImage``, ``GetDownloadUrlForLayer`` or the blob GET):
denied, throttled past the retries, HTTP 500, read timeout, dropped connection, a field
missing from the answer, a body that is not what the manifest names. The evidence must
then carry no revision and no labels, an error naming the read and the cause, and what
was read before the fault; no exception escapes. The reads are read-only operations.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import pytest

from reporter.collect.aws import AwsOptions, make_clients
from reporter.collect.image_config import Boto3EcrConfig, collect_image_config
from reporter.demo.history import expected_history
from reporter.demo.seed import REPOSITORY, TAG, demo_spec_dir
from reporter.errors import Cancelled
from reporter.model import ImageConfigEvidence
from reporter.spec import ImageSection
from tests.faults.conftest import Emulator
from tests.faults.middleware import (
    BLOB_GET,
    Fault,
    FaultInjector,
    FieldPath,
    Kind,
    target_operation,
)

IMAGE = ImageSection(repository=REPOSITORY, tag=TAG)
PRE_FIX = expected_history(demo_spec_dir() / "code").pre_fix
ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921"
READS = re.compile(r"(BatchGet|Get|Describe|List)[A-Z]\w*")
"""Operation names that only read (``BatchGetImage`` reads manifests, as ``docker pull`` does)."""

OPERATIONS = {
    "BatchGetImage": "ecr:BatchGetImage",
    "GetDownloadUrlForLayer": "ecr:GetDownloadUrlForLayer",
    BLOB_GET: "GET config blob",
}
"""Each read, and the operation its errors name."""

AWS_CAUSES = {
    Kind.ACCESS_DENIED: "AccessDeniedException",
    Kind.THROTTLED: "ThrottlingException",
    Kind.INTERNAL_ERROR: "InternalFailure",
    Kind.READ_TIMEOUT: "ReadTimeout",
    Kind.DROPPED: "ConnectionClosedError",
}
BLOB_CAUSES = {
    Kind.ACCESS_DENIED: "AccessDenied",  # S3: 403 AccessDenied
    Kind.THROTTLED: "HTTP503",  # S3: 503 SlowDown
    Kind.INTERNAL_ERROR: "HTTP500",  # S3: 500 InternalError
    Kind.READ_TIMEOUT: "ReadTimeout",
    Kind.DROPPED: "ConnectionClosedError",
}
KEPT_BEFORE = {
    "BatchGetImage": (),
    "GetDownloadUrlForLayer": ("manifest_media_type", "manifest_digest", "config_digest"),
    BLOB_GET: ("manifest_media_type", "manifest_digest", "config_digest"),
}
"""The facts read before each read, which a fault in it must leave as they were."""


def read(emulator: Emulator, options: AwsOptions | None = None) -> ImageConfigEvidence:
    """The image config collector over HTTP against the fault-injecting emulator."""
    options = options or emulator.options()
    api = Boto3EcrConfig.from_options(make_clients(options).ecr, options)
    return collect_image_config(api, IMAGE)


@pytest.fixture(scope="module")
def baseline(emulator: Emulator) -> ImageConfigEvidence:
    emulator.injector.disarm()
    return read(emulator)


def assert_no_revision(
    evidence: ImageConfigEvidence, baseline: ImageConfigEvidence, operation: str, cause: str
) -> None:
    """No revision or labels; the error names the read and the cause; earlier facts kept."""
    assert evidence.error is not None, evidence
    assert evidence.error.operation == OPERATIONS[operation], evidence.error
    assert evidence.error.code == cause, evidence.error
    assert (evidence.revision, evidence.labels, evidence.created) == (None, {}, None)
    for name in KEPT_BEFORE[operation]:
        assert getattr(evidence, name) == getattr(baseline, name), name
    assert evidence.revision_label == baseline.revision_label


def test_without_faults_the_revision_is_the_pre_fix_commit(baseline: ImageConfigEvidence) -> None:
    assert baseline.error is None
    assert baseline.revision == PRE_FIX
    assert baseline.config_digest is not None


@pytest.mark.parametrize("kind", tuple(AWS_CAUSES), ids=[k.value for k in AWS_CAUSES])
@pytest.mark.parametrize("operation", tuple(OPERATIONS))
def test_failed_read_leaves_no_revision(
    operation: str,
    kind: Kind,
    emulator: Emulator,
    injector: FaultInjector,
    baseline: ImageConfigEvidence,
) -> None:
    injector.arm(Fault(operation, kind))

    evidence = read(emulator)

    assert injector.injected >= 1
    causes = BLOB_CAUSES if operation == BLOB_GET else AWS_CAUSES
    assert_no_revision(evidence, baseline, operation, causes[kind])
    assert evidence.error is not None
    if kind in (Kind.THROTTLED, Kind.INTERNAL_ERROR):
        assert "(after 1 retries)" in evidence.error.message  # the retry budget was spent
    if operation == BLOB_GET:
        assert "X-Amz-Signature" not in evidence.error.message  # the URL's signature stays out


@dataclass(frozen=True)
class Broken:
    """One read's answer broken in one way, and the cause the evidence must name (None: none)."""

    operation: str
    kind: Kind
    field: FieldPath
    cause: str | None

    @property
    def name(self) -> str:
        return f"{self.operation}-{self.kind.value}-{'.'.join(str(p) for p in self.field)}"


BROKEN = (
    Broken("BatchGetImage", Kind.MISSING_FIELD, ("images",), "MissingField"),
    Broken("BatchGetImage", Kind.MISSING_FIELD, ("images", 0, "imageManifest"), "MissingField"),
    # botocore parses a body that is not JSON as an answer without fields.
    Broken("BatchGetImage", Kind.CORRUPTED, (), "MissingField"),
    # The manifest names its own media type, and the digest is the manifest's bytes'.
    Broken("BatchGetImage", Kind.MISSING_FIELD, ("images", 0, "imageManifestMediaType"), None),
    Broken("BatchGetImage", Kind.MISSING_FIELD, ("images", 0, "imageId"), None),
    Broken("GetDownloadUrlForLayer", Kind.MISSING_FIELD, ("downloadUrl",), "MissingField"),
    Broken("GetDownloadUrlForLayer", Kind.MISSING_FIELD, ("layerDigest",), None),
    Broken(BLOB_GET, Kind.CORRUPTED, (), "DigestMismatch"),
    Broken(BLOB_GET, Kind.OVERSIZE, (), "TooLarge"),
)


@pytest.mark.parametrize("broken", BROKEN, ids=[b.name for b in BROKEN])
def test_broken_answer(
    broken: Broken, emulator: Emulator, injector: FaultInjector, baseline: ImageConfigEvidence
) -> None:
    injector.arm(Fault(broken.operation, broken.kind, field=broken.field))

    evidence = read(emulator)

    assert injector.injected >= 1
    if broken.cause is None:
        assert evidence == baseline
    else:
        assert_no_revision(evidence, baseline, broken.operation, broken.cause)


@pytest.mark.parametrize("operation", tuple(OPERATIONS))
def test_throttling_that_clears_within_the_retries_changes_nothing(
    operation: str, emulator: Emulator, injector: FaultInjector, baseline: ImageConfigEvidence
) -> None:
    injector.arm(Fault(operation, Kind.THROTTLED, times=1))

    evidence = read(emulator)

    assert injector.injected == 1
    assert evidence == baseline


def test_the_reads_are_read_only_and_nothing_else_is_fetched(
    emulator: Emulator, injector: FaultInjector
) -> None:
    read(emulator)

    seen = injector.seen()
    assert [target_operation(target) for target in seen] == [
        "BatchGetImage",
        "GetDownloadUrlForLayer",
        BLOB_GET,
    ]
    for target in seen:
        assert READS.fullmatch(target_operation(target)), target
        assert target.startswith((f"{ECR_TARGET}.", "GET /")), target


def test_cancel_ends_a_stalled_blob_get(emulator: Emulator, injector: FaultInjector) -> None:
    patient = AwsOptions(
        region="us-east-1",
        endpoint_url=emulator.url,
        access_key_id="testing",
        secret_access_key="testing",
        max_attempts=2,
        connect_timeout=5,
        read_timeout=30,
    )
    injector.arm(Fault(BLOB_GET, Kind.READ_TIMEOUT))
    api = Boto3EcrConfig.from_options(make_clients(patient).ecr, patient)
    cancel = threading.Event()

    def cancel_once_stalled() -> None:
        for _ in range(200):
            if injector.injected:
                cancel.set()
                return
            threading.Event().wait(0.01)

    threading.Thread(target=cancel_once_stalled, daemon=True).start()

    with pytest.raises(Cancelled):
        collect_image_config(api, IMAGE, cancel=cancel)
    assert injector.injected == 1  # not retried once cancelled
