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


# --------------------------------------------------------------------------- every problem at once


def problems_of(tmp_path: Path, text: str) -> tuple[Path, list[str]]:
    """The spec written to ``tmp_path`` and the problem lines loading it gives."""
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_spec(path)
    lines = [str(p) for p in info.value.problems]
    for line in lines:
        assert line.startswith(f"{path}: "), line
        assert "\n" not in line, line
    assert info.value.lines(limit=None) == lines
    return path, lines


def test_every_problem_is_reported_at_once_in_file_order(tmp_path: Path) -> None:
    text = (
        replace('title = "T"', 'title = "T"\ncolour = "red"')
        .replace('region = "us-east-1"', 'region = "us east"')
        .replace('repository = "backend"', 'repositry = "backend"')
        .replace('id = "multi-platform_1"', 'id = "multi platform"\nexpect_log = ["x"]')
    )
    path, lines = problems_of(tmp_path, text)
    assert [line.removeprefix(f"{path}: ") for line in lines] == [
        "unknown key 'colour'",
        "key 'aws.region': 'us east' is not an AWS region name such as 'us-east-1'",
        "missing required key 'image.repository'",
        "unknown key 'image.repositry'; did you mean 'repository'?",
        "key 'hotfix[1].id': id 'multi platform' may hold only letters, digits, '-' and '_' "
        "(at most 64)",
        "unknown key 'hotfix[1].expect_log'; did you mean 'expect_logs'?",
    ]


def test_str_of_several_problems_is_the_first_and_a_count(tmp_path: Path) -> None:
    path = write(tmp_path, "a = 1\nb = 2\n" + GOOD)
    with pytest.raises(InputError) as info:
        load_spec(path)
    assert str(info.value) == f"{path}: unknown key 'a' (and 1 more problem)"
    assert (info.value.where, info.value.problem) == (str(path), "unknown key 'a'")


def test_rules_across_keys_are_reported_with_field_errors(tmp_path: Path) -> None:
    """`[logs]` with two sources and a duplicate id come with the other problems, each
    at its key."""
    text = (
        replace('group = "/ecs/app"', 'group = "/ecs/app"\nfiles = ["a.log"]').replace(
            'incident = "INC-1"', "incident = 7"
        )
        + '[[hotfix]]\nid = "other"\n[[hotfix]]\nid = "other"\n'
    )
    path, lines = problems_of(tmp_path, text)
    assert [line.removeprefix(f"{path}: ") for line in lines] == [
        "key 'incident': Input should be a valid string (got int)",
        "key 'logs': give exactly one of `group`, `groups` or `files`",
    ]
    text = GOOD + '[[hotfix]]\nid = "other"\n[[hotfix]]\nid = "other"\n[[hotfix]]\nid = "other"\n'
    path, lines = problems_of(tmp_path, text)
    assert [line.removeprefix(f"{path}: ") for line in lines] == [
        "key 'hotfix[3].id': duplicate hotfix id 'other' (also hotfix[2].id)",
        "key 'hotfix[4].id': duplicate hotfix id 'other' (also hotfix[2].id)",
    ]


def test_a_bundle_still_refuses_an_invalid_spec() -> None:
    """Outside load_spec (a bundle's `spec` being read) the cross-key rules still raise."""
    from pydantic import ValidationError

    from reporter.spec import Spec

    data = {
        "claimed_deployed_at": "2025-11-26T09:00:00Z",
        "image": {"repository": "r"},
        "logs": {"group": "/a", "files": ["x"]},
        "hotfix": [{"id": "a"}, {"id": "a"}],
    }
    with pytest.raises(ValidationError, match="exactly one of"):
        Spec.model_validate(data)
    data["logs"] = {"group": "/a"}
    with pytest.raises(ValidationError, match=r"key 'hotfix\[2\].id': duplicate hotfix id 'a'"):
        Spec.model_validate(data)


