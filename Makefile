# Two commands set everything up: `make demo` runs the study on the embedded demo scene,
# `make test` runs the test suite. Both create the pinned environment in .venv first.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: setup demo test style typecheck lint tables clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint requirements.txt --editable ".[dev]"
	touch $@

demo: setup
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakemake --cores $(CORES)

# The style and type checks first: a formatting slip or a type error fails in a minute, not after the suite.
test: style typecheck
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -q -rs --durations=15

style: setup
	$(BIN)/ruff check .
	$(BIN)/snakefmt --check .

typecheck: setup
	$(BIN)/mypy

lint: style
	$(BIN)/snakemake --lint

# README's and docs/study.md's results tables from the workflow's CSVs, copied from results/ to docs/results/.
tables: setup
	$(BIN)/python -m rsseg.report.results_tables --copy-from results

clean:
	rm -rf results resources/datasets logs benchmarks .snakemake
