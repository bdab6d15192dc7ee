"""The TOML spec (CONTRACT section 2), read with ``tomllib`` and validated into typed models.

:func:`load_spec` is the only entry point that touches the file system. Every problem
becomes an :class:`~reporter.errors.InputError` whose message names the file and the key
(entries of arrays of tables count from 1: ``hotfix[2].id`` is the second ``[[hotfix]]``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Literal
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
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from reporter.collect.logglob import GlobError, glob_files
from reporter.errors import InputError

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

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


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
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value.isoformat()} is out of range in UTC") from None


Timestamp = Annotated[AwareDatetime, BeforeValidator(_to_datetime), AfterValidator(_to_utc)]
"""A zoned datetime, normalised to UTC. Naive datetimes are refused."""


Line = Annotated[str, Field(min_length=1, max_length=MAX_LINE_CHARS)]
MarkerText = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS)]
Note = Annotated[str, Field(max_length=MAX_NOTE_CHARS)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AwsSection(_Section):
    """``[aws]``: overrides of the standard AWS configuration chain."""

    region: Line | None = None
    profile: Line | None = None
    endpoint_url: Line | None = None
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
    tag: Line = "latest"
    registry_id: Line | None = None
    """Extension: the registry's account id, when it is not the caller's."""
    revision_label: Line = DEFAULT_REVISION_LABEL
    """The image config label naming the commit the image was built from."""
    revision: Annotated[Line, AfterValidator(_revision)] | None = None
    """That commit, given by hand when the registry cannot be read for labels."""
    platform: Annotated[Line, AfterValidator(_platform)] = DEFAULT_PLATFORM
    """Extension: the platform whose manifest is read when the tag is a multi-platform index."""


class ServiceSection(_Section):
    """``[service]``: the ECS service that should run the image."""

    cluster: Line
    name: Line


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


class LogsSection(_Section):
    """``[logs]``: where the markers are looked for, and the window."""

    group: Line | None = None
    groups: tuple[Line, ...] | None = Field(default=None, max_length=MAX_GROUPS)
    """Several CloudWatch log groups (at most 50)."""
    engine: LogEngine | None = None
    """CloudWatch only: FilterLogEvents (``filter``), Logs Insights (``insights``) or ``auto``
    (the default)."""
    files: tuple[Line, ...] | None = None
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
    until: Timestamp | None = None
    context: tuple[MarkerText, ...] = Field(default=(), max_length=MAX_TEXTS)
    """Extension: texts collected and shown in the report (never judged)."""

    @model_validator(mode="after")
    def _one_source(self) -> LogsSection:
        given = [k for k in ("group", "groups", "files") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `group`, `groups` or `files`")
        if self.files is not None and not self.files:
            raise ValueError("`files` is empty")
        if self.groups is not None and not self.groups:
            raise ValueError("`groups` is empty")
        if self.files is None:
            for key in ("timezone", "timestamp_field", "timestamp_pattern", "timestamp_format"):
                if getattr(self, key) is not None:
                    raise ValueError(f"`{key}` applies to local `files` only")
        elif self.engine is not None:
            raise ValueError("`engine` applies to CloudWatch `group`/`groups` only")
        if self.timestamp_format is not None and self.timestamp_pattern is None:
            raise ValueError("`timestamp_format` needs `timestamp_pattern`")
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ValueError("`since` must be before `until`")
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

    root: Line = "."


def _relative_inside(path: str) -> str:
    if (
        PurePosixPath(path).is_absolute()
        or PureWindowsPath(path).is_absolute()
        or path.startswith(("/", "\\"))
    ):
        raise ValueError(f"{path!r} is absolute; give a path relative to code.root")
    parts = re.split(r"[\\/]", path)
    if ".." in parts:
        raise ValueError(f"{path!r} leaves code.root ('..')")
    return path


class CodeMarker(_Section):
    """One ``code`` entry: a text that must be in a file under ``code.root``."""

    path: Annotated[Line, AfterValidator(_relative_inside)]
    contains: MarkerText


class HotfixSection(_Section):
    """One ``[[hotfix]]``."""

    id: Line
    title: Line | None = None
    expect_logs: tuple[MarkerText, ...] = Field(default=(), max_length=MAX_TEXTS)
    retired_logs: tuple[MarkerText, ...] = Field(default=(), max_length=MAX_TEXTS)
    code: tuple[CodeMarker, ...] = Field(default=(), max_length=MAX_TEXTS)
    fixed_at: Timestamp | None = None

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
    done: StrictBool = False


class NotesSection(_Section):
    """``[notes]``: the author's own Markdown, placed in the report's sections."""

    summary: Note | None = None
    root_cause: Note | None = None
    impact: Note | None = None
    user_impact: Note | None = None
    lessons: Note | None = None


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


class Spec(_Section):
    """A whole spec file."""

    title: Line = "Hotfix Verification Report"
    incident: Line | None = None
    claimed_deployed_at: Timestamp
    fixed_at: Timestamp | None = None
    aws: AwsSection = AwsSection()
    image: ImageSection
    service: ServiceSection | None = None
    logs: LogsSection
    code: CodeSection | None = None
    hotfix: tuple[HotfixSection, ...] = Field(min_length=1, max_length=MAX_HOTFIXES)
    checklist: tuple[ChecklistItem, ...] = Field(default=(), max_length=MAX_HOTFIXES)
    notes: NotesSection = NotesSection()
    redact: RedactSection = RedactSection()

    @model_validator(mode="after")
    def _unique_ids(self) -> Spec:
        seen: set[str] = set()
        for fix in self.hotfix:
            if fix.id in seen:
                raise ValueError(f"duplicate hotfix id {fix.id!r}")
            seen.add(fix.id)
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


def format_location(loc: tuple[int | str, ...]) -> str:
    """``('hotfix', 1, 'id')`` -> ``hotfix[2].id`` (entries count from 1)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        elif part.startswith(("function-after", "function-before", "function-wrap")):
            continue
        else:
            out += f".{part}" if out else part
    return out


