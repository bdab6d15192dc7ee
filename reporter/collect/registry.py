"""The collectors a run walks, in report order; a new source of evidence is one entry here.

Each entry adapts one collector module (:mod:`~reporter.collect.ecr`,
:mod:`~reporter.collect.ecs`, :mod:`~reporter.collect.logs` /
:mod:`~reporter.collect.files`, :mod:`~reporter.collect.code`) to
:class:`~reporter.collect.interface.Collector`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reporter.collect.code import collect_code
from reporter.collect.ecr import Boto3Ecr, collect_image
from reporter.collect.ecs import Boto3Ecs, collect_service
from reporter.collect.files import collect_files
from reporter.collect.interface import Collector, RunContext
from reporter.collect.logs import Boto3Logs, collect_cloudwatch
from reporter.model import CodeEvidence, Frozen
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
        return collect_image(Boto3Ecr(run.clients.ecr), run.loaded.spec.image)


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
        return collect_service(Boto3Ecs(run.clients.ecs), spec.service, spec.image.repository)


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
        """The log groups or the files, and the window."""
        logs = run.loaded.spec.logs
        if logs.files is None:
            return "CloudWatch Logs FilterLogEvents " + ", ".join(logs.log_groups)
        return "local log files " + ", ".join(logs.files)

    def collect(self, run: RunContext, earlier: Mapping[str, Frozen | None]) -> Frozen:
        """The logs evidence."""
        logs = run.loaded.spec.logs
        if logs.files is None:
            return collect_cloudwatch(
                Boto3Logs(run.clients.logs),
                logs.log_groups[0],
                run.since,
                run.until,
                run.markers,
                run.redactor,
            )
        return collect_files(
            run.loaded.log_files(),
            run.loaded.base_dir,
            run.since,
            run.until,
            run.markers,
            run.redactor,
        )


def fix_commits_wanted(loaded: LoadedSpec) -> set[str]:
    """The hotfixes whose fix time must come from git (no ``fixed_at`` for them)."""
    spec = loaded.spec
    if spec.fixed_at is not None:
        return set()
    return {f.id for f in spec.hotfixes if f.fixed_at is None and f.code}


@dataclass(frozen=True)
class CodeCollector:
    """``[code]``: the markers in the checkout, and from git when each fix was committed."""

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
        """The code evidence, ``root`` shown relative to the spec's folder."""
        root = run.loaded.code_root
        if root is None:
            raise ValueError("no [code] in the spec")  # guarded by `wanted`
        code = collect_code(
            root, run.loaded.spec.hotfixes, fix_commits_wanted(run.loaded), run.redactor
        )
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


COLLECTORS: tuple[Collector, ...] = (
    ImageCollector(),
    ServiceCollector(),
    LogsCollector(),
    CodeCollector(),
)
"""Every collector, in the order their parts appear in the evidence."""
