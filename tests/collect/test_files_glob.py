"""``[logs] files`` globs: pathlib's rules, within bounds (issue 11: ``**`` does not recurse
without bound), and the spec's errors for patterns past them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reporter.collect import logglob
from reporter.collect.logglob import GlobError, glob_files
from reporter.errors import InputError
from reporter.spec import load_spec

SPEC = """\
claimed_deployed_at = 2025-11-26T09:00:00Z
[image]
repository = "app"
[logs]
files = {files}
since = 2025-11-26T09:00:00Z
until = 2025-11-26T11:00:00Z
[[hotfix]]
id = "fix"
expect_logs = ["x"]
"""


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x\n")
    return path


def names(found: list[list[Path]], base: Path) -> list[list[str]]:
    return [[p.relative_to(base).as_posix() for p in paths] for paths in found]


def test_patterns_follow_pathlib_rules(tmp_path: Path) -> None:
    for name in ("a.log", "b.log", ".hidden.log", "a.txt", "logs/c.log", "logs/deep/d.log"):
        touch(tmp_path / name)
    (tmp_path / "dir.log").mkdir()
    found = glob_files(tmp_path, ["*.log", "**/*.log", "logs/*", "logs/**", "a.log", "[ab].log"])
    assert names(found, tmp_path) == [
        [".hidden.log", "a.log", "b.log"],
        [".hidden.log", "a.log", "b.log", "logs/c.log", "logs/deep/d.log"],
        ["logs/c.log"],
        ["logs/c.log", "logs/deep/d.log"],
        ["a.log"],
        ["a.log", "b.log"],
    ]


def test_an_absolute_pattern_starts_at_the_root(tmp_path: Path) -> None:
    touch(tmp_path / "x" / "a.log")
    (found,) = glob_files(Path("/nonexistent"), [f"{tmp_path}/x/*.log"])
    assert found == [tmp_path / "x" / "a.log"]


def test_double_star_does_not_follow_a_link_loop(tmp_path: Path) -> None:
    touch(tmp_path / "logs" / "a.log")
    (tmp_path / "logs" / "loop").symlink_to(tmp_path / "logs", target_is_directory=True)
    (found,) = glob_files(tmp_path, ["**/*.log"])
    assert found == [tmp_path / "logs" / "a.log"]


def test_double_star_goes_only_so_deep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logglob, "MAX_DEPTH", 3)
    deep = tmp_path
    for n in range(6):
        deep = deep / f"d{n}"
        touch(deep / "a.log")
    (found,) = glob_files(tmp_path, ["**/a.log"])
    assert len(found) == 3


def test_a_pattern_that_looks_at_too_many_entries_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logglob, "MAX_ENTRIES", 50)
    for n in range(30):
        touch(tmp_path / f"d{n}" / "a.log")
    with pytest.raises(GlobError, match="more than 50 folder entries") as info:
        glob_files(tmp_path, ["d0/a.log", "**/*.log"])
    assert info.value.index == 1


def test_too_many_files_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logglob, "MAX_FILES", 5)
    for n in range(6):
        touch(tmp_path / f"{n}.log")
    with pytest.raises(GlobError, match="more than 5 files"):
        glob_files(tmp_path, ["*.log"])


@pytest.mark.parametrize("pattern", ["**a/*.log", "", "/", "."])
def test_unusable_patterns_are_refused(tmp_path: Path, pattern: str) -> None:
    with pytest.raises(GlobError):
        glob_files(tmp_path, [pattern])


def test_a_file_name_that_is_not_utf8_is_globbed(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/bad-\xff.log"
    with open(raw, "wb") as handle:
        handle.write(b"x\n")
    (found,) = glob_files(tmp_path, ["*.log"])
    assert found == [Path(os.fsdecode(raw))]


def write_spec(folder: Path, files: str) -> Path:
    path = folder / "hotfix.toml"
    path.write_text(SPEC.format(files=files))
    return path


def test_the_spec_reads_each_file_once_in_pattern_order(tmp_path: Path) -> None:
    for name in ("b.log", "a.log", "logs/c.log"):
        touch(tmp_path / name)
    loaded = load_spec(write_spec(tmp_path, '["logs/*.log", "*.log", "a.log"]'))
    assert [p.relative_to(tmp_path).as_posix() for p in loaded.log_files()] == [
        "logs/c.log",
        "a.log",
        "b.log",
    ]


def test_the_spec_names_a_pattern_past_the_bounds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logglob, "MAX_ENTRIES", 10)
    for n in range(20):
        touch(tmp_path / f"{n}.log")
    with pytest.raises(InputError, match=r"key 'logs.files\[2\]': .*more than 10 folder entries"):
        load_spec(write_spec(tmp_path, '["0.log", "**/*.log"]'))


def test_the_spec_names_a_pattern_that_matches_no_file(tmp_path: Path) -> None:
    touch(tmp_path / "a.log")
    with pytest.raises(InputError, match=r"key 'logs.files\[2\]': 'none/\*.log' matches no file"):
        load_spec(write_spec(tmp_path, '["a.log", "none/*.log"]'))