def _describe(error: ErrorDetails) -> str:
    loc = format_location(tuple(error["loc"]))
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key {loc!r}"
    if kind == "missing":
        return f"missing required key {loc!r}"
    message = error["msg"].removeprefix("Value error, ")
    if kind == "timezone_aware":
        message = "datetime has no zone (add Z or an offset such as +00:00)"
    elif kind.endswith("_type") or kind.endswith("_parsing"):
        value = error.get("input")
        message = f"{message} (got {type(value).__name__})"
    return f"key {loc!r}: {message}" if loc else message


def parse_spec(data: dict[str, Any], source: str) -> Spec:
    """Validate decoded TOML into a :class:`Spec`; ``source`` names the file in errors."""
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise InputError(source, _describe(errors[0]) + more) from None


def read_text_file(path: Path, what: str, limit: int = MAX_SPEC_BYTES) -> str:
    """Read a UTF-8 file, turning every failure into an :class:`InputError`."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise InputError(str(path), f"{what} not found") from None
    except IsADirectoryError:
        raise InputError(str(path), f"{what} is a folder, not a file") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read {what}: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise InputError(str(path), f"{what} is larger than {limit // (1024 * 1024)} MiB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            str(path), f"{what} is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None


def _check_code_paths(loaded: LoadedSpec) -> None:
    try:
        root = loaded.code_root
    except (OSError, RuntimeError, ValueError) as exc:  # NUL, too long, symlink loop
        raise InputError(str(loaded.path), f"key 'code.root': cannot be resolved ({exc})") from None
    if root is None:
        return
    for n, fix in enumerate(loaded.spec.hotfix, start=1):
        for m, marker in enumerate(fix.code, start=1):
            try:
                target = (root / marker.path).resolve()
            except (OSError, RuntimeError, ValueError) as exc:  # NUL, too long, symlink loop
                raise InputError(
                    str(loaded.path),
                    f"key 'hotfix[{n}].code[{m}].path': {marker.path!r} cannot be resolved ({exc})",
                ) from None
            if not target.is_relative_to(root):
                raise InputError(
                    str(loaded.path),
                    f"key 'hotfix[{n}].code[{m}].path': {marker.path!r} leads out of code.root "
                    f"(through a symbolic link to {target})",
                )


def _check_log_files(loaded: LoadedSpec) -> None:
    patterns = loaded.spec.logs.files
    if patterns is None:
        return
    try:
        found = glob_files(loaded.base_dir, patterns)
    except GlobError as exc:
        raise InputError(str(loaded.path), f"key 'logs.files[{exc.index + 1}]': {exc}") from None
    for n, (pattern, matches) in enumerate(zip(patterns, found, strict=True), start=1):
        if not matches:
            raise InputError(
                str(loaded.path), f"key 'logs.files[{n}]': {pattern!r} matches no file"
            )


def parse_now(value: str) -> datetime:
    """``--now``: an RFC 3339 datetime with a zone, as UTC."""
    try:
        moment = _to_datetime(value)
    except ValueError as exc:
        raise InputError("--now", str(exc)) from None
    assert isinstance(moment, datetime)
    if moment.tzinfo is None:
        raise InputError("--now", f"{value!r} has no zone (add Z or an offset such as +00:00)")
    return moment.astimezone(UTC)


def load_spec(path: Path) -> LoadedSpec:
    """Read, parse and validate a spec file; raise :class:`InputError` on any problem."""
    text = read_text_file(path, "spec")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), f"invalid TOML: {exc}") from None
    except RecursionError:
        raise InputError(str(path), "invalid TOML: arrays or tables nested too deeply") from None
    spec = parse_spec(data, str(path))
    loaded = LoadedSpec(spec=spec, path=path, base_dir=path.resolve().parent)
    _check_code_paths(loaded)
    _check_log_files(loaded)
    return loaded
