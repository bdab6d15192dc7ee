"""Per hotfix: the commit the image was built from holds the fix (``image_contains_fix``).

Stronger than a comparison of times: the image's revision (its OCI label, or
``[image] revision``) has the fix commit as an ancestor in the ``[code]`` checkout, or it
does not (``git merge-base --is-ancestor FIX REVISION``).
"""

from __future__ import annotations

import shlex

from reporter.checks.base import FAIL, PASS, UNKNOWN, Finding
from reporter.model import AncestryFact, Facts, RevisionEvidence
from reporter.spec import HotfixSection

SHORT = 7
"""Digits of a commit id in a sentence."""
COMMAND_DIGITS = 12
"""Digits of a commit id in the command a sentence quotes (the facts keep the full ids)."""


def ancestry_command(fix_commit: str, revision: str) -> str:
    """The command that answers the question again (exit 0: contains, 1: does not)."""
    return shlex.join(["git", "merge-base", "--is-ancestor", fix_commit, revision])


def image_contains_fix(hotfix: HotfixSection, revision: RevisionEvidence) -> Finding:
    """``<hotfix>.image_contains_fix``: the image's revision has the fix commit as an ancestor."""
    entry = next((f for f in revision.fixes if f.hotfix == hotfix.id), None)
    fix_commit = entry.fix_commit if entry is not None else None
    rev = revision.commit or revision.revision
    fact = AncestryFact(
        revision=revision.revision,
        source=revision.source,
        commit=revision.commit,
        committed_at=revision.committed_at,
        fix_commit=fix_commit,
        contains=entry.contains if entry is not None else None,
        command=ancestry_command(fix_commit, rev) if fix_commit and rev else None,
    )
    facts = Facts(ancestry=fact)
    if revision.error is not None:
        what = f"the image's revision {revision.revision[:12]}" if revision.revision else "it"
        return Finding(
            UNKNOWN,
            f"Could not tell whether the image holds the fix: could not look up {what}: "
            f"{revision.error.line()}",
            facts,
        )
    built = _built_from(revision)
    if entry is None or fix_commit is None:
        why = f": {entry.error.line()}" if entry is not None and entry.error else ""
        return Finding(UNKNOWN, f"{built}, but no fix commit is known to look for{why}.", facts)
    fix = fix_commit[:SHORT]
    again = ancestry_command(fix_commit[:COMMAND_DIGITS], (rev or "")[:COMMAND_DIGITS])
    if entry.contains is True:
        return Finding(PASS, f"{built}, which contains fix {fix} ({again}).", facts)
    if entry.contains is False:
        return Finding(
            FAIL,
            f"{built}, which does not contain fix {fix}: the image cannot hold the fix ({again}).",
            facts,
        )
    why = entry.error.line() if entry.error else "git gave no answer"
    return Finding(UNKNOWN, f"{built}; whether it contains fix {fix} is unknown: {why}.", facts)


def _built_from(revision: RevisionEvidence) -> str:
    rev = (revision.commit or revision.revision or "?")[:SHORT]
    how = "per its revision label" if revision.source == "label" else "per [image] revision"
    when = f"{revision.committed_at:%Y-%m-%d}, " if revision.committed_at else ""
    return f"The image was built from {rev} ({when}{how})"


def revision_source(revision: RevisionEvidence | None, root: str) -> str:
    """Where the answer comes from, for a check's ``source``."""
    how = "image label" if revision and revision.source == "label" else "[image] revision"
    return f"{how}; git merge-base --is-ancestor in {root}"
