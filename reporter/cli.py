"""The command line: options in, exit code out. The work is done elsewhere.

What goes where: stdout holds the paths written and the verdict table (coloured on a
terminal, see :mod:`reporter.terminal`); stderr holds progress (a terminal only), the
``--wait`` round lines, warnings and errors. Every text taken from a bundle is made safe
to print first (:func:`reporter.terminal.shown`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reporter.errors import Cancelled, InputError
from reporter.model import Bundle
from reporter.render import OutputFormat, TemplateSet

if TYPE_CHECKING:
    from reporter.collect.aws import AwsOptions
    from reporter.wait import WaitPolicy

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
DEFAULT_FORMATS = (OutputFormat.MD, OutputFormat.PDF)

EXIT_CODES = (
    "Exit codes: 0 VERIFIED, 1 PARTIAL or NOT_DEPLOYED, 3 INCONCLUSIVE,\n"
    "            2 bad input, 130 interrupted (Ctrl-C)."
)

app = typer.Typer(
    name="reporter",
    help="Prove whether a hotfix is really running in production, and write the proof up.",
    epilog=f"\b\n{EXIT_CODES}\nRun `reporter COMMAND --help` for a command's options and examples.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _epilog(*examples: str, exits: bool = True) -> str:
    """A command's help epilog: two examples, then the exit codes (kept as written)."""
    lines = ["\b", "Examples:", *(f"  {example}" for example in examples)]
    if exits:
        lines += ["", "\b", EXIT_CODES]
    return "\n".join(lines)


SpecArg = Annotated[
    Path, typer.Argument(metavar="SPEC.toml", help="The TOML spec.", show_default=False)
]
FormatOpt = Annotated[
    list[OutputFormat] | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help=(
            f"Output format ({', '.join(f.value for f in OutputFormat)}); repeat for "
            "several. Default: md and pdf."
        ),
        show_default=False,
    ),
]
OutputDirOpt = Annotated[
    Path,
    typer.Option("--output-dir", "-o", metavar="DIR", help="Folder for the reports (created)."),
]
NowOpt = Annotated[
    str | None,
    typer.Option(
        "--now",
        metavar="RFC3339",
        help="Fix 'now' (RFC 3339, with a zone): end of the log window and report date.",
        show_default=False,
    ),
]
TemplateDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--template-dir",
        metavar="DIR",
        help="Templates here override the packaged ones of the same name.",
        show_default=False,
    ),
]
# --- report templates (the report's template set: --template) --------------------------
TemplateOpt = Annotated[
    str,
    typer.Option(
        "--template",
        metavar="NAME",
        show_default=False,
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
    str | None,
    typer.Option(
        "--profile",
        metavar="PROFILE",
        help="AWS profile (overrides the spec and AWS_PROFILE).",
        show_default=False,
    ),
]
RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region",
        metavar="REGION",
        help="AWS region (overrides the spec and AWS_REGION).",
        show_default=False,
    ),
]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        metavar="URL",
        help="Send AWS calls here (overrides the spec and AWS_ENDPOINT_URL).",
        show_default=False,
    ),
]
WaitOpt = Annotated[
    str | None,
    typer.Option(
        "--wait",
        metavar="DURATION",
        help=(
            "Collect again every --interval until the verdict is VERIFIED or DURATION is up "
            "(90s, 15m, 1h30m, or seconds); exit by the last verdict."
        ),
        show_default=False,
    ),
]
IntervalOpt = Annotated[
    str | None,
    typer.Option(
        "--interval",
        metavar="DURATION",
        help="With --wait: time from one round's start to the next. Default: 30s.",
        show_default=False,
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="No progress and no --wait round lines on stderr (errors stay)."
    ),
]


def _now(value: str | None) -> datetime | None:
    from reporter.spec import parse_now

    return parse_now(value) if value is not None else None


def _formats(values: Sequence[OutputFormat] | None) -> list[OutputFormat]:
    return list(dict.fromkeys(values or DEFAULT_FORMATS))


def _echo_paths(paths: Sequence[Path]) -> None:
    from reporter.terminal import shown

    for path in paths:
        typer.echo(shown(str(path)))


