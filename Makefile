# Two commands do all set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: setup run test lint typecheck pytest invoke bench-etl clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(INSTALLED)

## The local stack with data loaded and the API serving at http://127.0.0.1:8000 (DATA=<folder> for real files).
run: setup
	$(BIN)/python -m local.stack $(if $(DATA),--data "$(DATA)")

## Lint, format check, type check and the whole test suite (slow full-scale checks included).
test: setup lint typecheck pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy layers etl functions local bench tests

pytest: setup
	$(BIN)/pytest

clean:
	rm -rf .aws-sam .mypy_cache .ruff_cache .pytest_cache bench/out