def test_several_file_system_problems_are_reported_together(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "ws.py").symlink_to(outside)
    (root / "app" / "b.py").symlink_to(outside)
    text = replace(
        'code = [{ path = "app/ws.py", contains = "Requested platforms" }]',
        'code = [{ path = "app/ws.py", contains = "x" }, { path = "ok.py", contains = "y" },'
        ' { path = "app/b.py", contains = "z" }]',
    ).replace('group = "/ecs/app"', 'files = ["logs/*.log"]')
    _, lines = problems_of(root, text)
    assert len(lines) == 3, lines
    assert "key 'hotfix[1].code[1].path': 'app/ws.py' leads out of code.root" in lines[0]
    assert "key 'hotfix[1].code[3].path': 'app/b.py' leads out of code.root" in lines[1]
    assert "key 'logs.files[1]': 'logs/*.log' matches no file" in lines[2]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('id = "multi-platform_1"', 'id = "x"\nexpect_log = ["a"]', "did you mean 'expect_logs'?"),
        ('id = "multi-platform_1"', 'Id = "x"', "did you mean 'id'?"),
        (
            'id = "multi-platform_1"',
            'id = "x"\nretierd_logs = ["a"]',
            "did you mean 'retired_logs'?",
        ),
        ("[logs]", "[log]", "unknown key 'log'; did you mean 'logs'?"),
        ('title = "T"', 'title = "T"\nregion = "us-east-1"', "'region' belongs in [aws]"),
        ('title = "T"', 'title = "T"\nexpect_logs = ["x"]', "'expect_logs' belongs in [[hotfix]]"),
        (
            'contains = "Requested platforms" }',
            'contains = "Requested platforms", contain = "x" }',
            "unknown key 'hotfix[1].code[1].contain'; did you mean 'contains'?",
        ),
        ('title = "T"', 'title = "T"\nzzzqqq = 1', "unknown key 'zzzqqq'"),
    ],
)
def test_a_misspelled_key_gets_a_suggestion(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    _, lines = problems_of(tmp_path, replace(old, new))
    assert any(expected in line for line in lines), lines
    if "zzzqqq" in new:
        assert not any("did you mean" in line or "belongs" in line for line in lines), lines


def test_a_table_written_the_wrong_way(tmp_path: Path) -> None:
    head, _ = GOOD.split("[[hotfix]]")
    _, lines = problems_of(tmp_path, head.replace("[[checklist]]", "") + '[hotfix]\nid = "a"\n')
    assert any(
        "key 'hotfix': write [[hotfix]] (an array of tables), not [hotfix]" in x for x in lines
    )
    _, lines = problems_of(
        tmp_path, replace('[image]\nrepository = "backend"', '[[image]]\nrepository = "backend"')
    )
    assert any("key 'image': write [image] (a table), not [[image]]" in x for x in lines), lines


def test_odd_keys_are_quoted_and_cut(tmp_path: Path) -> None:
    _, lines = problems_of(tmp_path, f'"a.b c" = 1\n"{"k" * 500}" = 2\n' + GOOD)
    assert "unknown key '\"a.b c\"'" in lines[0]
    assert f"unknown key '\"{'k' * 60}…\"'" in lines[1]
    assert len(lines[1]) < 200


# ------------------------------------------------------------------- values a library refuses


def test_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "spec.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load_spec(path).spec.title == "T"


@pytest.mark.parametrize("bom", [b"\xff\xfe", b"\xfe\xff"])
def test_utf16_says_so(tmp_path: Path, bom: bytes) -> None:
    path = tmp_path / "spec.toml"
    path.write_bytes(bom + GOOD.encode("utf-16-le" if bom == b"\xff\xfe" else "utf-16-be"))
    with pytest.raises(InputError, match="spec is UTF-16, not UTF-8: save it as UTF-8"):
        load_spec(path)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://127.0.0.1:99999", "port that is not a number from 1 to 65535"),
        ("http://127.0.0.1:0", "port that is not a number from 1 to 65535"),
        ("http://127.0.0.1:-1", "port that is not a number from 1 to 65535"),
        ("http://127.0.0.1:port", "port that is not a number from 1 to 65535"),
        ("127.0.0.1:5000", "must start with http:// or https://"),
        ("ftp://example.com", "must start with http:// or https://"),
        ("http://", "has no host"),
        ("http://:80", "has no host"),
        ("http://[::1", "is not a URL"),
        ("http://a b", "spaces or control characters"),
        ("http://a\\u0000b", "spaces or control characters"),
        ("http://under_score.example", "host name botocore refuses"),
    ],
)
def test_an_endpoint_url_botocore_would_refuse(tmp_path: Path, url: str, fragment: str) -> None:
    text = replace('region = "us-east-1"', f'region = "us-east-1"\nendpoint_url = "{url}"')
    _, lines = problems_of(tmp_path, text)
    assert len(lines) == 1, lines
    assert "key 'aws.endpoint_url': " in lines[0]
    assert fragment in lines[0]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5000",
        "https://logs.us-east-1.amazonaws.com",
        "http://[::1]:4566/",
        "https://vpce-1.x.vpce.amazonaws.com",
    ],
)
def test_usable_endpoint_urls(tmp_path: Path, url: str) -> None:
    text = replace('region = "us-east-1"', f'region = "us-east-1"\nendpoint_url = "{url}"')
    assert load_spec(write(tmp_path, text)).spec.aws.endpoint_url == url


