# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Test processes: the suite waits a good part of its time (emulator round trips, child
# processes, time-outs it provokes), so one worker more than the machine's 2 cores keeps
# both busy; a fourth only adds its own start-up and contention (measured: README).
WORKERS ?= 3

.PHONY: demo test test-fast lint typecheck bench screenshot clean report-picture

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The runtime install (what a user gets from `pip install .`): no moto.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet .
	touch $@

# The runtime and the demo extra (moto's server, which `reporter demo` starts).
$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet '.[demo]'
	touch $@ $(VENV)/.installed

# The editable install with the dev extra (tests, linters, type stubs, the demo's moto).
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-demo

demo: $(VENV)/.installed-demo
	$(BIN)/reporter demo --output-dir reports

# Everything, mypy and ruff included (tests/test_quality.py), spread over $(WORKERS)
# processes (pytest-xdist; each has its own emulator; `WORKERS=0 make test`: one
# process), then alone the few tests that compare measured times (tests/quick.py).
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -n $(WORKERS) -p tests.quick -m "not timing"
	$(BIN)/python -m pytest -q -p tests.quick --timing

# The inner loop: the pure tests only, no emulator, PDF, child process, git or
# Hypothesis property (the selection is tests/quick.py).
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -n 2 -p tests.quick --fast

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check reporter tests
	$(BIN)/ruff format --check reporter tests

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

bench: $(VENV)/.installed-dev
	$(BIN)/python -m tests.benchmarks

# The demo's report as the README shows it: its Markdown and the first page of its PDF as a
# PNG, both under docs/demo/ (needs pdftoppm: `apt-get install -y poppler-utils`).
REPORT_DOCS := docs/demo
report-picture: $(VENV)/.installed
	rm -rf build/report-picture
	$(BIN)/reporter demo --output-dir build/report-picture
	mkdir -p $(REPORT_DOCS)
	cp build/report-picture/hotfix-verification-report.md $(REPORT_DOCS)/
	pdftoppm -png -r 80 -f 1 -l 1 -singlefile \
	  build/report-picture/hotfix-verification-report.pdf $(REPORT_DOCS)/hotfix-verification-report-page-1

# docs/terminal.png: a real `reporter verify --wait` run on the demo's emulator, drawn on
# a terminal (rich's SVG export), made a PDF by WeasyPrint, then a PNG by pdftoppm
# (apt-get install -y poppler-utils).
screenshot: $(VENV)/.installed-dev
	$(BIN)/python -m tests.screenshot docs/terminal.png

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache
