"""The command line: options in, exit code out. The work is done elsewhere."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from reporter.errors import Cancelled, InputError
from reporter.model import Bundle
from reporter.render import OutputFormat, TemplateSet
from reporter.text import visible

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
DEFAULT_FORMATS = (OutputFormat.MD, OutputFormat.PDF)

app = typer.Typer(
    name="reporter",
    help="Prove whether a hotfix is really running in production, and write the proof up.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

SpecArg = Annotated[
    Path, typer.Argument(metavar="SPEC.toml", help="The TOML spec.", show_default=False)
]
FormatOpt = Annotated[
    list[OutputFormat] | None,
    typer.Option("--format", "-f", help="Output format; repeat for several. Default: md and pdf."),
]
OutputDirOpt = Annotated[
    Path, typer.Option("--output-dir", "-o", help="Folder for the reports (created).")
]
NowOpt = Annotated[
    str | None,
    typer.Option(
        "--now", help="Fix 'now' (RFC 3339, with a zone): end of the log window and report date."
    ),
]
TemplateDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--template-dir", help="Templates here override the packaged ones of the same name."
    ),
]
# --- report templates (the report's template set: --template) --------------------------
TemplateOpt = Annotated[
    str,
    typer.Option(
        "--template",
        help="The template set of the md, html and pdf reports: 'report' (default) or "
        "'postmortem' (the Google SRE postmortem sections).",
    ),
]


def _template(name: str) -> TemplateSet:
    """The template set named ``name``; bad input otherwise."""
    try:
        return TemplateSet(name)
    except ValueError:
        choices = ", ".join(t.value for t in TemplateSet)
        raise InputError(
            "--template", f"unknown template set {name!r} (one of: {choices})"
        ) from None


# ---------------------------------------------------------------------------------------
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", help="AWS profile (overrides the spec and AWS_PROFILE).")
]
RegionOpt = Annotated[
    str | None, typer.Option("--region", help="AWS region (overrides the spec and AWS_REGION).")
]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url", help="Send AWS calls here (overrides the spec and AWS_ENDPOINT_URL)."
    ),
]


def _now(value: str | None) -> datetime:
    from reporter.pipeline import utc_now
    from reporter.spec import parse_now

    return parse_now(value) if value is not None else utc_now()


def _formats(values: Sequence[OutputFormat] | None) -> list[OutputFormat]:
    chosen = list(dict.fromkeys(values or DEFAULT_FORMATS))
    return chosen


def _echo_paths(paths: Sequence[Path]) -> None:
    for path in paths:
        typer.echo(str(path))


def _echo_verdict(bundle: Bundle, exits: bool = True) -> None:
    """The verdict table: one row per hotfix, then the checks that did not pass."""
    from reporter.model import Status

    width = max([len("HOTFIX"), *(len(h.id) for h in bundle.hotfixes)])
    typer.echo("")
    typer.echo(f"{'HOTFIX':<{width}}  VERDICT")
    for result in bundle.hotfixes:
        typer.echo(f"{result.id:<{width}}  {result.verdict.value}")
    open_checks = [c for c in bundle.checks if c.status in (Status.FAIL, Status.UNKNOWN)]
    if open_checks:
        typer.echo("")
        for check in open_checks:
            summary = visible(check.summary, keep_newlines=False)
            typer.echo(f"{check.status.value.upper():<7}  {check.id}: {summary}")
    typer.echo("")
    exit_note = f" (exit {bundle.verdict.exit_code})" if exits else ""
    typer.echo(f"Verdict: {bundle.verdict.value}{exit_note}")


def _collect(
    spec: Path, now: str | None, profile: str | None, region: str | None, endpoint_url: str | None
) -> Bundle:
    from reporter.collect.aws import AwsOptions
    from reporter.pipeline import RunOptions, run

    aws = AwsOptions(profile=profile, region=region, endpoint_url=endpoint_url)
    return run(spec, _now(now), RunOptions(aws=aws))


def _version(value: bool) -> None:
    if value:
        from reporter import __version__

        typer.echo(f"reporter {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Prove whether a hotfix is really running in production, and write the proof up."""


@app.command()
def verify(
    spec: SpecArg,
    format: FormatOpt = None,
    output_dir: OutputDirOpt = Path("reports"),
    now: NowOpt = None,
    template_dir: TemplateDirOpt = None,
    profile: ProfileOpt = None,
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
    template: TemplateOpt = "report",
) -> None:
    """Collect the evidence, judge it and write the reports. Exits by verdict."""
    from reporter.render import write_reports

    formats = _formats(format)
    chosen = _template(template)
    bundle = _collect(spec, now, profile, region, endpoint_url)
    paths = write_reports(bundle, formats, output_dir, spec.stem, template_dir, chosen)
    _echo_paths(paths)
    _step_summary(bundle, paths, template_dir)
    _echo_verdict(bundle)
    raise typer.Exit(bundle.verdict.exit_code)


@app.command("collect")
def collect_command(
    spec: SpecArg,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the JSON evidence bundle.")
    ],
    now: NowOpt = None,
    profile: ProfileOpt = None,
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
) -> None:
    """Collect the evidence into a JSON bundle (and nothing else). Exits by verdict."""
    from reporter.render import write_bundle

    bundle = _collect(spec, now, profile, region, endpoint_url)
    path = write_bundle(bundle, output)
    _echo_paths([path])
    _echo_verdict(bundle)
    raise typer.Exit(bundle.verdict.exit_code)