@pytest.mark.parametrize(
    "region", ["us east", "us_east_1", "US-EAST-1", "useast1", "x", "us-east-1 "]
)
def test_a_region_that_is_not_a_region_name(tmp_path: Path, region: str) -> None:
    _, lines = problems_of(tmp_path, replace('region = "us-east-1"', f'region = "{region}"'))
    assert len(lines) == 1
    assert "key 'aws.region': " in lines[0]
    assert "is not an AWS region name such as 'us-east-1'" in lines[0]


@pytest.mark.parametrize(
    "region",
    [
        "us-east-1",
        "eu-central-2",
        "us-gov-west-1",
        "cn-northwest-1",
        "us-isob-east-1",
        "ap-southeast-5",
    ],
)
def test_region_names(tmp_path: Path, region: str) -> None:
    text = replace('region = "us-east-1"', f'region = "{region}"')
    assert load_spec(write(tmp_path, text)).spec.aws.region == region


LONG_NAME = "n" * 256


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('root = "."', f'root = "{LONG_NAME}"', "code.root"),
        ('root = "."', 'root = "a\\u0000b"', "code.root"),
        ('path = "app/ws.py"', f'path = "app/{LONG_NAME}.py"', "hotfix[1].code[1].path"),
        ('path = "app/ws.py"', 'path = "app/w\\u0000s.py"', "hotfix[1].code[1].path"),
        ('group = "/ecs/app"', f'files = ["logs/{LONG_NAME}"]', "logs.files[1]"),
        ('group = "/ecs/app"', 'files = ["a.log", "lo\\u0000g"]', "logs.files[2]"),
        ('root = "."', f'root = "{"/𝄞" * 900}"', "code.root"),
    ],
)
def test_a_path_the_os_cannot_take_names_its_key(
    tmp_path: Path, old: str, new: str, key: str
) -> None:
    (tmp_path / "a.log").write_text("", encoding="utf-8")
    _, lines = problems_of(tmp_path, replace(old, new))
    assert len(lines) == 1, lines
    assert f"key {key!r}: " in lines[0]
    assert any(f in lines[0] for f in ("NUL", "names are at most 255 bytes", "at most 4095 bytes"))
    assert len(lines[0]) < 400


def test_a_second_hotfix_code_path_is_named_as_written(tmp_path: Path) -> None:
    text = GOOD + (
        '[[hotfix]]\nid = "two"\ncode = [{ path = "a.py", contains = "x" },'
        f' {{ path = "{LONG_NAME}", contains = "y" }}]\n'
    )
    _, lines = problems_of(tmp_path, text)
    assert len(lines) == 1
    assert "key 'hotfix[2].code[2].path': has a file or folder name of 256 bytes" in lines[0]


# --------------------------------------------------------------------------- crafted values


def test_a_5000_digit_integer(tmp_path: Path) -> None:
    _, lines = problems_of(tmp_path, GOOD + "[redact]\npatterns = [" + "7" * 5000 + "]\n")
    assert lines == [
        f"{tmp_path / 'spec.toml'}: invalid TOML: a number with more than 4300 digits (line 28)"
    ]


def test_a_huge_hexadecimal_integer(tmp_path: Path) -> None:
    _, lines = problems_of(tmp_path, replace('incident = "INC-1"', "incident = 0x" + "f" * 5000))
    assert len(lines) == 1
    assert "key 'incident': Input should be a valid string (got int)" in lines[0]


@pytest.mark.parametrize("depth", [10, 200, 5000])
def test_deeply_nested_arrays_and_tables(tmp_path: Path, depth: int) -> None:
    array = "[" * depth + "]" * depth
    _, lines = problems_of(tmp_path, replace('incident = "INC-1"', f"incident = {array}"))
    assert len(lines) == 1
    assert "incident" in lines[0] or "nested too deeply" in lines[0]
    table = "{ a = " * depth + "1" + " }" * depth
    _, lines = problems_of(tmp_path, replace('incident = "INC-1"', f"incident = {table}"))
    assert len(lines) == 1
    assert "incident" in lines[0] or "nested too deeply" in lines[0]


