"""The TOML spec (CONTRACT section 2), read with ``tomllib`` and validated into typed models.

:func:`load_spec` is the only entry point that touches the file system. Every problem
becomes part of an :class:`~reporter.errors.InputError` whose lines each name the file and
the key (entries of arrays of tables count from 1: ``hotfix[2].id`` is the second
``[[hotfix]]``). All the problems of a spec are reported at once, not only the first.

The models' docstrings are the descriptions of :func:`spec_json_schema`, the JSON Schema
``reporter schema`` prints and editors (Taplo, Even Better TOML) validate and complete with.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from reporter.collect.logglob import GlobError, glob_files
from reporter.errors import InputError, Problem
from reporter.redact import KEEP

MAX_SPEC_BYTES = 2 * 1024 * 1024
MAX_HOTFIXES = 100
MAX_TEXTS = 50
"""Most ``expect_logs`` / ``retired_logs`` / ``code`` entries per hotfix."""
MAX_TEXT_CHARS = 500
"""A log or code marker text; CloudWatch caps a whole filter pattern at 1024 characters."""
MAX_LINE_CHARS = 2000
"""Titles, checklist items, ids of things."""
MAX_NOTE_CHARS = 50_000
MAX_REDACT_PATTERNS = 50
MAX_NAME_BYTES = 255
"""Longest file or folder name (one path component) common file systems allow, in bytes."""
MAX_PATH_BYTES = 4095
"""Longest path Linux allows (PATH_MAX less the final NUL), in bytes."""

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
REGION_PATTERN = re.compile(r"[a-z]{2,4}(?:-[a-z]+){1,3}-[0-9]{1,2}")
"""An AWS region name: ``us-east-1``, ``eu-central-2``, ``us-gov-west-1``, ``cn-north-1``."""

ACCOUNT_PATTERN = re.compile(r"[0-9]{12}")
"""An AWS account id, as ECR's ``registryId`` takes it."""
LOG_GROUP_NAME = r"[.\-_/#A-Za-z0-9]{1,512}"
"""A CloudWatch log group name (FilterLogEvents ``logGroupName``: 1 to 512 characters)."""
LOG_GROUP_ARN = r"arn:[A-Za-z0-9_#+=/:,.@-]{1,2044}"
"""A log group ARN (FilterLogEvents ``logGroupIdentifier``: at most 2048 characters)."""
LOG_GROUP_PATTERN = re.compile(f"(?:{LOG_GROUP_NAME}|{LOG_GROUP_ARN})")

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
"""The earliest datetime a spec may hold (CloudWatch counts milliseconds from here)."""
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
"""No datetime may reach this one: what is left of year 9999 keeps date arithmetic safe."""

SCHEMA_FILE = "spec.schema.json"
"""The name ``reporter init`` gives the JSON Schema it writes beside a new spec."""


