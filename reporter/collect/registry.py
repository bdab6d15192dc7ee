"""The collectors a run walks, in report order; a new source of evidence is one entry here.

Each entry adapts one collector module to
:class:`~reporter.collect.interface.Collector`: the spec section it reads, the evidence
part it fills, what it needs collected first, and where its evidence comes from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reporter.collect.code import collect_code
from reporter.collect.ecr import Boto3Ecr, collect_image
from reporter.collect.ecs import Boto3Ecs, collect_service
from reporter.collect.files import FileLogOptions, collect_files
from reporter.collect.git import collect_revision
from reporter.collect.image_config import Boto3EcrConfig, collect_image_config
from reporter.collect.insights import Boto3Insights
from reporter.collect.interface import Collector, RunContext
from reporter.collect.logs import Boto3Logs, collect_cloudwatch
from reporter.model import (
    CodeEvidence,
    EvidenceError,
    Frozen,
    ImageConfigEvidence,
    RevisionEvidence,
)
from reporter.spec import LoadedSpec


@dataclass(frozen=True)
class ImageCollector:
    """``[image]``: the tag's digest, tags and push time (ECR DescribeImages)."""

    part: str = "image"
    section: str = "image"
    after: tuple[str, ...] = ()

    def wanted(self, run: RunContext) -> bool:
        """Always: the image is required."""
        return True

    def provenance(self, run: RunContext) -> str:
        """``ECR DescribeImages repo:tag``."""
        image = run.loaded.spec.image
        return f"ECR DescribeImages {image.repository}:{image.tag}"

    def collect(self, run: RunContext, earlier: Mapping[str, Frozen | None]) -> Frozen:
        """The image evidence."""
        return collect_image(Boto3Ecr(run.clients.ecr), run.loaded.spec.image, cancel=run.cancel)


@dataclass(frozen=True)
class ImageConfigCollector:
    """``[image]``: the image config's labels, the revision it was built from among them
    (ECR BatchGetImage, GetDownloadUrlForLayer, and a GET of the config blob)."""

    part: str = "image_config"
    section: str = "image"
    after: tuple[str, ...] = ()

    def wanted(self, run: RunContext) -> bool:
        """Always: the labels date the image and name its revision."""
        return True

    def provenance(self, run: RunContext) -> str:
        """``ECR BatchGetImage + GetDownloadUrlForLayer repo:tag``."""
        image = run.loaded.spec.image
        return f"ECR BatchGetImage + GetDownloadUrlForLayer {image.repository}:{image.tag}"

    def collect(self, run: RunContext, earlier: Mapping[str, Frozen | None]) -> Frozen:
        """The image config evidence."""
        api = Boto3EcrConfig.from_options(run.clients.ecr, run.aws)
        return collect_image_config(api, run.loaded.spec.image, run.redactor, run.cancel)


@dataclass(frozen=True)
class ServiceCollector:
    """``[service]``: the service, its deployments and running tasks (ECS)."""

    part: str = "service"
    section: str = "service"
    after: tuple[str, ...] = ()

    def wanted(self, run: RunContext) -> bool:
        """When the spec has ``[service]``."""
        return run.loaded.spec.service is not None

    def provenance(self, run: RunContext) -> str:
        """``ECS DescribeServices, ListTasks, DescribeTasks cluster/service``."""
        service = run.loaded.spec.service
        where = f"{service.cluster}/{service.name}" if service else "-"
        return f"ECS DescribeServices, ListTasks, DescribeTasks {where}"

    def collect(self, run: RunContext, earlier: Mapping[str, Frozen | None]) -> Frozen:
        """The service evidence."""
        spec = run.loaded.spec
        if spec.service is None:
            raise ValueError("no [service] in the spec")  # guarded by `wanted`
        return collect_service(Boto3Ecs(run.clients.ecs), spec.service, cancel=run.cancel)


@dataclass(frozen=True)
class LogsCollector:
    """``[logs]``: every watched text in the window, from CloudWatch or local files."""

    part: str = "logs"
    section: str = "logs"
    after: tuple[str, ...] = ()

    def wanted(self, run: RunContext) -> bool:
        """Always: the logs are required."""
        return True

    def provenance(self, run: RunContext) -> str:
        """The log groups or the files."""
        logs = run.loaded.spec.logs
        if logs.files is None:
            return "CloudWatch Logs " + ", ".join(logs.log_groups)
        return "local log files " + ", ".join(logs.files)

    def collect(self, run: RunContext, earlier: Mapping[str, Frozen | None]) -> Frozen:
        """The logs evidence."""
        logs = run.loaded.spec.logs
        progress = run.progress
        if logs.files is None:
            progress.measure(self.part, "events")
            return collect_cloudwatch(
                Boto3Logs(run.clients.logs),
                logs.log_groups,
                run.since,
                run.until,
                run.markers,
                run.redactor,
                engine=logs.log_engine,
                insights=Boto3Insights(run.clients.logs),
                cancel=run.cancel,
                on_events=lambda events: progress.advance(self.part, events),
            )
        paths = run.loaded.log_files()
        progress.measure(self.part, "bytes", _stored_bytes(paths))
        return collect_files(
            paths,
            run.loaded.base_dir,
            run.since,
            run.until,
            run.markers,
            run.redactor,
            options=FileLogOptions.from_spec(logs),
            on_bytes=lambda size: progress.advance(self.part, size),
            cancel=run.cancel,
        )