def _report(bundle: Bundle, exits: bool = True) -> None:
    """The verdict table on stdout (coloured on a terminal), then the evidence's warnings."""
    from reporter.terminal import colour_wanted, undated_warning, verdict_table

    colour = colour_wanted(sys.stdout)
    for line in verdict_table(bundle, colour, exits):
        typer.echo(line, color=colour)  # click strips colour off a terminal unless told
    warning = undated_warning(bundle)
    if warning is not None:
        _warn(warning)


def _collect(
    spec: Path,
    now: str | None,
    aws: AwsOptions,
    policy: WaitPolicy | None,
    quiet: bool,
) -> Bundle:
    """One round of collecting and judging, or with ``--wait`` as many as it takes."""
    from reporter.pipeline import build_bundle, collect, utc_now
    from reporter.spec import load_spec
    from reporter.terminal import run_progress, shown
    from reporter.wait import Round, round_line, wait_for_verified

    fixed = _now(now)
    loaded = load_spec(spec)

    def one_round(at: datetime) -> Bundle:
        with run_progress(sys.stderr, quiet) as progress:
            evidence = collect(loaded, at, aws, progress=progress)
        return build_bundle(loaded, evidence)

    if policy is None:
        return one_round(fixed or utc_now())

    def told(done: Round) -> None:
        if not quiet:
            _say(shown(round_line(done)))

    return wait_for_verified(one_round, policy, now=fixed, on_round=told)


def _aws(profile: str | None, region: str | None, endpoint_url: str | None) -> AwsOptions:
    from reporter.collect.aws import AwsOptions

    return AwsOptions(profile=profile, region=region, endpoint_url=endpoint_url)


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


@app.command(
    epilog=_epilog(
        "reporter verify hotfix.toml",
        "reporter verify hotfix.toml --wait 15m -f pdf -f junit -o reports",
    )
)
def verify(
    spec: SpecArg,
    format: FormatOpt = None,
    output_dir: OutputDirOpt = Path("reports"),
    now: NowOpt = None,
    template_dir: TemplateDirOpt = None,
    wait: WaitOpt = None,
    interval: IntervalOpt = None,
    profile: ProfileOpt = None,
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
    quiet: QuietOpt = False,
    template: TemplateOpt = "report",
) -> None:
    """Collect the evidence, judge it and write the reports. Exits by verdict.

    With --wait, collects again until the verdict is VERIFIED or the time is up, then
    writes the reports once, from the last round.
    """
    from reporter.render import write_reports
    from reporter.wait import wait_policy

    formats = _formats(format)
    chosen = _template(template)
    policy = wait_policy(wait, interval)
    bundle = _collect(spec, now, _aws(profile, region, endpoint_url), policy, quiet)
    paths = write_reports(bundle, formats, output_dir, spec.stem, template_dir, chosen)
    _echo_paths(paths)
    _step_summary(bundle, paths, template_dir)
    _report(bundle)
    raise typer.Exit(bundle.verdict.exit_code)


@app.command(
    "collect",
    epilog=_epilog(
        "reporter collect hotfix.toml -o evidence/bundle.json",
        "reporter collect hotfix.toml -o bundle.json --wait 10m --interval 1m",
    ),
)
def collect_command(
    spec: SpecArg,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="BUNDLE.json",
            help="Where to write the JSON evidence bundle (folders created).",
            show_default=False,
        ),
    ],
    now: NowOpt = None,
    wait: WaitOpt = None,
    interval: IntervalOpt = None,
    profile: ProfileOpt = None,
    region: RegionOpt = None,
    endpoint_url: EndpointOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Collect the evidence into a JSON bundle (and nothing else). Exits by verdict."""
    from reporter.render import write_bundle
    from reporter.wait import wait_policy

    policy = wait_policy(wait, interval)
    bundle = _collect(spec, now, _aws(profile, region, endpoint_url), policy, quiet)
    path = write_bundle(bundle, output)
    _echo_paths([path])
    _report(bundle)
    raise typer.Exit(bundle.verdict.exit_code)


@app.command(
    epilog=_epilog(
        "reporter render bundle.json",
        "reporter render bundle.json -f html -f junit -o reports",
        exits=False,
    )
    + "\n\n\b\nExit codes: 0 reports written, 2 bad input (an unusable or edited bundle),\n"
    "            130 interrupted (Ctrl-C)."
)
def render(
    bundle_path: Annotated[
        Path,
        typer.Argument(
            metavar="BUNDLE.json",
            help="An evidence bundle from collect or verify.",
            show_default=False,
        ),
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
    _report(bundle, exits=False)


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


DEMO_INSTALL = "pip install 'reporter[demo]'"
"""How to install what ``reporter demo`` needs (moto's server), in one line."""


def _demo_installed() -> None:
    """Bad input, in one line saying how to install it, when moto's server is missing."""
    try:
        import moto.moto_server.werkzeug_app  # noqa: F401 - the emulator the demo serves
    except ImportError as exc:
        missing = getattr(exc, "name", None) or "moto"
        raise InputError(
            "reporter demo",
            f"needs moto's server (the 'demo' extra; {missing} is not installed): {DEMO_INSTALL}",
        ) from None


@app.command(
    epilog=_epilog("reporter demo", "reporter demo -o /tmp/demo-reports", exits=False)
    + "\n\n\b\nExit codes: 0 reports written, 130 interrupted (Ctrl-C),\n"
    f"            2 bad input (moto not installed: {DEMO_INSTALL})."
)
def demo(
    output_dir: OutputDirOpt = Path("reports"),
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress on stderr (errors stay).")
    ] = False,
    template: TemplateOpt = "report",
) -> None:
    """Reproduce the reference incident on an in-process AWS emulator and write md and pdf."""
    _demo_installed()
    from reporter.demo import run_demo
    from reporter.terminal import run_progress

    chosen = _template(template)
    with run_progress(sys.stderr, quiet) as progress:
        paths, bundle = run_demo(output_dir, progress, on_note=_warn, template=chosen)
    _echo_paths(paths)
    _report(bundle, exits=False)


@app.command(
    epilog=_epilog("reporter init", "reporter init deploy/hotfix.toml", exits=False)
    + "\n\n\b\nExit codes: 0 written, 2 bad input (the file exists: never overwritten)."
)
def init(
    path: Annotated[
        Path, typer.Argument(metavar="PATH", help="Where to write the example spec.")
    ] = Path("hotfix.toml"),
) -> None:
    """Write a commented example spec (never overwrites) and its JSON Schema beside it."""
    from reporter.init import write_example

    _echo_paths(write_example(path))


@app.command(
    epilog=_epilog(
        "reporter check hotfix.toml",
        "reporter check hotfix.toml && reporter verify hotfix.toml",
        exits=False,
    )
    + "\n\n\b\nExit codes: 0 the spec is usable, 2 it is not (every problem printed)."
)
def check(spec: SpecArg) -> None:
    """Validate a spec offline (no AWS call, no git, no log reading).

    Prints every problem (exit 2) or a summary of what the spec asks for (exit 0).
    """
    from reporter.spec import load_spec, summary_lines
    from reporter.terminal import shown

    try:
        loaded = load_spec(spec)
    except InputError as exc:
        for line in exc.lines(limit=None):
            _error(line)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    for line in summary_lines(loaded):
        typer.echo(shown(line))


@app.command(
    epilog=_epilog(
        "reporter schema > spec.schema.json",
        "reporter schema | jq '.properties | keys'",
        exits=False,
    )
)
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
    code = int(result) if isinstance(result, int) else 0
    if code == EXIT_INTERRUPTED:  # typer answers a Ctrl-C it catches with 130, silently
        _error("interrupted")
    return code


def _line(message: str) -> str:
    """``message`` as one safe line: secrets redacted (built-in rules), controls visible."""
    from reporter.redact import Redactor
    from reporter.terminal import shown

    return " ".join(shown(Redactor()(message)).split())


def _error(message: str) -> None:
    """One line on stderr: ``reporter: error: ...``."""
    sys.stderr.write(f"reporter: error: {_line(message)}\n")


def _warn(message: str) -> None:
    """One line on stderr: ``reporter: warning: ...``."""
    sys.stderr.write(f"reporter: warning: {_line(message)}\n")


def _say(message: str) -> None:
    """One line on stderr: ``reporter: ...`` (the ``--wait`` rounds)."""
    sys.stderr.write(f"reporter: {_line(message)}\n")
    sys.stderr.flush()


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
