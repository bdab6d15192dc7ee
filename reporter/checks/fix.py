"""Per hotfix: the code holds the marker (``code_has_marker``), and the image was pushed
after the fix (``image_after_fix``), with the fix time derived once (:func:`fix_time`)."""

from __future__ import annotations

from reporter.checks.base import FAIL, PASS, UNKNOWN, Finding, FixTime, worst
from reporter.checks.wording import listed, quoted, span, when
from reporter.model import CodeEvidence, Facts, FixTimeFact, ImageEvidence, Status
from reporter.spec import HotfixSection, Spec


def code_has_marker(hotfix: HotfixSection, code: CodeEvidence | None) -> Finding:
    """``<hotfix>.code_has_marker``: each ``code`` entry's text is in its file."""
    if code is None:
        return Finding(UNKNOWN, "No [code] section: the checkout was not looked at.")
    if code.error is not None:
        return Finding(UNKNOWN, f"Could not read the checkout {code.root}: {code.error.line()}")
    results: list[tuple[Status, str]] = []
    for entry in hotfix.code:
        found = next(
            (
                m
                for m in code.markers
                if m.hotfix == hotfix.id and m.path == entry.path and m.text == entry.contains
            ),
            None,
        )
        what = f"{quoted(entry.contains)} in {entry.path}"
        if found is None:
            results.append((UNKNOWN, f"{what}: not looked up"))
        elif found.found is None:
            why = found.error.line() if found.error else "the file could not be read"
            results.append((UNKNOWN, f"{what}: {why}"))
        elif not found.found:
            missing = (
                "the file does not exist" if found.file_exists is False else "text not present"
            )
            results.append((FAIL, f"{what}: {missing}"))
        else:
            lines = ", ".join(str(n) for n in found.lines[:5])
            results.append((PASS, f"{what} at line {lines}"))
    status, texts = worst(results)
    return Finding(status, ("Found " if status is PASS else "") + listed(texts) + ".")


def fix_time(hotfix: HotfixSection, spec: Spec, code: CodeEvidence | None) -> FixTime:
    """The hotfix's ``fixed_at``, else the spec's, else the commit that brought its code
    markers into the checked-out branch (first-parent history, committer time)."""
    if hotfix.fixed_at is not None:
        return FixTime(
            hotfix.fixed_at,
            f"fixed_at of hotfix {hotfix.id} in the spec",
            FixTimeFact(at=hotfix.fixed_at, source="hotfix"),
        )
    if spec.fixed_at is not None:
        return FixTime(
            spec.fixed_at, "fixed_at in the spec", FixTimeFact(at=spec.fixed_at, source="spec")
        )
    if not hotfix.code:
        return _unknown("no fixed_at in the spec and no code markers to find the fix commit by")
    if code is None:
        return _unknown("no fixed_at in the spec and no [code] checkout to ask git")
    commit = code.fix_commit(hotfix.id)
    if commit is None:
        return _unknown("git was not asked for the fix commit")
    if commit.error is not None or commit.committed_at is None or commit.commit is None:
        why = commit.error.line() if commit.error else "no commit date"
        return _unknown(f"no fixed_at in the spec and no fix commit from git ({why})")
    how = (
        f"merge {commit.commit[:10]} that brought the code markers into the branch"
        if commit.via_merge
        else f"git commit {commit.commit[:10]} that added the code markers"
    )
    return FixTime(
        commit.committed_at,
        how,
        FixTimeFact(
            at=commit.committed_at,
            source="git",
            commit=commit.commit,
            subject=commit.subject,
            via_merge=commit.via_merge,
            introduced_by=commit.introduced_by,
            method=commit.method,
        ),
    )


def _unknown(why: str) -> FixTime:
    return FixTime(None, why, FixTimeFact(unknown_because=why))


def image_after_fix(fix: FixTime, image: ImageEvidence) -> Finding:
    """``<hotfix>.image_after_fix``: the image was pushed at or after the fix time."""
    facts = Facts(fix_time=fix.fact)
    if fix.at is None:
        return Finding(UNKNOWN, f"Fix time unknown: {fix.source}.", facts)
    if image.error is not None:
        return Finding(UNKNOWN, f"No push time: {image.error.line()}", facts)
    if not image.found:
        return Finding(
            UNKNOWN, f"No push time: {image.repository}:{image.tag} is not in ECR.", facts
        )
    if image.pushed_at is None:
        return Finding(UNKNOWN, "ECR returned no imagePushedAt for the image.", facts)
    if image.pushed_at < fix.at:
        return Finding(
            FAIL,
            f"Image pushed {when(image.pushed_at)}, "
            f"{span(fix.at - image.pushed_at)} before the fix "
            f"({when(fix.at)}, {fix.source}): it cannot contain the fix.",
            facts,
        )
    return Finding(
        PASS,
        f"Image pushed {when(image.pushed_at)}, "
        f"at or after the fix ({when(fix.at)}, {fix.source}).",
        facts,
    )
