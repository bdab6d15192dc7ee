# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck bench clean report-picture

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The runtime install (what a user gets from `pip install .`).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet .
	touch $@

# The editable install with the dev extra (tests, linters, type stubs).
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/reporter demo --output-dir reports

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q

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

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache
