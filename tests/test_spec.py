"""The spec loader: valid specs load; every bad input is one line naming the file and the key."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reporter.errors import InputError
from reporter.spec import MAX_HOTFIXES, MAX_TEXT_CHARS, load_spec, parse_now

GOOD = """\
title = "T"
incident = "INC-1"
claimed_deployed_at = 2025-11-26T09:00:00Z
fixed_at = "2025-11-26T08:00:00+01:00"
[aws]
region = "us-east-1"
[image]
repository = "backend"
[service]
cluster = "c"
name = "s"
[logs]
group = "/ecs/app"
since = 2025-11-26T09:00:00Z
until = 2025-11-26T11:00:00Z
[code]
root = "."
[[hotfix]]
id = "multi-platform_1"
expect_logs = ["Requested platforms"]
retired_logs = [", platform='linkedin'"]
code = [{ path = "app/ws.py", contains = "Requested platforms" }]
[[checklist]]
item = "User testing"
[notes]
summary = "**bold**"
"""


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_spec_loads_with_defaults(tmp_path: Path) -> None:
    loaded = load_spec(write(tmp_path, GOOD))
    spec = loaded.spec
    assert spec.image.tag == "latest"
    assert spec.fixed_at == datetime(2025, 11, 26, 7, 0, tzinfo=UTC)
    assert spec.hotfixes[0].display_title == "multi-platform_1"
    assert spec.checklist[0].done is False
    assert loaded.code_root == tmp_path.resolve()
    assert spec.log_texts() == ["Requested platforms", ", platform='linkedin'"]


def replace(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new)


BAD: list[tuple[str, str, str]] = [
    # (case, spec text, expected fragment of the one-line message)
    ("unknown top-level key", "colour = 'red'\n" + GOOD, "unknown key 'colour'"),
    (
        "unknown nested key",
        replace('repository = "backend"', 'repository = "backend"\ntagg = "x"'),
        "unknown key 'image.tagg'",
    ),
    (
        "missing claimed_deployed_at",
        replace("claimed_deployed_at = 2025-11-26T09:00:00Z\n", ""),
        "missing required key 'claimed_deployed_at'",
    ),
    (
        "missing image",
        replace('[image]\nrepository = "backend"\n', ""),
        "missing required key 'image'",
    ),
    (
        "missing repository",
        replace('repository = "backend"\n', 'tag = "v1"\n'),
        "missing required key 'image.repository'",
    ),
    (
        "wrong type",
        replace('expect_logs = ["Requested platforms"]', 'expect_logs = "Requested platforms"'),
        "hotfix[1].expect_logs",
    ),
    ("wrong type int for str", replace('incident = "INC-1"', "incident = 7"), "incident"),
    (
        "done as string",
        GOOD.replace('item = "User testing"', 'item = "User testing"\ndone = "yes"'),
        "checklist[1].done",
    ),
    (
        "naive datetime",
        replace(
            "claimed_deployed_at = 2025-11-26T09:00:00Z",
            "claimed_deployed_at = 2025-11-26T09:00:00",
        ),
        "claimed_deployed_at",
    ),
    (
        "naive string datetime",
        replace("since = 2025-11-26T09:00:00Z", 'since = "2025-11-26T09:00:00"'),
        "logs.since",
    ),
    (
        "date only",
        replace("claimed_deployed_at = 2025-11-26T09:00:00Z", "claimed_deployed_at = 2025-11-26"),
        "date without a time",
    ),
    (
        "garbage datetime",
        replace("claimed_deployed_at = 2025-11-26T09:00:00Z", 'claimed_deployed_at = "tomorrow"'),
        "not an RFC 3339 datetime",
    ),
    (
        "duplicate id",
        GOOD + '[[hotfix]]\nid = "multi-platform_1"\n',
        "duplicate hotfix id 'multi-platform_1'",
    ),
    ("bad id chars", replace('id = "multi-platform_1"', 'id = "multi platform"'), "hotfix[1].id"),
    ("id with dot", replace('id = "multi-platform_1"', 'id = "a.b"'), "may hold only letters"),
    ("no hotfix", GOOD.split("[[hotfix]]")[0] + "[notes]\n", "missing required key 'hotfix'"),
    ("empty hotfix list", GOOD.split("[[hotfix]]")[0] + "hotfix = []\n", "hotfix"),
    (
        "logs both",
        replace('group = "/ecs/app"', 'group = "/ecs/app"\nfiles = ["a.log"]'),
        "exactly one of `group`, `groups` or `files`",
    ),
    (
        "logs neither",
        replace('group = "/ecs/app"\n', ""),
        "exactly one of `group`, `groups` or `files`",
    ),
    (
        "since not before until",
        replace("until = 2025-11-26T11:00:00Z", "until = 2025-11-26T09:00:00Z"),
        "`since` must be before `until`",
    ),
    ("absolute code path", replace('path = "app/ws.py"', 'path = "/etc/passwd"'), "is absolute"),
    (
        "dotdot code path",
        replace('path = "app/ws.py"', 'path = "../outside.py"'),
        "leaves code.root",
    ),
    (
        "dotdot in the middle",
        replace('path = "app/ws.py"', 'path = "app/../../x.py"'),
        "leaves code.root",
    ),
    ("invalid toml", "title = \n", "invalid TOML"),
    (
        "marker too long",
        replace(
            'expect_logs = ["Requested platforms"]',
            f'expect_logs = ["{"x" * (MAX_TEXT_CHARS + 1)}"]',
        ),
        "hotfix[1].expect_logs[1]",
    ),
    (
        "bad redact regex",
        GOOD + '[redact]\npatterns = ["(unclosed"]\n',
        "invalid regular expression",
    ),
    (
        "redact regex matching empty",
        GOOD + '[redact]\npatterns = ["a*"]\n',
        "matches the empty text",
    ),
    ("empty id", replace('id = "multi-platform_1"', 'id = ""'), "hotfix[1].id"),
]


@pytest.mark.parametrize(("case", "text", "fragment"), BAD, ids=[c for c, _, _ in BAD])
def test_bad_spec_is_one_line_naming_file_and_key(
    tmp_path: Path, case: str, text: str, fragment: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_spec(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert fragment in message, message
    assert "\n" not in message


def test_many_hotfixes_refused(tmp_path: Path) -> None:
    head = GOOD.split("[[hotfix]]")[0]
    body = "".join(f'[[hotfix]]\nid = "h{n}"\n' for n in range(10_000))
    with pytest.raises(InputError) as info:
        load_spec(write(tmp_path, head + body))
    assert f"at most {MAX_HOTFIXES}" in str(info.value)


def test_megabyte_marker_refused(tmp_path: Path) -> None:
    text = replace('expect_logs = ["Requested platforms"]', f'expect_logs = ["{"y" * 1_000_000}"]')
    with pytest.raises(InputError) as info:
        load_spec(write(tmp_path, text))
    assert "hotfix[1].expect_logs[1]" in str(info.value)
    assert len(str(info.value)) < 500


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "spec.toml"
    path.write_bytes(GOOD.encode() + b"\n# \xff\xfe\n")
    with pytest.raises(InputError, match="not UTF-8"):
        load_spec(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="spec not found"):
        load_spec(tmp_path / "nope.toml")


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        load_spec(tmp_path)


def test_path_through_a_file(tmp_path: Path) -> None:
    blocker = write(tmp_path, GOOD)
    with pytest.raises(InputError, match="cannot read spec"):
        load_spec(blocker / "spec.toml")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    path.chmod(0)
    with pytest.raises(InputError, match="cannot read spec"):
        load_spec(path)


def test_symlink_out_of_code_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("x", encoding="utf-8")
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "ws.py").symlink_to(outside / "secret.py")
    spec = write(root, replace('root = "."', 'root = "."'))
    with pytest.raises(InputError) as info:
        load_spec(spec)
    assert "hotfix[1].code[1].path" in str(info.value)
    assert "leads out of code.root" in str(info.value)


def test_log_files_glob_must_match(tmp_path: Path) -> None:
    text = replace('group = "/ecs/app"', 'files = ["logs/*.log"]')
    with pytest.raises(InputError, match=r"logs.files\[1\].*matches no file"):
        load_spec(write(tmp_path, text))
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "b.log").write_text("", encoding="utf-8")
    (tmp_path / "logs" / "a.log").write_text("", encoding="utf-8")
    loaded = load_spec(write(tmp_path, text))
    assert [p.name for p in loaded.log_files()] == ["a.log", "b.log"]


def test_parse_now() -> None:
    assert parse_now("2025-11-26T10:50:00Z") == datetime(2025, 11, 26, 10, 50, tzinfo=UTC)
    assert parse_now("2025-11-26T11:50:00+01:00") == datetime(2025, 11, 26, 10, 50, tzinfo=UTC)
    with pytest.raises(InputError, match="--now"):
        parse_now("2025-11-26T10:50:00")
    with pytest.raises(InputError, match="--now"):
        parse_now("yesterday")
