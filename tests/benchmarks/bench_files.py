"""Local log files against ``grep -F -c -f``: the scanner engines side by side (issue 7).

Generates, in a temporary folder, a 300 MB log file (ISO 8601 lines, a traceback's
indented line now and then, 10 watched texts that share no prefix, one text every ~1000
lines) and a 1 GB one gzip-compressed. With the page cache warm, it runs in one go:
``grep -F -c -f`` (``zgrep`` for the gzip), then ``collect_files`` in a child process per
scanner engine (``REPORTER_SCANNER``; with Hyperscan, blocks are read by one SIMD pass),
the same 300 MB split into 4 files (read in parallel), a 30 MB and a 1.2 GB file (peak
memory at three sizes), and the per-line reading of the previous version (on a 30 MB
slice, scaled). grep and ``collect_files`` on the 300 MB file run 3 times, one after the
other, and the median of each is shown (the machine may be busy: the spread is printed
too). For each: wall time, CPU time (user + system), the ratio to grep's, and the
child's peak RSS. ``collect_files`` times its own scan (the interpreter's start and
imports, ~0.3 s, are left out); grep's are whole runs. Counts are checked against grep's.
The 1 GB gzip and the 1.2 GB file are skipped when the temporary folder has less than
3 GB free.

Nothing here asserts a speed; the figures are printed for a person (and the README).
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

TEXTS = (
    "Requested platforms",
    "zebra crossing alert",
    "Kestrel timeout",
    "quota exceeded for",
    "MISSING_CONFIG_KEY",
    "deadlock detected",
    "OutOfMemoryKiller",
    "5xx upstream burst",
    "jwt verify failed",
    "Yielding partition",
)
"""Ten texts with no common prefix."""
START = datetime(2025, 11, 26, 8, 0, tzinfo=UTC)
WORDS = (
    "the",
    "request",
    "user",
    "handled",
    "processing",
    "cache",
    "worker",
    "queue",
    "item",
    "payload",
    "response",
    "status",
    "done",
    "started",
    "GET",
    "POST",
    "health",
    "ok",
    "latency",
    "bytes",
)


def generate(path: Path, size: int, packed: bool = False) -> int:
    """A log file of about ``size`` bytes of text; the number of lines holding a text."""
    rng = random.Random(7)
    bodies = [" ".join(rng.choices(WORDS, k=12)) for _ in range(997)]
    holding = 0
    out = path.open("wb")
    writer = None
    if packed:
        writer = subprocess.Popen(["gzip", "-1", "-c"], stdin=subprocess.PIPE, stdout=out)
        assert writer.stdin is not None
        sink = writer.stdin
    else:
        sink = out
    written = 0
    i = 0
    with out:
        while written < size:
            chunk = []
            second = START + timedelta(seconds=i // 1000)
            stamp = second.strftime("%Y-%m-%dT%H:%M:%S")
            for n in range(1000):
                line = f"{stamp}.{n:03d}Z INFO app.worker[{n % 32}] {bodies[(i + n) % 997]}"
                if (i + n) % 997 == 0:
                    line += " " + TEXTS[((i + n) // 997) % len(TEXTS)]
                    holding += 1
                chunk.append(line + "\n")
                if n % 50 == 0:
                    chunk.append('  File "app/worker.py", line 12, in handle\n')
            data = "".join(chunk).encode()
            sink.write(data)
            written += len(data)
            i += 1000
        if writer is not None:
            sink.close()
            writer.wait()
    return holding


@dataclass
class Run:
    """One measured command."""

    wall: float
    cpu: float
    rss_mb: float
    output: str


def run(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Run a child process; its wall and CPU time and peak RSS (from ``wait4``, which may
    count the parent's memory at the fork: an upper bound for grep).

    A child that prints JSON (``count``, ``wall``, ``cpu``) measured its own scan, without
    the interpreter's start and imports: those figures are used.
    """
    began = time.perf_counter()
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, env={**os.environ, **(env or {})}, text=True
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - began
    if child.returncode not in (0, 1):  # grep exits 1 when nothing matched
        raise RuntimeError(f"{command[:3]} failed with {child.returncode}")
    cpu = usage.ru_utime + usage.ru_stime
    text = output.strip()
    if text.startswith("{"):
        own = json.loads(text)
        return Run(own["wall"], own["cpu"], own["rss"], str(own["count"]))
    return Run(wall, cpu, usage.ru_maxrss / 1024, text)


