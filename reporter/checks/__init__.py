"""Checks: small pure functions from evidence to a status and one sentence a person reads.

None of them is optimistic: evidence that is missing, incomplete or failed to arrive makes
a check ``unknown`` (and the sentence says why), never ``pass``. The registry
(:mod:`reporter.checks.registry`) lists every kind with its scope and function; verdicts
follow CONTRACT section 4 (:mod:`reporter.checks.verdict`).
"""

from __future__ import annotations

from reporter.checks.base import Context, Finding, FixTime
from reporter.checks.fix import code_has_marker, fix_time, image_after_fix
from reporter.checks.image import image_found
from reporter.checks.logs import logs_expected, logs_retired
from reporter.checks.registry import HOTFIX_CHECKS, SHARED_CHECKS, run_checks
from reporter.checks.service import (
    service_restarted_after_push,
    service_runs_image,
    service_stable,
)
from reporter.checks.verdict import hotfix_verdict, judge, report_verdict
from reporter.checks.wording import image_repository, span, when

__all__ = [
    "HOTFIX_CHECKS",
    "SHARED_CHECKS",
    "Context",
    "Finding",
    "FixTime",
    "code_has_marker",
    "fix_time",
    "hotfix_verdict",
    "image_after_fix",
    "image_found",
    "image_repository",
    "judge",
    "logs_expected",
    "logs_retired",
    "report_verdict",
    "run_checks",
    "service_restarted_after_push",
    "service_runs_image",
    "service_stable",
    "span",
    "when",
]