@app.command()
def render(
    bundle_path: Annotated[
        Path,
        typer.Argument(metavar="BUNDLE.json", help="An evidence bundle from collect or verify."),
    ],
    format: FormatOpt = None,
    output_dir: OutputDirOpt = Path("reports"),
    template_dir: TemplateDirOpt = None,
    template: TemplateOpt = "report",
) -> None:
    """Render reports from a bundle, offline: no AWS call, no credentials."""
    from reporter.render import write_reports
    from reporter.render.json import load_bundle

    chosen = _template(template)
    bundle = load_bundle(bundle_path)
    _check_rejudged(bundle, bundle_path)
    paths = write_reports(
        bundle,
        _formats(format),
        output_dir,
        bundle_path.stem,
        template_dir,
        chosen,
    )
    _echo_paths(paths)
    _echo_verdict(bundle, exits=False)


# --- the GitHub Actions step summary (--format summary, appended when the variable is set) --
def _step_summary(bundle: Bundle, paths: Sequence[Path], template_dir: Path | None) -> None:
    """Append the ticket-comment summary to ``$GITHUB_STEP_SUMMARY`` when it is set; a file
    that cannot be written is said on stderr (the reports are written, the exit is the
    verdict's)."""
    from reporter.render.summary import STEP_SUMMARY, append_step_summary

    summary = f".{OutputFormat.SUMMARY.extension}"
    reports = [p.name for p in paths if not p.name.endswith(summary)]
    try:
        append_step_summary(bundle, reports, template_dir)
    except OSError as exc:
        _warn(f"cannot append the summary to ${STEP_SUMMARY}: {exc.strerror or exc}")


def _warn(message: str) -> None:
    """One warning line on stderr: secrets redacted, controls made visible."""
    from reporter.redact import Redactor

    line = " ".join(visible(Redactor()(message), keep_newlines=False).split())
    sys.stderr.write(f"reporter: warning: {line}\n")


# ---------------------------------------------------------------------------------------
def _check_rejudged(bundle: Bundle, path: Path) -> None:
    """Refuse a bundle whose checks or verdict do not follow from its own evidence."""
    from reporter import __version__
    from reporter.pipeline import rejudge

    problem = rejudge(bundle)
    if problem is not None:
        made_by = bundle.tool_version or "an unknown version"
        raise InputError(
            str(path),
            f"its checks do not follow from its evidence ({problem}): the bundle was edited, "
            f"or written by another version of reporter ({made_by}; this is {__version__})",
        )


@app.command()
def demo(output_dir: OutputDirOpt = Path("reports"), template: TemplateOpt = "report") -> None:
    """Reproduce the reference incident on an in-process AWS emulator and write md and pdf."""
    from reporter.demo import run_demo

    paths, bundle = run_demo(output_dir, _template(template))
    _echo_paths(paths)
    _echo_verdict(bundle, exits=False)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the example spec.")] = Path(
        "hotfix.toml"
    ),
) -> None:
    """Write a commented example spec (never overwrites) and its JSON Schema beside it."""
    from reporter.init import write_example

    _echo_paths(write_example(path))


@app.command()
def check(spec: SpecArg) -> None:
    """Validate a spec offline (no AWS call, no git, no log reading).

    Prints every problem (exit 2) or a summary of what the spec asks for (exit 0).
    """
    from reporter.spec import load_spec, summary_lines

    try:
        loaded = load_spec(spec)
    except InputError as exc:
        for line in exc.lines(limit=None):
            _error(line)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    for line in summary_lines(loaded):
        typer.echo(visible(line, keep_newlines=False))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the spec (for editors: Taplo, Even Better TOML)."""
    from reporter.spec import spec_schema_text

    typer.echo(spec_schema_text(), nl=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; bad input of any kind is exit 2, one line on stderr per problem (at most
    10: a spec can have several), never a traceback."""
    try:
        result = app(
            args=list(argv) if argv is not None else None,
            prog_name="reporter",
            standalone_mode=False,
        )
    except InputError as exc:
        for line in exc.lines(hint=" (`reporter check SPEC` lists them all)"):
            _error(line)
        return EXIT_BAD_INPUT
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt, Cancelled):
        _error("interrupted")
        return EXIT_INTERRUPTED
    except typer.TyperException as exc:  # typer's own click: usage errors, bad options
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `reporter`: the help, as help
            sys.stdout.write(f"{getattr(exc, 'message', '')}\n")
            return 0
        format_message = getattr(exc, "format_message", None)
        _error(str(format_message()) if callable(format_message) else str(exc))
        return EXIT_BAD_INPUT
    return int(result) if isinstance(result, int) else 0


def _error(message: str) -> None:
    """One line on stderr: secrets redacted (built-in rules), controls made visible."""
    from reporter.redact import Redactor

    line = " ".join(visible(Redactor()(message), keep_newlines=False).split())
    sys.stderr.write(f"reporter: error: {line}\n")


def entry() -> None:
    """The ``reporter`` command: :func:`main`, then exit with its code.

    An interrupted run leaves at once: worker threads still waiting on a network answer
    are not waited for (they have been told to stop, and the run wrote nothing).
    """
    code = main()
    if code == EXIT_INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)
    sys.exit(code)


if __name__ == "__main__":
    entry()