def _stored_bytes(paths: Sequence[Path]) -> int | None:
    """The files' sizes as stored, summed (the progress total); None when one cannot be
    read (reading it is the collector's business: it records the error)."""
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except OSError:
            return None
    return total


@dataclass(frozen=True)
class CodeCollector:
    """``[code]``: the markers in the checkout, and from git the commit that brought each fix
    into the checked-out branch."""

    part: str = "code"
    section: str = "code"
    after: tuple[str, ...] = ()

    def wanted(self, run: RunContext) -> bool:
        """When the spec has ``[code]``."""
        return run.loaded.spec.code is not None

    def provenance(self, run: RunContext) -> str:
        """``files under <code.root>``."""
        return f"files under {run.loaded.code_root}"

    def collect(self, run: RunContext, earlier: Mapping[str, Frozen | None]) -> Frozen:
        """The code evidence, ``root`` shown relative to the spec's folder.

        Git is asked for the fix commit of every hotfix with code markers: the fix time
        when no ``fixed_at`` is given, and the commit ``image_contains_fix`` looks for.
        """
        root = run.loaded.code_root
        if root is None:
            raise ValueError("no [code] in the spec")  # guarded by `wanted`
        hotfixes = run.loaded.spec.hotfixes
        wanted = {fix.id for fix in hotfixes if fix.code}
        code = collect_code(root, hotfixes, wanted, run.redactor, git=run.git)
        return _shown_from(code, run.loaded)


def _shown_from(code: CodeEvidence, loaded: LoadedSpec) -> CodeEvidence:
    """``code.root`` as the report shows it: relative to the spec's folder when inside it."""
    root = Path(code.root)
    shown = (
        root.relative_to(loaded.base_dir).as_posix()
        if root.is_relative_to(loaded.base_dir)
        else str(root)
    )
    return code.model_copy(update={"root": shown or "."})


@dataclass(frozen=True)
class RevisionCollector:
    """The commit the image was built from (its revision label, else ``[image] revision``),
    looked up in the ``[code]`` checkout: does it hold each fix commit?"""

    part: str = "revision"
    section: str = "image"
    after: tuple[str, ...] = ("image_config", "code")

    def wanted(self, run: RunContext) -> bool:
        """With a ``[code]`` checkout to ask."""
        return run.loaded.spec.code is not None and run.git is not None

    def provenance(self, run: RunContext) -> str:
        """``git merge-base --is-ancestor`` in the checkout."""
        return f"git merge-base --is-ancestor in {run.loaded.code_root}"

    def collect(self, run: RunContext, earlier: Mapping[str, Frozen | None]) -> Frozen | None:
        """The revision evidence; None when there is no revision to look for and none was
        expected (the image was read and carries no revision label) or no git checkout."""
        code = earlier.get("code")
        config = earlier.get("image_config")
        if not isinstance(code, CodeEvidence) or not code.is_git or run.git is None:
            return None
        spec_revision = run.loaded.spec.image.revision
        label = config.revision if isinstance(config, ImageConfigEvidence) else None
        source: Literal["label", "spec"]
        if label is not None:
            revision, source = label, "label"
        elif spec_revision is not None:
            revision, source = spec_revision, "spec"
        elif isinstance(config, ImageConfigEvidence) and config.error is not None:
            return RevisionEvidence(error=_unreadable(config.error))
        else:
            return None
        fixes = {c.hotfix: c.commit for c in code.fix_commits}
        return collect_revision(run.git, revision, source, fixes)


def _unreadable(error: EvidenceError) -> EvidenceError:
    """The image's labels could not be read, and the spec gives no ``[image] revision``."""
    return EvidenceError(
        operation=error.operation,
        code=error.code,
        message=f"the image's labels could not be read and [image] revision is not set "
        f"({error.message})",
    )


COLLECTORS: tuple[Collector, ...] = (
    ImageCollector(),
    ServiceCollector(),
    LogsCollector(),
    CodeCollector(),
    ImageConfigCollector(),
    RevisionCollector(),
)
"""Every collector, in the order their parts appear in the evidence."""
