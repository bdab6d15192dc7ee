"""The inner loop's selection (``make test-fast``): the pure tests only.

Loaded with ``-p tests.quick``, it marks ``slow`` every test that

- talks to an emulator: its fixtures include moto's server (``moto_server``, so ``aws``,
  ``aws_options`` and every fixture built on them), or it lives where emulators are
  started by hand (:data:`SLOW_PATHS`: the fault matrix, the demo, the golden files);
- renders a PDF, runs a child process or the linters (:data:`SLOW_PATHS` too);
- is a Hypothesis property (hundreds of examples each);

and ``make test-fast`` runs ``-m "not slow"``. ``make test`` runs everything, this
selection plays no part in it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

EMULATOR_FIXTURES = frozenset({"moto_server"})
"""A test whose fixtures include one of these reaches moto's server."""

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
    "tests/test_redact.py::test_redaction_time_grows_linearly_with_the_input",
    "tests/test_cli_terminal.py::test_progress_is_drawn_on_a_real_terminal",
    "tests/test_cli_terminal.py::test_demo_without_git_warns_in_one_line",
    "tests/test_cli_terminal.py::test_completion_answers_the_shell",
    "tests/test_cli_terminal.py::test_install_completion_installs_a_script_bash_uses",
    "tests/test_cli.py::test_demo_writes_md_and_pdf_and_exits_0",
    "tests/test_cli.py::test_collect_then_render_offline_is_byte_identical",
    "tests/render/test_write.py::test_one_file_per_format",
    "tests/collect/test_files.py::test_memory_stays_flat_as_files_grow",
    "tests/collect/test_files.py::test_a_gzip_of_empty_lines_costs_no_python_per_line",
    "tests/collect/test_insights.py::test_thirteen_texts_in_every_combination_are_never_truncated",
    "tests/collect/test_ecs.py::test_result_does_not_depend_on_thread_count",
)
"""Single tests of otherwise quick files: generated inputs, a PDF, a child process."""


def is_slow(item: pytest.Item) -> bool:
    """Whether ``item`` stays out of the inner loop."""
    node = item.nodeid
    if node.startswith(SLOW_PATHS) or node.startswith(SLOW_TESTS):
        return True
    if EMULATOR_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    function = getattr(item, "function", None)
    return bool(getattr(function, "is_hypothesis_test", False))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Files under :data:`SLOW_PATHS` are not even imported (their collection alone costs
    seconds); None leaves every other path to pytest."""
    try:
        relative = collection_path.resolve().relative_to(config.rootpath.resolve()).as_posix()
    except ValueError:
        return None
    if collection_path.is_dir():
        relative += "/"
    return True if relative.startswith(SLOW_PATHS) else None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: left out of `make test-fast` (see tests/quick.py)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if is_slow(item):
            item.add_marker(pytest.mark.slow)
