# Two commands do all set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: setup run test lint typecheck pytest invoke build package-sizes db-start db-stop \
	bench bench-etl bench-queries bench-recommendations evaluate load-test clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(INSTALLED)

## The local stack with data loaded and the API serving at http://127.0.0.1:8000 (DATA=<folder> for real files).
run: setup
	$(BIN)/python -m local.stack $(if $(DATA),--data "$(DATA)") $(if $(RATINGS),--ratings $(RATINGS))

## Lint, format check, type check and the whole test suite (slow full-scale checks included).
test: setup lint typecheck pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy layers etl functions local bench tests

pytest: setup
	$(BIN)/pytest

## Any function of template.yaml with any event, docker-free: make invoke FUNCTION=ActorFunction EVENT=events/actor.json
invoke: setup
	$(BIN)/python -m local.invoke $(FUNCTION) $(EVENT)

build: setup
	$(BIN)/sam validate --lint
	$(BIN)/sam build --cached --parallel

package-sizes: build
	$(BIN)/python -m local.package_sizes

db-start: setup
	$(BIN)/python -m local.postgres start

db-stop: setup
	$(BIN)/python -m local.postgres stop

## Every benchmark at full scale: bench/results.json, bench/results.md, bench/results.png.
bench: setup
	$(BIN)/python -m bench.suite

bench-etl: setup
	$(BIN)/python -m bench.etl --out bench/out/etl.json

bench-queries: setup
	$(BIN)/python -m bench.queries --calls 1000 --out bench/out/queries.json

bench-recommendations: setup
	$(BIN)/python -m bench.recommendations --out bench/out/recommendations.json

evaluate: setup
	$(BIN)/python -m bench.evaluate --out bench/out/evaluate.json

## Against a running `make run`: a mix of every route at rising concurrency.
load-test: setup
	$(BIN)/python -m bench.load --base-url http://127.0.0.1:8000 --duration 20 --out bench/out/load.json

## Keeps .local/ (the own PostgreSQL's data and the generated data).
clean:
	rm -rf .aws-sam .mypy_cache .ruff_cache .pytest_cache bench/out