def collect_command(paths: list[Path], line_by_line_bytes: int = 0) -> list[str]:
    """A child running ``collect_files`` (or the previous per-line reading) on ``paths``."""
    args = json.dumps([str(p) for p in paths])
    return [
        sys.executable,
        "-m",
        "tests.benchmarks.bench_files",
        "child",
        args,
        str(line_by_line_bytes),
    ]


def child(paths_json: str, line_by_line_bytes: str) -> None:
    """In the child: scan, and print how many lines held a text."""
    from reporter.collect.files import collect_files
    from reporter.collect.matching import Marker
    from reporter.redact import Redactor

    paths = [Path(p) for p in json.loads(paths_json)]
    markers = [Marker(t, ("retired",)) for t in TEXTS]
    until = START + timedelta(days=1)
    wall, cpu = time.perf_counter(), time.process_time()
    if int(line_by_line_bytes):
        count = previous_version(paths[0], int(line_by_line_bytes))
    else:
        evidence = collect_files(paths, paths[0].parent, START, until, markers, Redactor())
        count = sum(m.count + m.outside_window + m.unknown_time for m in evidence.matches)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"count": count, "wall": wall, "cpu": cpu, "rss": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's peak RSS: ``VmHWM`` (Linux; reset by exec, unlike ``ru_maxrss``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def previous_version(path: Path, limit: int) -> int:
    """The reading before issue 7: line by line, every text tested on every event."""
    from reporter.collect.matching import Classifier, Marker

    classifier = Classifier([Marker(t, ("retired",)) for t in TEXTS])
    read = 0
    with path.open("rb") as handle:
        for raw in handle:
            read += len(raw)
            if read > limit:
                break
            line = raw.decode("utf-8", "backslashreplace").rstrip("\n")
            if line[:1].isdigit():
                when = datetime.fromisoformat(line[:23].replace("Z", "+00:00"))
                classifier.feed(when, "f", line)
    return sum(t.count for t in classifier._tallies.values())


def engines() -> list[str]:
    from reporter.collect.scan import ENGINES, EngineUnavailable, Matcher

    out = []
    for name in ENGINES:
        try:
            Matcher([b"x"], engine=name)
        except EngineUnavailable:
            print(f"  (engine {name}: does not import here, skipped)")
            continue
        out.append(name)
    return out


def median(runs: list[Run]) -> Run:
    """The median wall and the median CPU of several runs of one command (same output)."""
    walls = sorted(r.wall for r in runs)
    cpus = sorted(r.cpu for r in runs)
    middle = len(runs) // 2
    return Run(walls[middle], cpus[middle], max(r.rss_mb for r in runs), runs[0].output)


def spread(runs: list[Run]) -> str:
    cpus = [r.cpu for r in runs]
    return f"(CPU {min(cpus):.2f}..{max(cpus):.2f} s over {len(runs)} runs)"


def report(name: str, result: Run, grep: Run, expected: int | None) -> None:
    ratio_wall = result.wall / grep.wall if grep.wall else float("inf")
    ratio_cpu = result.cpu / grep.cpu if grep.cpu else float("inf")
    check = ""
    if expected is not None:
        check = "counts = grep" if result.output == str(expected) else f"COUNT {result.output}"
    print(
        f"  {name:<34} {result.wall:7.2f} s wall ({ratio_wall:5.2f}x)  {result.cpu:7.2f} s cpu "
        f"({ratio_cpu:5.2f}x)  peak RSS {result.rss_mb:7.1f} MB  {check}"
    )


def warm(paths: list[Path]) -> None:
    for path in paths:
        with path.open("rb") as handle:
            while handle.read(16 << 20):
                pass


def bench_local_files(size: int = 300_000_000, packed_size: int = 1_000_000_000) -> None:
    """The side-by-side figures of issue 7 (see the module doc)."""
    print(f"\nlocal log files vs grep ({os.cpu_count()} cores, Python {sys.version.split()[0]})")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        patterns = folder / "texts.txt"
        patterns.write_text("\n".join(TEXTS) + "\n")
        plain = folder / "app.log"
        holding = generate(plain, size)
        print(f"  {plain.stat().st_size / 1e6:.0f} MB plain, {holding:,} lines hold a text")
        warm([plain])
        greps: list[Run] = []
        ours: list[Run] = []
        for _ in range(3):  # one after the other, so that a busy moment hits both
            greps.append(run(["grep", "-F", "-c", "-f", str(patterns), str(plain)]))
            ours.append(run(collect_command([plain])))
        grep = median(greps)
        report("grep -F -c -f", grep, grep, holding)
        print(f"  {'':<34} {spread(greps)}")
        report("collect_files (default)", median(ours), grep, holding)
        print(f"  {'':<34} {spread(ours)}")
        for engine in engines():
            result = run(collect_command([plain]), {"REPORTER_SCANNER": engine})
            report(f"collect_files [{engine}]", result, grep, holding)
        parts = split(plain, 4)
        warm(parts)
        report("collect_files, as 4 files", run(collect_command(parts)), grep, holding)
        slice_bytes = size // 10
        before = run(collect_command([plain], slice_bytes))
        scaled = Run(before.wall * 10, before.cpu * 10, before.rss_mb, "")
        report("previous version (slice, x10)", scaled, grep, None)
        for part in parts:
            part.unlink()
        plain.unlink()
        other_size(folder, patterns, "30 MB", size // 10)
        if shutil.disk_usage(folder).free < 3 * packed_size:
            print("  1.2 GB and 1 GB gzip: skipped, less than 3 GB free in the temporary folder")
            return
        other_size(folder, patterns, "1.2 GB", 4 * size)
        packed = folder / "app.log.gz"
        holding = generate(packed, packed_size, packed=True)
        print(f"  {packed_size / 1e6:,.0f} MB of text as {packed.stat().st_size / 1e6:.0f} MB gzip")
        warm([packed])
        zgrep = run(["zgrep", "-F", "-c", "-f", str(patterns), str(packed)])
        report("zgrep -F -c -f", zgrep, zgrep, holding)
        report("collect_files (gzip)", run(collect_command([packed])), zgrep, holding)


def other_size(folder: Path, patterns: Path, name: str, size: int) -> None:
    """grep and ``collect_files`` on a file of another size: peak memory stays flat."""
    path = folder / "other.log"
    holding = generate(path, size)
    warm([path])
    grep = run(["grep", "-F", "-c", "-f", str(patterns), str(path)])
    report(f"grep -F -c -f, {name}", grep, grep, holding)
    report(f"collect_files, {name}", run(collect_command([path])), grep, holding)
    path.unlink()


def split(path: Path, count: int) -> list[Path]:
    """``path`` cut at line ends into ``count`` files of about the same size (streamed)."""
    size = path.stat().st_size
    parts = []
    with path.open("rb") as source:
        for n in range(count):
            part = path.with_name(f"part{n}.log")
            with part.open("wb") as out:
                limit = size * (n + 1) // count
                while source.tell() < limit or n == count - 1:
                    chunk = source.readline() if source.tell() >= limit - (1 << 20) else None
                    if chunk is None:
                        chunk = source.read(1 << 20)
                    if not chunk:
                        break
                    out.write(chunk)
            parts.append(part)
    return parts


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2], sys.argv[3])
    else:
        bench_local_files()
