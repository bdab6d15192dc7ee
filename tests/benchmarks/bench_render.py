"""Rendering at the spec's limits: each format's size and time (``make bench``).

:func:`limits_bundle` builds a bundle as large as a spec allows: 100 hotfixes with 50
expected log texts each (every other one seen, with its 5 latest excerpts), 10,000 local log
files, 100 checklist items of 2,000 characters and the 5 notes at 50,000 characters each.
:func:`hostile_notes` swaps the notes for the inputs that used to cost quadratic time or
crash (thousands of ``[``, deep quotes, unclosed fences...). The tests build the same
bundles at small sizes (``tests/render/test_limits.py``).

Nothing here asserts a speed: the figures are printed for a person to compare.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from reporter.checks import judge, run_checks
from reporter.model import (
    Bundle,
    ContainerEvidence,
    DeploymentEvidence,
    Evidence,
    ImageEvidence,
    LogExcerpt,
    LogMatch,
    LogsEvidence,
    ServiceEvidence,
    TaskEvidence,
)
from reporter.spec import MAX_HOTFIXES, MAX_LINE_CHARS, MAX_NOTE_CHARS, MAX_TEXTS, parse_spec

START = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
DIGEST = "sha256:" + "4f" * 32
NOTE_KEYS = ("summary", "root_cause", "impact", "user_impact", "lessons")

_NOTE_PARAGRAPH = (
    "The parser dropped **every platform but the last** when the model answered with "
    "several sections; see [the runbook](https://runbooks.example.com/parser#sections) "
    "and `parse_sections()` in *backend/app/agents/parser.py*. Tracked in "
    "[INC-2025-1126](https://tickets.example.com/INC-2025-1126).\n\n"
    "- first, the buffered content was parsed once per platform;\n"
    "- then, the `platform` field was `None` for `linkedin` items;\n"
    "  1. nested detail with a [link](mailto:oncall@example.com)\n\n"
    "> Quoted from the on-call log: *deploy skipped, docs said DEPLOYED*.\n\n"
    "```python\nsections = re.split(r'^## ', text, flags=re.M)\n```\n\n"
)


def realistic_note(chars: int = MAX_NOTE_CHARS) -> str:
    """A note of ``chars`` characters of ordinary Markdown: links, lists, quotes, code."""
    text = _NOTE_PARAGRAPH * (chars // len(_NOTE_PARAGRAPH) + 1)
    return text[:chars]


HOSTILE_NOTES: dict[str, Callable[[int], str]] = {
    "open brackets": lambda n: "[" * n,
    "nested brackets": lambda n: "[" * (n // 2) + "]" * (n // 2),
    "images": lambda n: "![" * (n // 2),
    "unclosed links": lambda n: "[a](" * (n // 4),
    "reference openers": lambda n: "[a][" * (n // 4),
    "deep quotes": lambda n: ">" * n,
    "deep lists": lambda n: "- " * ((n - 1) // 2) + "x",
    "escapes": lambda n: "\\*" * (n // 2),
    "tags": lambda n: "<a" * (n // 2),
    "fences of every length": lambda n: "\n".join("`" * (3 + k) for k in range(int(n**0.5))),
    "emphasis": lambda n: "*a " * (n // 6) + "a*" * (n // 6),
}
"""Notes that used to cost quadratic time (or crash the PDF), by name: ``n`` characters."""


def hostile_notes(kind: str, chars: int = MAX_NOTE_CHARS) -> dict[str, str]:
    """The five notes, each ``chars`` characters of the hostile pattern ``kind``."""
    return dict.fromkeys(NOTE_KEYS, HOSTILE_NOTES[kind](chars))


def limits_bundle(
    hotfixes: int = MAX_HOTFIXES,
    texts: int = MAX_TEXTS,
    files: int = 10_000,
    checklist: int = MAX_HOTFIXES,
    item_chars: int = MAX_LINE_CHARS,
    notes: dict[str, str] | None = None,
    text_chars: int = 60,
    excerpt_chars: int = 200,
) -> Bundle:
    """A bundle read from local files, as large as asked (default: the limits), judged by
    the real checks.

    Every hotfix expects ``texts`` texts; every other one was seen (5 excerpts of
    ``excerpt_chars``), so each hotfix's ``logs_expected`` fails (NOT_DEPLOYED) and the
    report asks to look for the unseen texts again.
    """
    texts_of = [
        [f"hotfix {h} marker {t} " + "x" * max(0, text_chars - 20) for t in range(texts)]
        for h in range(hotfixes)
    ]
    spec = parse_spec(
        {
            "title": "Hotfix Verification Report at the limits",
            "incident": "INC-LIMITS",
            "claimed_deployed_at": START.isoformat(),
            "fixed_at": (START - timedelta(hours=1)).isoformat(),
            "aws": {"region": "us-east-1"},
            "image": {"repository": "backend", "tag": "latest"},
            "service": {"cluster": "prod", "name": "backend"},
            "logs": {
                "files": ["logs/**/*.log", "logs/**/*.log.gz"],
                "until": (START + timedelta(hours=2)).isoformat(),
            },
            "hotfix": [
                {"id": f"fix-{h:03d}", "title": f"Fix number {h}", "expect_logs": texts_of[h]}
                for h in range(hotfixes)
            ],
            "checklist": [
                {"item": (f"Item {n}: confirm **by hand** " + "y" * item_chars)[:item_chars]}
                for n in range(checklist)
            ],
            "notes": notes if notes is not None else dict.fromkeys(NOTE_KEYS, realistic_note()),
        },
        "limits.toml",
    )
    matches = []
    for h in range(hotfixes):
        for t, text in enumerate(texts_of[h]):
            seen = t % 2 == 0
            excerpts = tuple(
                LogExcerpt(
                    timestamp=START + timedelta(minutes=e),
                    stream=f"logs/app-{(h * texts + t) % max(files, 1):05d}.log:{e + 1}",
                    message=(text + " " + "z" * excerpt_chars)[:excerpt_chars],
                )
                for e in range(5 if seen else 0)
            )
            matches.append(
                LogMatch(
                    text=text,
                    kinds=("expected",),
                    count=len(excerpts) * 7,
                    first_seen=excerpts[0].timestamp if excerpts else None,
                    last_seen=excerpts[-1].timestamp if excerpts else None,
                    excerpts=excerpts,
                )
            )
    logs = LogsEvidence(
        source="files",
        files=tuple(f"logs/2025/11/26/app-{n:05d}.log" for n in range(files)),
        since=START,
        until=START + timedelta(hours=2),
        events_scanned=1_000_000,
        matches=tuple(matches),
    )
    task = TaskEvidence(
        arn="arn:aws:ecs:us-east-1:111122223333:task/prod/0123456789abcdef0123456789abcdef",
        last_status="RUNNING",
        started_at=START - timedelta(minutes=5),
        containers=(
            ContainerEvidence(
                name="backend",
                image="111122223333.dkr.ecr.us-east-1.amazonaws.com/backend:latest",
                image_digest=DIGEST,
                digest_source="imageDigest",
                last_status="RUNNING",
            ),
        ),
    )
    evidence = Evidence(
        collected_at=START + timedelta(hours=2),
        image=ImageEvidence(
            repository="backend",
            tag="latest",
            found=True,
            digest=DIGEST,
            tags=("latest",),
            pushed_at=START - timedelta(minutes=30),
        ),
        service=ServiceEvidence(
            cluster="prod",
            name="backend",
            found=True,
            status="ACTIVE",
            desired_count=1,
            running_count=1,
            pending_count=0,
            deployments=(
                DeploymentEvidence(
                    id="ecs-svc/1",
                    status="PRIMARY",
                    desired_count=1,
                    running_count=1,
                    pending_count=0,
                    rollout_state="COMPLETED",
                ),
            ),
            tasks=(task,),
            listed_tasks=(task.arn,),
        ),
        logs=logs,
    )
    checks = tuple(run_checks(spec, evidence))
    results, verdict = judge(spec, checks)
    return Bundle(
        verdict=verdict,
        generated_at=START + timedelta(hours=2),
        hotfixes=tuple(results),
        checks=checks,
        evidence=evidence,
        spec=spec,
        tool_version="bench",
        spec_path="limits.toml",
    )


def _timed(fn: Callable[[], bytes]) -> tuple[bytes, float]:
    """Run ``fn`` once: its result and the seconds it took."""
    began = time.perf_counter()
    data = fn()
    return data, time.perf_counter() - began


def bench_render_limits(pdf: bool = True) -> None:
    """Print size and time of each format for the bundle at the limits (HTML and PDF
    include the Markdown they are made from)."""
    from reporter.render import OutputFormat, render

    bundle = limits_bundle()
    formats = [OutputFormat.JSON, OutputFormat.MD, OutputFormat.HTML]
    if pdf:
        formats.append(OutputFormat.PDF)
    for fmt in formats:
        data, elapsed = _timed(partial(render, bundle, fmt))
        print(f"{'render limits ' + fmt.value:<36} {elapsed:8.3f} s  {len(data) / 2**20:10.2f} MiB")


def bench_render_hostile_notes() -> None:
    """Print the time of the HTML report whose five notes are each a hostile pattern."""
    from reporter.render import OutputFormat, render

    for kind in HOSTILE_NOTES:
        bundle = limits_bundle(hotfixes=1, texts=2, files=3, checklist=1, notes=hostile_notes(kind))
        data, elapsed = _timed(partial(render, bundle, OutputFormat.HTML))
        print(f"{'html, 5 notes of ' + kind:<36} {elapsed:8.3f} s  {len(data) / 2**20:10.2f} MiB")


def main() -> None:
    """The rendering benchmarks alone: ``python -m tests.benchmarks.bench_render``."""
    bench_render_hostile_notes()
    bench_render_limits()


if __name__ == "__main__":
    main()
