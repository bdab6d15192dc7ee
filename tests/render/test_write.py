"""write_reports: one whole file per format, atomically; template overrides."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from reporter.errors import InputError
from reporter.model import Bundle
from reporter.render import (
    RENDERERS,
    OutputFormat,
    render,
    write_bundle,
    write_reports,
)
from reporter.render.environment import environment, packaged_templates
from reporter.render.json import dump_bundle, load_bundle


def test_one_file_per_format(not_deployed: Bundle, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "reports"
    formats = [
        OutputFormat.MD,
        OutputFormat.PDF,
        OutputFormat.HTML,
        OutputFormat.JSON,
        OutputFormat.MD,
    ]
    paths = write_reports(not_deployed, formats, out, "INC-2025-1126")
    assert paths == [out / f"INC-2025-1126.{ext}" for ext in ("md", "pdf", "html", "json")]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
    assert paths[0].read_bytes() == render(not_deployed, OutputFormat.MD)
    assert paths[1].read_bytes().startswith(b"%PDF-")
    assert paths[3].read_bytes() == dump_bundle(not_deployed)


def test_files_get_the_usual_permissions(not_deployed: Bundle, tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        [path] = write_reports(not_deployed, [OutputFormat.MD], tmp_path, "r")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_existing_report_is_replaced_whole(
    not_deployed: Bundle, verified: Bundle, tmp_path: Path
) -> None:
    target = tmp_path / "r.md"
    target.write_text("old report", encoding="utf-8")
    inode = target.stat().st_ino
    write_reports(verified, [OutputFormat.MD], tmp_path, "r")
    assert target.read_bytes() == render(verified, OutputFormat.MD)
    assert target.stat().st_ino != inode  # renamed into place, not rewritten in place
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]


def test_a_failed_render_leaves_the_old_reports(not_deployed: Bundle, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "report.html.j2").write_text("{{ no_such_value }}", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "r.md").write_text("old md", encoding="utf-8")
    with pytest.raises(InputError, match=r"template error in .*no_such_value"):
        write_reports(not_deployed, [OutputFormat.MD, OutputFormat.HTML], out, "r", templates)
    assert (out / "r.md").read_text(encoding="utf-8") == "old md"
    assert [p.name for p in out.iterdir()] == ["r.md"]


def test_unwritable_folder_is_bad_input(not_deployed: Bundle, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        write_reports(not_deployed, [OutputFormat.MD], blocker / "reports", "r")
    assert caught.value.where == str(blocker / "reports")
    assert caught.value.problem.startswith("cannot write: ")


def test_a_file_in_the_way_of_the_report(not_deployed: Bundle, tmp_path: Path) -> None:
    (tmp_path / "r.md").mkdir()
    with pytest.raises(InputError) as caught:
        write_reports(not_deployed, [OutputFormat.MD], tmp_path, "r")
    assert caught.value.problem.startswith("cannot write: ")
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]  # no temporary file left


@pytest.mark.parametrize("stem", ["", "..", "a/b", "../escape"])
def test_stem_is_a_file_name(not_deployed: Bundle, tmp_path: Path, stem: str) -> None:
    with pytest.raises(InputError):
        write_reports(not_deployed, [OutputFormat.MD], tmp_path, stem)


def test_template_dir_overrides_by_name(not_deployed: Bundle, tmp_path: Path) -> None:
    (tmp_path / "macros.md.j2").write_text(
        (packaged_templates() / "macros.md.j2")
        .read_text(encoding="utf-8")
        .replace('"fail": "✘"', '"fail": "FAILED:"'),
        encoding="utf-8",
    )
    (tmp_path / "report.css").write_text("body { color: rebeccapurple; }\n", encoding="utf-8")
    md = render(not_deployed, OutputFormat.MD, tmp_path).decode()
    assert "| `multi-platform-parsing.image_after_fix` | FAILED: FAIL |" in md
    assert "## Executive Summary" in md  # report.md.j2 still the packaged one
    page = render(not_deployed, OutputFormat.HTML, tmp_path).decode()
    assert "rebeccapurple" in page
    assert "counter(pages)" not in page


def test_one_section_overrides_alone(not_deployed: Bundle, tmp_path: Path) -> None:
    """A team changes one section (a partial) and keeps every other one."""
    (tmp_path / "sections").mkdir()
    (tmp_path / "sections" / "timeline.md.j2").write_text(
        "## Our Timeline\n\n{{ view.timeline.moments|length }} moments.\n\n", encoding="utf-8"
    )
    md = render(not_deployed, OutputFormat.MD, tmp_path).decode()
    assert "## Our Timeline\n\n8 moments.\n" in md
    assert "```mermaid" not in md
    assert "## Executive Summary" in md
    assert "## Appendix A: All Checks" in md
    page = render(not_deployed, OutputFormat.HTML, tmp_path).decode()
    assert "Our Timeline</h2>" in page
    assert '<figure class="timeline">' not in page  # the SVG was the section's


def test_whole_report_template_override(not_deployed: Bundle, tmp_path: Path) -> None:
    (tmp_path / "report.md.j2").write_text(
        "# {{ view.bundle.spec.title|md_text }}: {{ view.bundle.verdict.value }}\n",
        encoding="utf-8",
    )
    assert render(not_deployed, OutputFormat.MD, tmp_path) == (
        b"# Hotfix Verification Report: NOT_DEPLOYED\n"
    )


def test_missing_template_dir_is_bad_input(not_deployed: Bundle, tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        render(not_deployed, OutputFormat.MD, tmp_path / "missing")
    assert "template folder not found" in caught.value.problem


def test_environment_is_built_once_per_folder(tmp_path: Path) -> None:
    assert environment() is environment(None)
    assert environment(tmp_path) is environment(tmp_path / ".")
    assert environment(tmp_path) is not environment()
    env = environment()
    assert env.autoescape("report.html.j2") is True  # type: ignore[operator]
    assert env.autoescape("report.md.j2") is False  # type: ignore[operator]


def test_every_format_has_a_renderer() -> None:
    assert set(RENDERERS) == set(OutputFormat)
    assert {f.value for f in OutputFormat} == {"md", "pdf", "html", "json", "summary", "junit"}
    for name in (
        "report.md.j2",
        "postmortem.md.j2",
        "macros.md.j2",
        "labels.j2",
        "report.html.j2",
        "report.css",
        "summary.md.j2",
        "sections/summary.md.j2",
        "blocks/timeline.svg.j2",
    ):
        assert (packaged_templates() / name).is_file()


def test_write_bundle(not_deployed: Bundle, tmp_path: Path) -> None:
    path = write_bundle(not_deployed, tmp_path / "new" / "folder" / "bundle.json")
    assert path == tmp_path / "new" / "folder" / "bundle.json"
    assert path.read_bytes() == dump_bundle(not_deployed)
    assert load_bundle(path) == not_deployed
    assert [p.name for p in path.parent.iterdir()] == ["bundle.json"]


def test_write_bundle_refuses_a_folder_or_a_blocked_path(
    not_deployed: Bundle, tmp_path: Path
) -> None:
    with pytest.raises(InputError) as caught:
        write_bundle(not_deployed, tmp_path)
    assert caught.value.problem == "cannot write: is a folder"
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        write_bundle(not_deployed, tmp_path / "file" / "bundle.json")
    assert caught.value.problem.startswith("cannot write: ")


# --------------------------------------------------------------------------- output paths


def test_write_bundle_refuses_a_symlink_and_leaves_its_target(
    not_deployed: Bundle, tmp_path: Path
) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me", encoding="utf-8")
    link = tmp_path / "bundle.json"
    link.symlink_to(precious)
    with pytest.raises(InputError) as caught:
        write_bundle(not_deployed, link)
    assert caught.value.problem.startswith("cannot write: is a symbolic link")
    assert precious.read_text(encoding="utf-8") == "keep me"
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.json", "precious.txt"]


def test_write_bundle_refuses_a_dangling_symlink(not_deployed: Bundle, tmp_path: Path) -> None:
    link = tmp_path / "bundle.json"
    link.symlink_to(tmp_path / "elsewhere" / "created.json")
    with pytest.raises(InputError, match="is a symbolic link"):
        write_bundle(not_deployed, link)
    assert not (tmp_path / "elsewhere").exists()


def test_write_bundle_refuses_a_fifo_without_blocking(not_deployed: Bundle, tmp_path: Path) -> None:
    fifo = tmp_path / "bundle.json"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="is a FIFO, not a regular file"):
        write_bundle(not_deployed, fifo)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_write_bundle_never_replaces_a_device_node(not_deployed: Bundle, tmp_path: Path) -> None:
    device = tmp_path / "bundle.json"
    try:
        os.mknod(device, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD")
    with pytest.raises(InputError, match="is a device, not a regular file"):
        write_bundle(not_deployed, device)
    assert stat.S_ISCHR(device.lstat().st_mode)


def test_write_bundle_refuses_a_socket(not_deployed: Bundle, tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        with pytest.raises(InputError, match="is a socket"):
            write_bundle(not_deployed, path)


def test_write_reports_checks_every_target_before_writing_any(
    not_deployed: Bundle, tmp_path: Path
) -> None:
    precious = tmp_path / "precious.html"
    precious.write_text("keep me", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "r.html").symlink_to(precious)
    with pytest.raises(InputError, match="is a symbolic link"):
        write_reports(not_deployed, [OutputFormat.MD, OutputFormat.HTML], out, "r")
    assert sorted(p.name for p in out.iterdir()) == ["r.html"]  # no r.md, no temporary file
    assert precious.read_text(encoding="utf-8") == "keep me"


def test_a_folder_given_through_a_link_is_used(not_deployed: Bundle, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "reports").symlink_to(real)
    [path] = write_reports(not_deployed, [OutputFormat.MD], tmp_path / "reports", "r")
    assert (real / "r.md").is_file()
    assert path == tmp_path / "reports" / "r.md"


def test_a_name_at_the_file_system_limit_can_be_written(
    not_deployed: Bundle, tmp_path: Path
) -> None:
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    stem = "r" * (name_max - len(".json"))
    [path] = write_reports(not_deployed, [OutputFormat.JSON], tmp_path, stem)
    assert len(path.name) == name_max
    assert path.read_bytes() == dump_bundle(not_deployed)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    bundle = write_bundle(not_deployed, tmp_path / ("b" * (name_max - 5) + ".json"))
    assert bundle.is_file()


def test_a_name_past_the_limit_is_one_line(not_deployed: Bundle, tmp_path: Path) -> None:
    stem = "r" * os.pathconf(tmp_path, "PC_NAME_MAX")
    with pytest.raises(InputError) as caught:
        write_reports(not_deployed, [OutputFormat.MD], tmp_path, stem)
    assert "cannot write: " in caught.value.problem
    assert list(tmp_path.iterdir()) == []