def _to_datetime(value: object) -> object:
    """Accept a TOML datetime or an RFC 3339 string; refuse every other type."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        raise ValueError(
            "a date without a time; give a datetime with a zone, e.g. 2025-11-26T09:00:00Z"
        )
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(
            r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?", text
        ):
            raise ValueError(f"not an RFC 3339 datetime: {value[:60]!r}")
        try:
            return datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError as exc:
            raise ValueError(f"not an RFC 3339 datetime: {value[:60]!r} ({exc})") from exc
    raise ValueError(f"expected a datetime with a zone, got {type(value).__name__}")


def _to_utc(value: datetime) -> datetime:
    try:
        moment = value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value.isoformat()} is out of range in UTC") from None
    if not EARLIEST <= moment < LATEST:
        raise ValueError(
            f"{value.isoformat()} is out of range: give a time from 1970-01-01 to 9998-12-31"
        )
    return moment


Timestamp = Annotated[AwareDatetime, BeforeValidator(_to_datetime), AfterValidator(_to_utc)]
"""A zoned datetime, normalised to UTC. Naive datetimes are refused."""


Line = Annotated[str, Field(min_length=1, max_length=MAX_LINE_CHARS)]
MarkerText = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS)]
Note = Annotated[str, Field(max_length=MAX_NOTE_CHARS)]


def _no_controls(value: str) -> str:
    bad = next((c for c in value if ord(c) < 0x20 or ord(c) == 0x7F), None)
    if bad is not None:
        raise ValueError(f"holds the control character {bad!r}")
    return value


def _file_path(value: str) -> str:
    """A path (or glob pattern) the operating system can take: no NUL, no name too long."""
    if "\x00" in value:
        raise ValueError("holds a NUL character")
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > MAX_PATH_BYTES:
        raise ValueError(f"is {size} bytes long; paths are at most {MAX_PATH_BYTES} bytes")
    for part in re.split(r"[\\/]", value):
        size = len(part.encode("utf-8", "surrogatepass"))
        if size > MAX_NAME_BYTES:
            raise ValueError(
                f"has a file or folder name of {size} bytes ({part[:30]!r}...); "
                f"names are at most {MAX_NAME_BYTES} bytes"
            )
    return value


PathText = Annotated[Line, AfterValidator(_file_path)]


def region_problem(value: str) -> str | None:
    """Why ``value`` is not an AWS region name, or ``None`` when it is one."""
    if REGION_PATTERN.fullmatch(value):
        return None
    return f"{value[:60]!r} is not an AWS region name such as 'us-east-1'"


def endpoint_problem(value: str) -> str | None:
    """Why ``value`` cannot be an AWS endpoint URL, or ``None`` when botocore can use it.

    Refused: anything but ``http://`` or ``https://``, no host or a host botocore refuses,
    a port that is not a number from 1 to 65535, spaces and control characters.
    """
    from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "holds spaces or control characters"
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host, e.g. https://logs.us-east-1.amazonaws.com"
    try:
        port = parts.port
    except ValueError:
        return "has a port that is not a number from 1 to 65535"
    if port == 0:
        return "has a port that is not a number from 1 to 65535"
    if not (is_valid_endpoint_url(value) or is_valid_ipv6_endpoint_url(value)):
        return f"has a host name botocore refuses ({parts.hostname[:60]!r})"
    return None


def _log_group(value: str) -> str:
    if not LOG_GROUP_PATTERN.fullmatch(value):
        raise ValueError(
            f"{value[:60]!r} is not a CloudWatch log group name (1 to 512 letters, digits "
            "and . - _ / #) or a log group ARN"
        )
    return value


def _account(value: str) -> str:
    if not ACCOUNT_PATTERN.fullmatch(value):
        raise ValueError(f"{value[:60]!r} is not an AWS account id (12 digits)")
    return value


LogGroup = Annotated[
    Line,
    AfterValidator(_log_group),
    Field(json_schema_extra={"pattern": f"^{LOG_GROUP_PATTERN.pattern}$"}),
]


def _region(value: str) -> str:
    problem = region_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _endpoint_url(value: str) -> str:
    problem = endpoint_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class AwsSection(_Section):
    """``[aws]``: overrides of the standard AWS configuration chain (``--profile``,
    ``--region`` and ``--endpoint-url`` override these in turn)."""

    region: Annotated[
        Annotated[
            Line,
            AfterValidator(_region),
            Field(json_schema_extra={"pattern": f"^{REGION_PATTERN.pattern}$"}),
        ]
        | None,
        KEEP,
    ] = None
    """The AWS region, e.g. ``us-east-1`` (default: ``AWS_DEFAULT_REGION`` or the profile's)."""
    profile: Annotated[Annotated[Line, AfterValidator(_no_controls)] | None, KEEP] = None
    """The AWS profile of ``~/.aws/config`` to use (default: ``AWS_PROFILE``)."""
    endpoint_url: Annotated[Line, AfterValidator(_endpoint_url)] | None = None
    """Extension: send every AWS call to this endpoint (an emulator, a VPC endpoint)."""


DEFAULT_REVISION_LABEL = "org.opencontainers.image.revision"
"""The OCI annotation/label build pipelines stamp with the commit an image was built from."""
DEFAULT_PLATFORM = "linux/amd64"

_REVISION = re.compile(r"[0-9a-fA-F]{4,64}")
_PLATFORM = re.compile(r"[a-z0-9]+/[a-z0-9_]+(?:/[a-z0-9]+)?")


def _revision(value: str) -> str:
    if not _REVISION.fullmatch(value):
        raise ValueError(f"{value[:60]!r} is not a commit id (4 to 64 hexadecimal digits)")
    return value.lower()


def _platform(value: str) -> str:
    if not _PLATFORM.fullmatch(value):
        raise ValueError(
            f"{value[:60]!r} is not a platform such as 'linux/amd64' or 'linux/arm64/v8'"
        )
    return value


class ImageSection(_Section):
    """``[image]``: the ECR image that should carry the fixes."""

    repository: Line
    """The ECR repository's name, e.g. ``content-marketing-swarm-backend``."""
    tag: Line = "latest"
    """The tag the service deploys."""
    registry_id: (
        Annotated[
            Line,
            AfterValidator(_account),
            Field(json_schema_extra={"pattern": f"^{ACCOUNT_PATTERN.pattern}$"}),
        ]
        | None
    ) = None
    """Extension: the registry's account id (12 digits), when it is not the caller's."""
    revision_label: Line = DEFAULT_REVISION_LABEL
    """The image config label naming the commit the image was built from."""
    revision: Annotated[Line, AfterValidator(_revision)] | None = None
    """That commit, given by hand when the registry cannot be read for labels."""
    platform: Annotated[Line, AfterValidator(_platform)] = DEFAULT_PLATFORM
    """Extension: the platform whose manifest is read when the tag is a multi-platform index."""


class ServiceSection(_Section):
    """``[service]``: the ECS service that should run the image."""

    cluster: Line
    """The ECS cluster's name or ARN."""
    name: Line
    """The ECS service's name or ARN."""


MAX_GROUPS = 50
"""Most CloudWatch log groups one spec reads (a Logs Insights query takes at most 50)."""


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"{value[:60]!r} is not an IANA time zone such as 'UTC' or "
            f"'Europe/Berlin' ({type(exc).__name__})"
        ) from None
    return value


def _timestamp_pattern(value: str) -> str:
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {value[:60]!r}: {exc}") from None
    if "time" not in compiled.groupindex:
        raise ValueError(f"{value[:60]!r} has no named group 'time', e.g. (?P<time>...)")
    unknown = set(compiled.groupindex) - {"time", "message"}
    if unknown:
        raise ValueError(
            f"{value[:60]!r} has named groups other than 'time' and 'message': "
            + ", ".join(sorted(unknown))
        )
    return value


LogEngine = Literal["auto", "filter", "insights"]

_Found = list[tuple[tuple[str | int, ...], str]]
"""Problems a model validator found: (location in the spec, what is wrong)."""

_COLLECT = "reporter.spec.problems"
"""The validation-context key under which :func:`parse_spec` collects every problem."""


def _report(info: ValidationInfo, found: _Found) -> None:
    """Hand the problems a model validator found to :func:`parse_spec`, or raise the first.

    :func:`parse_spec` validates with a context holding a list: each problem is added to it
    (so a spec's problems are reported all at once, each at its key). Anyone else
    validating a :class:`Spec` (a bundle being read) gets a ``ValueError`` for the first.
    """
    if not found:
        return
    context = info.context
    sink = context.get(_COLLECT) if isinstance(context, dict) else None
    if isinstance(sink, list):
        sink.extend(found)
        return
    loc, message = found[0]
    raise ValueError(f"key '{format_location(loc)}': {message}" if loc else message)


class LogsSection(_Section):
    """``[logs]``: where the markers are looked for, and the window. Exactly one of
    ``group``, ``groups`` or ``files``."""

    group: LogGroup | None = None
    """A CloudWatch Logs group (its name or ARN), e.g. ``/ecs/content-marketing-swarm-dev``."""
    groups: tuple[LogGroup, ...] | None = Field(default=None, max_length=MAX_GROUPS)
    """Several CloudWatch log groups (at most 50)."""
    engine: LogEngine | None = None
    """CloudWatch only: FilterLogEvents (``filter``), Logs Insights (``insights``) or ``auto``
    (the default)."""
    files: tuple[PathText, ...] | None = None
    """Local log files instead: glob patterns from the spec's folder (plain or compressed)."""
    timezone: Annotated[Line, AfterValidator(_timezone)] | None = None
    """Files only: the zone of timestamps written without one (an IANA name; default UTC)."""
    timestamp_field: Line | None = None
    """Files only: the JSON field that holds an event's time."""
    timestamp_pattern: (
        Annotated[
            str, Field(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(_timestamp_pattern)
        ]
        | None
    ) = None
    """Files only: a regular expression with a named group ``time`` (and optionally
    ``message``) that finds an event's time at the start of a line."""
    timestamp_format: Line | None = None
    """Files only, with ``timestamp_pattern``: the ``strptime`` format of the ``time`` group
    (default: ISO 8601 and the common formats)."""
    since: Timestamp | None = None
    """The start of the log window (default: ``claimed_deployed_at``)."""
    until: Timestamp | None = None
    """The end of the log window (default: now, or ``--now``)."""
    context: tuple[MarkerText, ...] = Field(default=(), max_length=MAX_TEXTS)
    """Extension: texts collected and shown in the report (never judged)."""

    @model_validator(mode="after")
    def _one_source(self, info: ValidationInfo) -> LogsSection:
        found: _Found = []
        given = [k for k in ("group", "groups", "files") if getattr(self, k) is not None]
        if len(given) != 1:
            found.append((("logs",), "give exactly one of `group`, `groups` or `files`"))
        if self.files is not None and not self.files:
            found.append((("logs", "files"), "`files` is empty"))
        if self.groups is not None and not self.groups:
            found.append((("logs", "groups"), "`groups` is empty"))
        if self.files is None:
            for key in ("timezone", "timestamp_field", "timestamp_pattern", "timestamp_format"):
                if getattr(self, key) is not None:
                    found.append((("logs", key), f"`{key}` applies to local `files` only"))
        elif self.engine is not None:
            found.append(
                (("logs", "engine"), "`engine` applies to CloudWatch `group`/`groups` only")
            )
        if self.timestamp_format is not None and self.timestamp_pattern is None:
            found.append(
                (("logs", "timestamp_format"), "`timestamp_format` needs `timestamp_pattern`")
            )
        if self.since is not None and self.until is not None and self.since >= self.until:
            found.append((("logs", "since"), "`since` must be before `until`"))
        _report(info, found)
        return self

    @property
    def log_engine(self) -> LogEngine:
        """The CloudWatch engine asked for (``auto`` when not given)."""
        return self.engine or "auto"

    @property
    def zone(self) -> str:
        """The IANA zone of local timestamps written without one (``UTC`` when not given)."""
        return self.timezone or "UTC"

    @property
    def log_groups(self) -> tuple[str, ...]:
        """The CloudWatch groups to read: ``group`` or ``groups`` (empty for files)."""
        if self.group is not None:
            return (self.group,)
        return tuple(dict.fromkeys(self.groups or ()))


class CodeSection(_Section):
    """``[code]``: the checkout that holds the fixes."""

    root: PathText = "."
    """The checkout's folder, relative to the spec's folder."""


def _relative_inside(path: str) -> str:
    if (
        PurePosixPath(path).is_absolute()
        or PureWindowsPath(path).is_absolute()
        or path.startswith(("/", "\\"))
    ):
        raise ValueError(f"{path[:60]!r} is absolute; give a path relative to code.root")
    parts = re.split(r"[\\/]", path)
    if ".." in parts:
        raise ValueError(f"{path[:60]!r} leaves code.root ('..')")
    return path


class CodeMarker(_Section):
    """One ``code`` entry: a text that must be in a file under ``code.root``."""

    path: Annotated[PathText, AfterValidator(_relative_inside)]
    """The file, relative to ``code.root``."""
    contains: MarkerText
    """A literal text the fixed file holds."""


class HotfixSection(_Section):
    """One ``[[hotfix]]``: a fix claimed deployed, and the texts that prove it runs."""

    id: Annotated[Line, Field(json_schema_extra={"pattern": f"^{ID_PATTERN.pattern}$"}), KEEP]
    """Unique; letters, digits, ``-`` and ``_`` (at most 64)."""
    title: Line | None = None
    """The hotfix's name in the report (default: its id)."""
    expect_logs: Annotated[tuple[MarkerText, ...], KEEP] = Field(default=(), max_length=MAX_TEXTS)
    """Literal, case-sensitive texts only the fixed code logs."""
    retired_logs: Annotated[tuple[MarkerText, ...], KEEP] = Field(default=(), max_length=MAX_TEXTS)
    """Literal texts only the old code logs (pick texts the new code never logs)."""
    code: Annotated[tuple[CodeMarker, ...], KEEP] = Field(default=(), max_length=MAX_TEXTS)
    """Texts the fixed files hold, e.g. ``{ path = "app/ws.py", contains = "..." }``."""
    fixed_at: Timestamp | None = None
    """When this fix was committed (default: the spec's ``fixed_at``, else from git)."""

    @field_validator("id")
    @classmethod
    def _id_chars(cls, value: str) -> str:
        if not ID_PATTERN.fullmatch(value):
            raise ValueError(
                f"id {value[:60]!r} may hold only letters, digits, '-' and '_' (at most 64)"
            )
        return value

    @property
    def display_title(self) -> str:
        """The title, or the id when there is none."""
        return self.title or self.id


class ChecklistItem(_Section):
    """One ``[[checklist]]`` item: something only a person can tick."""

    item: Line
    """What to confirm (inline Markdown)."""
    done: StrictBool = False
    """Ticked (``true``) or still to do."""


class NotesSection(_Section):
    """``[notes]``: the author's own Markdown, placed in the report's sections."""

    summary: Note | None = None
    """Placed under the executive summary."""
    root_cause: Note | None = None
    """The root cause section."""
    impact: Note | None = None
    """The impact section."""
    user_impact: Note | None = None
    """The user impact section."""
    lessons: Note | None = None
    """The lessons learned section."""


def _valid_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern[:60]!r}: {exc}") from exc
    if re.fullmatch(pattern, ""):
        raise ValueError(f"pattern {pattern[:60]!r} matches the empty text")
    return pattern


class RedactSection(_Section):
    """``[redact]``: the author's own secret patterns (regular expressions)."""

    patterns: tuple[
        Annotated[
            str, Field(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(_valid_regex)
        ],
        ...,
    ] = Field(default=(), max_length=MAX_REDACT_PATTERNS)
    """Python regular expressions; a named group ``secret`` limits the replacement to it."""


class Spec(_Section):
    """A ``reporter`` spec: what was claimed deployed, and where to look for proof."""

    title: Line = "Hotfix Verification Report"
    """The report's title."""
    incident: Line | None = None
    """The ticket or incident id the report is attached to."""
    claimed_deployed_at: Timestamp
    """When the fixes were claimed live (a datetime with a zone)."""
    fixed_at: Timestamp | None = None
    """When the fixes were committed (default: from git, per hotfix)."""
    aws: AwsSection = AwsSection()
    """Overrides of the standard AWS configuration chain."""
    image: Annotated[ImageSection, KEEP]
    """The ECR image that should carry the fixes."""
    service: Annotated[ServiceSection | None, KEEP] = None
    """The ECS service that should run the image."""
    logs: Annotated[LogsSection, KEEP]
    """Where the texts are looked for (CloudWatch or local files), and the window."""
    code: Annotated[CodeSection | None, KEEP] = None
    """The source checkout that holds the fixes."""
    hotfix: tuple[HotfixSection, ...] = Field(min_length=1, max_length=MAX_HOTFIXES)
    """One ``[[hotfix]]`` table per fix (1 to 100)."""
    checklist: tuple[ChecklistItem, ...] = Field(default=(), max_length=MAX_HOTFIXES)
    """Items only a person can tick."""
    notes: NotesSection = NotesSection()
    """The author's Markdown, placed in the report's sections."""
    redact: RedactSection = RedactSection()
    """The author's own secret patterns."""

    @model_validator(mode="after")
    def _unique_ids(self, info: ValidationInfo) -> Spec:
        first: dict[str, int] = {}
        found: _Found = []
        for n, fix in enumerate(self.hotfix):
            if fix.id in first:
                found.append(
                    (
                        ("hotfix", n, "id"),
                        f"duplicate hotfix id {fix.id!r} "
                        f"(also {format_location(('hotfix', first[fix.id], 'id'))})",
                    )
                )
            else:
                first[fix.id] = n
        _report(info, found)
        return self

    @property
    def hotfixes(self) -> tuple[HotfixSection, ...]:
        """The ``[[hotfix]]`` entries, in file order."""
        return self.hotfix

    def log_texts(self) -> list[str]:
        """Every distinct log text (expected, retired, context), in spec order."""
        texts: dict[str, None] = {}
        for fix in self.hotfix:
            for text in (*fix.expect_logs, *fix.retired_logs):
                texts.setdefault(text, None)
        for text in self.logs.context:
            texts.setdefault(text, None)
        return list(texts)


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec and where it came from."""

    spec: Spec
    path: Path
    """The spec file as given."""
    base_dir: Path
    """The spec's folder: relative paths in the spec start here."""

    @property
    def code_root(self) -> Path | None:
        """``code.root`` resolved against the spec's folder."""
        if self.spec.code is None:
            return None
        return (self.base_dir / self.spec.code.root).resolve()

    def log_files(self) -> list[Path]:
        """``logs.files`` globbed from the spec's folder: each pattern's files sorted, in
        pattern order, each file once (bounded: see :mod:`reporter.collect.logglob`)."""
        found: dict[Path, None] = {}
        for matches in glob_files(self.base_dir, self.spec.logs.files or ()):
            for match in matches:
                found.setdefault(match, None)
        return list(found)


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_MAX_KEY_CHARS = 60


def _key_text(part: str) -> str:
    """One key as TOML writes it: bare when it can be, else quoted; long keys cut."""
    if _BARE_KEY.fullmatch(part) and len(part) <= _MAX_KEY_CHARS:
        return part
    cut = part if len(part) <= _MAX_KEY_CHARS else part[:_MAX_KEY_CHARS] + "…"
    return json.dumps(cut, ensure_ascii=False)


def _clean_loc(loc: Sequence[int | str]) -> tuple[int | str, ...]:
    """``loc`` without pydantic's validator segments (``function-after[...]``)."""
    return tuple(
        part
        for part in loc
        if not (
            isinstance(part, str)
            and part.startswith(("function-after", "function-before", "function-wrap"))
        )
    )


def format_location(loc: Sequence[int | str]) -> str:
    """``('hotfix', 1, 'id')`` -> ``hotfix[2].id`` (entries count from 1).

    Keys that are not bare TOML keys are quoted (``notes."my key"``); keys longer than 60
    characters are cut with ``…``.
    """
    out = ""
    for part in _clean_loc(loc):
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            key = _key_text(part)
            out += f".{key}" if out else key
    return out


_ARRAYS_OF_TABLES = ("hotfix", "checklist")


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The spec model an annotation holds (``X``, ``X | None``, ``tuple[X, ...]``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _model_at(loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model whose table is at ``loc`` (``('hotfix', 0)`` -> :class:`HotfixSection`)."""
    model: type[BaseModel] = Spec
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        inner = _model_in(field.annotation) if field is not None else None
        if inner is None:
            return None
        model = inner
    return model


@functools.cache
def _homes() -> dict[str, tuple[str, ...]]:
    """Every key of the spec with where it belongs: ``{'region': ('[aws]',), ...}``."""
    homes: dict[str, dict[str, None]] = {}
    for name in Spec.model_fields:
        homes.setdefault(name, {})["the top level"] = None
    for name, field in Spec.model_fields.items():
        model = _model_in(field.annotation)
        if model is None:
            continue
        table = f"[[{name}]]" if name in _ARRAYS_OF_TABLES else f"[{name}]"
        for key, inner in model.model_fields.items():
            homes.setdefault(key, {})[table] = None
            entry = _model_in(inner.annotation)
            for deeper in entry.model_fields if entry is not None else ():
                homes.setdefault(deeper, {})[f"the {key} entries of {table}"] = None
    return {key: tuple(places) for key, places in homes.items()}


@functools.cache
def _allowed(loc: tuple[int | str, ...]) -> dict[str, str]:
    """The keys allowed in the table at ``loc``, by their lower-case spelling."""
    model = _model_at(tuple(part for part in loc if isinstance(part, str)))
    return {name.lower(): name for name in (model.model_fields if model is not None else ())}


MAX_SUGGESTIONS = 100
"""Unknown keys that get a "did you mean" (each costs a fuzzy match): the first ones."""


def did_you_mean(loc: Sequence[int | str]) -> str:
    """A hint for the unknown key at ``loc``: the closest key allowed there, or the table
    where a key of that name belongs; ``""`` when there is no good guess."""
    loc = _clean_loc(loc)
    if not loc or not isinstance(loc[-1], str) or len(loc[-1]) > 100:
        return ""
    key = loc[-1]
    folded = _allowed(tuple(part for part in loc[:-1] if isinstance(part, str)))
    close = difflib.get_close_matches(key.lower(), list(folded), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {folded[close[0]]!r}?"
    homes = _homes().get(key)
    if homes:
        return f"; {key!r} belongs in {' or '.join(homes)}"
    return ""


def _describe(error: ErrorDetails, suggest: bool = True) -> str:
    raw = _clean_loc(tuple(error["loc"]))
    loc = format_location(raw)
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{loc}'{did_you_mean(raw) if suggest else ''}"
    if kind == "missing":
        return f"missing required key '{loc}'"
    message = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    if kind == "timezone_aware":
        message = "datetime has no zone (add Z or an offset such as +00:00)"
    elif kind == "tuple_type" and len(raw) == 1 and raw[0] in _ARRAYS_OF_TABLES:
        if isinstance(value, dict):
            message = f"write [[{raw[0]}]] (an array of tables), not [{raw[0]}]"
        else:
            message = f"{message} (got {type(value).__name__})"
    elif kind == "model_type" and isinstance(value, list) and raw:
        message = f"write [{loc}] (a table), not [[{loc}]] or an array"
    elif kind.endswith("_type") or kind.endswith("_parsing"):
        message = f"{message} (got {type(value).__name__})"
    return f"key '{loc}': {message}" if loc else message


def _order(data: dict[str, Any]) -> Callable[[tuple[tuple[int | str, ...], str]], int]:
    """Sort key of a problem: where its top-level key is written in the file (keys that
    are missing come last)."""
    positions = {key: n for n, key in enumerate(data)} if isinstance(data, dict) else {}

    def key(item: tuple[tuple[int | str, ...], str]) -> int:
        head = item[0][0] if item[0] else None
        return positions.get(head, len(positions)) if isinstance(head, str) else len(positions)

    return key


def _items_failed(error: ErrorDetails) -> bool:
    """A "too short" error only because some entries were invalid (each reported itself):
    pydantic counts the entries that validated."""
    if error["type"] != "too_short":
        return False
    value = error.get("input")
    least = (error.get("ctx") or {}).get("min_length")
    return isinstance(value, list | tuple) and isinstance(least, int) and len(value) >= least


def spec_problems(data: dict[str, Any], source: str) -> tuple[Spec | None, list[Problem]]:
    """Validate decoded TOML; the spec (``None`` when invalid) and every problem found.

    Problems are in the order of the spec's keys, each naming ``source`` and the key.
    """
    found: _Found = []
    errors: list[tuple[tuple[int | str, ...], str]] = []
    spec: Spec | None = None
    try:
        spec = Spec.model_validate(data, context={_COLLECT: found})
    except ValidationError as exc:
        unknown = 0
        for error in exc.errors(include_url=False):
            if _items_failed(error):
                continue
            unknown += error["type"] == "extra_forbidden"
            text = _describe(error, suggest=unknown <= MAX_SUGGESTIONS)
            errors.append((_clean_loc(tuple(error["loc"])), text))
    except RecursionError:
        return None, [Problem(source, "arrays or tables nested too deeply")]
    described = [*errors, *((loc, f"key '{format_location(loc)}': {msg}") for loc, msg in found)]
    described.sort(key=_order(data))
    problems = [Problem(source, text) for _, text in described]
    return (spec if not problems else None), problems


def parse_spec(data: dict[str, Any], source: str) -> Spec:
    """Validate decoded TOML into a :class:`Spec`; ``source`` names the file in errors.

    Raises one :class:`InputError` carrying every problem found.
    """
    spec, problems = spec_problems(data, source)
    if spec is None:
        raise InputError.of(problems)
    return spec


_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def read_text_file(path: Path, what: str, limit: int = MAX_SPEC_BYTES) -> str:
    """Read a UTF-8 file, turning every failure into an :class:`InputError`.

    A UTF-8 byte-order mark (what some Windows editors write first) is dropped.
    """
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise InputError(str(path), f"{what} not found") from None
    except IsADirectoryError:
        raise InputError(str(path), f"{what} is a folder, not a file") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(str(path), f"cannot read {what}: {problem}") from None
    if len(raw) > limit:
        raise InputError(str(path), f"{what} is larger than {limit // (1024 * 1024)} MiB")
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            raise InputError(str(path), f"{what} is {encoding}, not UTF-8: save it as UTF-8")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InputError(
            str(path), f"{what} is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None


def _long_number_line(text: str) -> str:
    match = re.search(r"[0-9_]{1000,}", text)
    return f" (line {text.count(chr(10), 0, match.start()) + 1})" if match else ""


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """Decode TOML text; any failure is an :class:`InputError` naming ``source``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, f"invalid TOML: {exc}") from None
    except RecursionError:
        raise InputError(source, "invalid TOML: arrays or tables nested too deeply") from None
    except ValueError as exc:  # an integer longer than Python converts (sys.int_info)
        limit = sys.get_int_max_str_digits()
        raise InputError(
            source,
            f"invalid TOML: a number with more than {limit} digits{_long_number_line(text)}",
        ) from exc


def _code_path_problems(loaded: LoadedSpec) -> list[Problem]:
    source = str(loaded.path)
    try:
        root = loaded.code_root
    except (OSError, RuntimeError, ValueError) as exc:  # NUL, too long, symlink loop
        return [Problem(source, f"key 'code.root': cannot be resolved ({exc})")]
    if root is None:
        return []
    problems: list[Problem] = []
    for n, fix in enumerate(loaded.spec.hotfix, start=1):
        for m, marker in enumerate(fix.code, start=1):
            key = f"hotfix[{n}].code[{m}].path"
            try:
                target = (root / marker.path).resolve()
            except (OSError, RuntimeError, ValueError) as exc:  # NUL, too long, symlink loop
                problems.append(
                    Problem(source, f"key {key!r}: {marker.path!r} cannot be resolved ({exc})")
                )
                continue
            if not target.is_relative_to(root):
                problems.append(
                    Problem(
                        source,
                        f"key {key!r}: {marker.path!r} leads out of code.root "
                        f"(through a symbolic link to {target})",
                    )
                )
    return problems


def _log_file_problems(loaded: LoadedSpec) -> list[Problem]:
    """Every ``logs.files`` pattern that is unusable or matches no file."""
    patterns = loaded.spec.logs.files
    if patterns is None:
        return []
    source = str(loaded.path)
    try:
        found = glob_files(loaded.base_dir, patterns)
    except GlobError as exc:
        return [Problem(source, f"key 'logs.files[{exc.index + 1}]': {exc}")]
    return [
        Problem(source, f"key 'logs.files[{n}]': {pattern!r} matches no file")
        for n, (pattern, matches) in enumerate(zip(patterns, found, strict=True), start=1)
        if not matches
    ]


def parse_now(value: str) -> datetime:
    """``--now``: an RFC 3339 datetime with a zone, as UTC."""
    try:
        moment = _to_datetime(value)
    except ValueError as exc:
        raise InputError("--now", str(exc)) from None
    assert isinstance(moment, datetime)
    if moment.tzinfo is None:
        raise InputError("--now", f"{value!r} has no zone (add Z or an offset such as +00:00)")
    try:
        return _to_utc(moment)
    except ValueError as exc:
        raise InputError("--now", str(exc)) from None


def load_spec(path: Path) -> LoadedSpec:
    """Read, parse and validate a spec file; raise :class:`InputError` on any problem.

    The error carries every problem found (``InputError.problems``): each key that is
    wrong, then — once the keys are right — each ``code`` path that leaves ``code.root``
    and each ``logs.files`` pattern that matches no file. Nothing is read but the spec and
    the names of the files it points at: no AWS call, no git, no log reading.
    """
    source = str(path)
    text = read_text_file(path, "spec")
    data = parse_toml(text, source)
    spec = parse_spec(data, source)
    try:
        base_dir = path.resolve().parent
    except (OSError, RuntimeError) as exc:
        raise InputError(source, f"cannot resolve the spec's folder ({exc})") from None
    loaded = LoadedSpec(spec=spec, path=path, base_dir=base_dir)
    problems = [*_code_path_problems(loaded), *_log_file_problems(loaded)]
    if problems:
        raise InputError.of(problems)
    return loaded


def summary_lines(loaded: LoadedSpec) -> list[str]:
    """What ``reporter check`` prints for a usable spec: ``SPEC: ok`` with the hotfixes and
    the sources it reads, then a note per hotfix that can never be ``DEPLOYED``.

    The spec's own texts are redacted with its ``[redact]`` patterns and the built-in rules;
    the caller makes them visible (control characters escaped).
    """
    from reporter.redact import Redactor

    redact = Redactor(loaded.spec.redact.patterns)
    spec = loaded.spec
    ids = ", ".join(fix.id for fix in spec.hotfixes)
    count = len(spec.hotfixes)
    lines = [f"{loaded.path}: ok: {count} hotfix{'es' if count > 1 else ''} ({ids})"]
    image = spec.image
    registry = f" in registry {image.registry_id}" if image.registry_id else ""
    lines.append(f"  image    ECR {image.repository}:{image.tag}{registry}")
    if spec.service is not None:
        lines.append(f"  service  ECS {spec.service.cluster} / {spec.service.name}")
    logs = spec.logs
    if logs.files is not None:
        lines.append(f"  logs     local files {', '.join(logs.files)}")
    else:
        groups = logs.log_groups
        lines.append(
            f"  logs     CloudWatch group{'s' if len(groups) > 1 else ''} {', '.join(groups)}"
            f" ({logs.log_engine})"
        )
    since = (logs.since or spec.claimed_deployed_at).isoformat().replace("+00:00", "Z")
    until = logs.until.isoformat().replace("+00:00", "Z") if logs.until else "now"
    lines.append(f"  window   {since} to {until}")
    root = loaded.code_root
    if root is not None:
        lines.append(f"  code     {root}")
    for n, fix in enumerate(spec.hotfixes, start=1):
        if not fix.expect_logs and spec.service is None:
            lines.append(
                f"note: hotfix[{n}] {fix.id!r} can never be DEPLOYED: nothing would show "
                "production running it (add expect_logs, or [service])"
            )
    return [redact(line) for line in lines]


def _without_nulls(value: Any) -> Any:
    """A default value as TOML can write it: keys whose value is ``None`` left out."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


_NAME_MAPS = ("properties", "$defs")
"""Schema keys whose value maps names to schemas: their order (the spec's) is kept."""


def _for_toml(node: Any, names: bool = False) -> Any:
    """A pydantic JSON Schema made plain for TOML editors.

    TOML has no null: ``X | None`` becomes ``X``, ``default: null`` goes and defaults
    lose their ``None`` keys. A ``$ref`` with other keys beside it is wrapped in ``allOf``
    so those keys (title, description, default) still count in the drafts editors
    implement. Descriptions become one line of Markdown. Keys of a schema are sorted;
    ``names`` marks a map of names (``properties``, ``$defs``), whose order is kept.
    """
    if isinstance(node, list):
        return [_for_toml(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {key: _for_toml(value) for key, value in node.items()}
    out = {key: _for_toml(value, names=key in _NAME_MAPS) for key, value in node.items()}
    options = out.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) != len(options):
            del out["anyOf"]
            if len(kept) == 1 and isinstance(kept[0], dict):
                out = {**kept[0], **out}
            else:
                out["anyOf"] = kept
    if "default" in out:
        if out["default"] is None:
            del out["default"]
        else:
            out["default"] = _without_nulls(out["default"])
    if isinstance(out.get("description"), str):
        out["description"] = " ".join(out["description"].replace("``", "`").split())
    if "$ref" in out and len(out) > 1:
        out["allOf"] = [{"$ref": out.pop("$ref")}]
    return dict(sorted(out.items()))


SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"
"""The JSON Schema draft ``reporter schema`` declares: the newest Taplo validates with."""


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema of the spec, generated from the models (their docstrings are the
    descriptions), so it cannot drift from what :func:`load_spec` accepts.

    TOML datetimes are strings with ``format: date-time`` in it (how Taplo hands them to
    a schema). Checks the schema cannot express (a code path leaving ``code.root``, a glob
    matching no file, duplicate ids, ...) are left to ``reporter check``.
    """
    generated = _for_toml(Spec.model_json_schema(mode="validation"))
    assert isinstance(generated, dict)
    generated["title"] = "reporter spec"
    return {"$schema": SCHEMA_DIALECT, **dict(sorted(generated.items()))}


def spec_schema_text() -> str:
    """:func:`spec_json_schema` as the text ``reporter schema`` prints (2-space JSON)."""
    return json.dumps(spec_json_schema(), indent=2, ensure_ascii=False) + "\n"