def test_a_huge_string(tmp_path: Path) -> None:
    _, lines = problems_of(tmp_path, replace('title = "T"', f'title = "{"t" * 2_000_000}"'))
    assert len(lines) == 1
    assert "key 'title': String should have at most 2000 characters" in lines[0]
    _, lines = problems_of(tmp_path, replace('title = "T"', f'title = "{"t" * 3_000_000}"'))
    assert lines == [f"{tmp_path / 'spec.toml'}: spec is larger than 2 MiB"]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("0001-01-01T00:00:00+05:00", "is out of range in UTC"),
        ('"0001-01-01T00:00:00+05:00"', "is out of range in UTC"),
        ("9999-12-31T23:59:59-05:00", "is out of range in UTC"),
        ("9999-06-01T00:00:00Z", "is out of range: give a time from 1970-01-01 to 9998-12-31"),
        ("1969-12-31T23:59:59Z", "is out of range: give a time from 1970-01-01 to 9998-12-31"),
        ("2025-11-26T09:00:00", "datetime has no zone"),
        ("09:00:00", "expected a datetime with a zone, got time"),
    ],
)
def test_crafted_datetimes(tmp_path: Path, value: str, fragment: str) -> None:
    text = replace("claimed_deployed_at = 2025-11-26T09:00:00Z", f"claimed_deployed_at = {value}")
    _, lines = problems_of(tmp_path, text)
    assert len(lines) == 1
    assert "key 'claimed_deployed_at': " in lines[0]
    assert fragment in lines[0]


def test_parse_now_refuses_out_of_range() -> None:
    with pytest.raises(InputError, match="out of range"):
        parse_now("0001-01-01T00:00:00+05:00")
    with pytest.raises(InputError, match="out of range"):
        parse_now("1960-01-01T00:00:00Z")


# --------------------------------------------------------------------------- InputError


def test_input_error_lines_are_capped_with_a_count() -> None:
    from reporter.errors import Problem

    error = InputError.of([Problem("s.toml", f"problem {n}") for n in range(1, 13)])
    assert str(error) == "s.toml: problem 1 (and 11 more problems)"
    lines = error.lines(hint=" (see all)")
    assert len(lines) == 10
    assert lines[:9] == [f"s.toml: problem {n}" for n in range(1, 10)]
    assert lines[9] == "... and 3 more problems (see all)"
    assert len(error.lines(limit=None)) == 12
    assert InputError("x", "y").lines() == ["x: y"]
    with pytest.raises(ValueError, match="at least one"):
        InputError.of([])


# --------------------------------------------------------------------------- AWS names


def test_aws_name_patterns_follow_the_service_models() -> None:
    """The patterns come from the AWS API reference; botocore's models carry the same."""
    import botocore.session

    from reporter.spec import ACCOUNT_PATTERN, LOG_GROUP_ARN, LOG_GROUP_NAME

    session = botocore.session.get_session()
    logs = session.get_service_model("logs").operation_model("FilterLogEvents").input_shape
    assert logs is not None
    name = logs.members["logGroupName"].metadata
    assert (name["pattern"], name["min"], name["max"]) == ("[\\.\\-_/#A-Za-z0-9]+", 1, 512)
    assert LOG_GROUP_NAME == "[.\\-_/#A-Za-z0-9]{1,512}"
    arn = logs.members["logGroupIdentifier"].metadata
    assert (arn["pattern"], arn["max"]) == ("[\\w#+=/:,.@-]*", 2048)
    assert LOG_GROUP_ARN == "arn:[A-Za-z0-9_#+=/:,.@-]{1,2044}"
    ecr = session.get_service_model("ecr").operation_model("DescribeImages").input_shape
    assert ecr is not None
    assert ecr.members["registryId"].metadata["pattern"] == ACCOUNT_PATTERN.pattern


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ('group = "/ecs/app"', 'group = "/ecs/my app"', "key 'logs.group': '/ecs/my app' is not a"),
        ('group = "/ecs/app"', f'group = "{"g" * 513}"', "key 'logs.group': "),
        ('group = "/ecs/app"', 'groups = ["/a", "b c"]', "key 'logs.groups[2]': 'b c' is not a"),
        (
            'repository = "backend"',
            'repository = "backend"\nregistry_id = "12345"',
            "key 'image.registry_id': '12345' is not an AWS account id",
        ),
    ],
)
def test_aws_names_aws_would_refuse(tmp_path: Path, old: str, new: str, fragment: str) -> None:
    _, lines = problems_of(tmp_path, replace(old, new))
    assert len(lines) == 1, lines
    assert fragment in lines[0]


def test_a_log_group_arn_is_a_group(tmp_path: Path) -> None:
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/app"
    loaded = load_spec(write(tmp_path, replace('group = "/ecs/app"', f'group = "{arn}"')))
    assert loaded.spec.logs.log_groups == (arn,)
