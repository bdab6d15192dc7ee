"""``make screenshot``: docs/terminal.png, the README's picture of a real run.

A real ``reporter verify --wait`` runs in a child process against moto's server (the
demo's registry layer in front) holding the reference incident mid-deploy: the service's
tasks still run the previous image and the fixed code has logged nothing. A layer in front
of the emulator completes the deploy when the third round starts (tests/deploy.py), so
the run shows two rounds waiting, then VERIFIED. Its terminal output (colours forced, as
on a terminal) is drawn by rich and exported as SVG, WeasyPrint makes the SVG a PDF (it
fetches nothing), and ``pdftoppm`` (poppler-utils) makes the PNG.

    python -m tests.screenshot docs/terminal.png
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from reporter.collect.aws import make_clients
from reporter.demo.registry_layer import moto_app, serve
from reporter.demo.seed import seed_incident
from reporter.demo.server import prepare, restore
from tests.conftest import emulator_options
from tests.deploy import NOW, SPEC, DeployOnCall, before_deploy, complete_deploy

COMMAND = ["verify", "hotfix.toml", "--wait", "15m", "--interval", "2s", "-f", "pdf", "-f", "junit"]
"""What the picture shows being typed (``--now`` is added to run it, and not shown: the
incident's logs are from 2025)."""
WIDTH = 118
"""Terminal columns."""
RESOLUTION = 96
"""PNG pixels per inch (the SVG is laid out at 96 CSS pixels per inch: 1:1)."""


def terminal_output() -> str:
    """The run's stdout and stderr as a terminal shows them, colours included."""
    with serve(moto_app(), name="screenshot-moto") as moto_url:
        prepare(moto_url)
        try:
            clients = make_clients(emulator_options(moto_url))
            seed_incident(clients)
            before_deploy(clients)
            layer = DeployOnCall(
                moto_app(), "DescribeServices", 3, lambda: complete_deploy(clients)
            )
            with (
                serve(layer, name="screenshot-deploy") as url,
                tempfile.TemporaryDirectory(prefix="reporter-screenshot-") as folder,
            ):
                Path(folder, "hotfix.toml").write_text(SPEC.format(endpoint=url), "utf-8")
                env = {
                    **os.environ,
                    "FORCE_COLOR": "1",
                    "COLUMNS": str(WIDTH),
                    "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing",
                }
                env.pop("NO_COLOR", None)
                env.pop("AWS_PROFILE", None)
                done = subprocess.run(
                    [sys.executable, "-m", "reporter", *COMMAND, "--now", NOW],
                    cwd=folder,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    timeout=300,
                    check=False,
                )
        finally:
            restore(moto_url)
    if done.returncode != 0:
        raise SystemExit(f"the run ended {done.returncode}:\n{done.stdout.decode()}")
    return done.stdout.decode("utf-8")


def svg_of(output: str) -> str:
    """The terminal (prompt, command, output) as rich's SVG export, with local fonts only."""
    from rich.console import Console
    from rich.text import Text

    console = Console(
        record=True,
        width=WIDTH,
        force_terminal=True,
        color_system="truecolor",
        file=io.StringIO(),
    )
    console.print(Text.assemble(("$ ", "bold green"), ("reporter " + " ".join(COMMAND), "bold")))
    console.print(Text.from_ansi(output.rstrip("\n")))
    svg = console.export_svg(title="reporter verify --wait")
    svg = re.sub(r"@font-face\s*\{.*?\}", "", svg, flags=re.DOTALL)  # no web fonts
    return svg.replace("Fira Code", "DejaVu Sans Mono")


def png_of(svg: str, target: Path) -> None:
    """The SVG as a PNG: WeasyPrint lays it on a page of its size, pdftoppm rasterises it."""
    from weasyprint import HTML

    from reporter.render.pdf import refusing_fetcher

    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise SystemExit("pdftoppm is missing: apt-get install -y poppler-utils")
    match = re.search(r'viewBox="0 0 ([0-9.]+) ([0-9.]+)"', svg)
    if match is None:
        raise SystemExit("rich's SVG has no viewBox")
    width, height = (float(v) for v in match.groups())
    page = (
        f"<style>@page {{ size: {width}px {height}px; margin: 0 }} body {{ margin: 0 }}</style>"
        + svg
    )

    with tempfile.TemporaryDirectory(prefix="reporter-screenshot-") as folder:
        pdf = Path(folder) / "terminal.pdf"
        HTML(string=page, base_url=None, url_fetcher=refusing_fetcher()).write_pdf(pdf)
        stem = Path(folder) / "terminal"
        subprocess.run(
            [pdftoppm, "-png", "-singlefile", "-r", str(RESOLUTION), str(pdf), str(stem)],
            check=True,
            timeout=120,
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(stem.with_suffix(".png"), target)


def main(argv: list[str]) -> int:
    """Write the PNG to ``argv[0]`` (default ``docs/terminal.png``)."""
    target = Path(argv[0] if argv else "docs/terminal.png")
    png_of(svg_of(terminal_output()), target)
    print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
