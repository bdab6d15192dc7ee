"""How ``make test`` and ``make test-fast`` select tests (loaded with ``-p tests.quick``).

- ``timing``: the tests that compare measured times (a ratio of two timings, never a
  fixed bound). ``make test`` runs them alone (``--timing``), after the rest
  (``-m "not timing"``), so that its own parallel workers do not skew their measurements.
- ``--fast`` (``make test-fast``, the inner loop): only the pure tests. Left out is every
  test that talks to an emulator or a replay server over HTTP (:data:`EMULATOR_FIXTURES`,
  and every fixture built on them: ``aws``, ``aws_options``...), lives where emulators are
  started by hand or where PDFs, child processes, linters, git or generated corpora are
  the point (:data:`SLOW_PATHS`, not even imported), is one of :data:`SLOW_TESTS`, is a
  Hypothesis property (hundreds of examples each), or is ``timing``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

EMULATOR_FIXTURES = frozenset({"moto_server", "emulator", "replay_endpoint"})
"""A test whose fixtures include one of these talks HTTP to moto's server (``moto_server``,
the ``emulator`` of a module that starts its own) or to a server replaying recorded AWS
answers (``replay_endpoint``)."""

SLOW_PATHS = (
    "tests/benchmarks/",
    "tests/faults/",
    "tests/demo/",
    "tests/render/test_pdf.py",
    "tests/test_golden.py",
    "tests/test_hostile.py",
    "tests/test_interrupt.py",
    "tests/test_install.py",
    "tests/test_quality.py",
    "tests/test_malformed.py",
    "tests/test_properties.py",
    "tests/collect/test_cloudwatch_properties.py",
    "tests/collect/test_files_reference.py",
    "tests/collect/test_git.py",
)
"""Emulators started by hand, PDFs, child processes, linters, generated corpora, git."""

SLOW_TESTS = (
    "tests/test_cli_terminal.py::test_progress_is_drawn_on_a_real_terminal",
    "tests/test_cli_terminal.py::test_demo_without_git_warns_in_one_line",
    "tests/test_cli_terminal.py::test_completion_answers_the_shell",
    "tests/test_cli_terminal.py::test_install_completion_installs_a_script_bash_uses",
    "tests/test_cli.py::test_demo_writes_md_and_pdf_and_exits_0",
    "tests/test_cli.py::test_collect_then_render_offline_is_byte_identical",
    "tests/render/test_write.py::test_one_file_per_format",
    "tests/render/test_author.py::test_deep_nesting_still_makes_a_pdf",
    "tests/render/test_author.py::test_pdf_links_are_web_and_mail_only",
    "tests/render/test_author.py::test_images_load_nothing_in_any_format",
    "tests/render/test_bidi.py::test_pdf_shows_escapes",
    "tests/render/test_postmortem.py::test_the_postmortem_in_html_and_pdf",
    "tests/collect/test_files.py::test_memory_stays_flat_as_files_grow",
    "tests/collect/test_files.py::test_a_gzip_of_empty_lines_costs_no_python_per_line",
    "tests/collect/test_insights.py::test_thirteen_texts_in_every_combination_are_never_truncated",
    "tests/collect/test_ecs.py::test_result_does_not_depend_on_thread_count",
)
"""Single tests of otherwise quick files: generated inputs, a PDF, a child process."""

TIMING_TESTS = ("tests/test_redact.py::test_redaction_time_grows_linearly_with_the_input",)
"""Tests whose assertion compares measured times."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fast",
        action="store_true",
        default=False,
        help="only the pure tests: the inner loop of `make test-fast` (see tests/quick.py)",
    )
    parser.addoption(
        "--timing",
        action="store_true",
        default=False,
        help="only the tests that compare measured times (see tests/quick.py)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "timing: compares measured times; `make test` runs these alone, last"
    )


def is_slow(item: pytest.Item) -> bool:
    """Whether ``item`` stays out of the inner loop."""
    node = item.nodeid
    if node.startswith(SLOW_PATHS) or node.startswith(SLOW_TESTS) or is_timing(item):
        return True
    if EMULATOR_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    function = getattr(item, "function", None)
    return bool(getattr(function, "is_hypothesis_test", False))


def is_timing(item: pytest.Item) -> bool:
    """Whether ``item`` compares measured times."""
    return item.nodeid.startswith(TIMING_TESTS)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Files that hold none of the selected tests are not even imported (collecting them
    alone costs seconds): with ``--fast`` those under :data:`SLOW_PATHS`, with
    ``--timing`` all but the files of :data:`TIMING_TESTS`. None leaves a path to pytest."""
    fast, timing = config.getoption("fast"), config.getoption("timing")
    if not fast and not timing:
        return None
    try:
        relative = collection_path.resolve().relative_to(config.rootpath.resolve()).as_posix()
    except ValueError:
        return None
    if collection_path.is_dir():
        relative += "/"
    if fast and relative.startswith(SLOW_PATHS):
        return True
    if timing and not any(
        test.startswith(relative) or relative.startswith(test.split("::")[0])
        for test in TIMING_TESTS
    ):
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if is_timing(item):
            item.add_marker(pytest.mark.timing)
    unwanted: list[pytest.Item] = []
    if config.getoption("fast"):
        unwanted = [item for item in items if is_slow(item)]
    elif config.getoption("timing"):
        unwanted = [item for item in items if not is_timing(item)]
    if unwanted:
        config.hook.pytest_deselected(items=unwanted)
        dropped = set(map(id, unwanted))
        items[:] = [item for item in items if id(item) not in dropped]
