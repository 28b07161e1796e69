# Two commands do all set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
# PYTHON313: python3.13 on PATH if it runs, else pyenv's (the detection is shared with the
# Lambda builds, which must compile bytecode with the runtime's minor version).
include layers/lambda-build.mk
PYTHON ?= $(PYTHON313)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Every Python process of the project is 3.13, the Lambda runtime's: a .venv made by another
# Python (the project used 3.11 before) is rebuilt from scratch.
IS_313 := import sys; sys.exit(sys.version_info[:2] != (3, 13))
VENV_IS_313 := $(shell $(BIN)/python -c '$(IS_313)' >/dev/null 2>&1 && echo yes)

.PHONY: setup lock upgrade browser java build-host run e2e test lint typecheck pytest invoke build package-sizes db-start db-stop \
	bench readme readme-check bench-etl bench-queries bench-recommendations bench-relevance bench-scale evaluate load-test clean \
	venv-not-313

ifneq ($(VENV_IS_313),yes)
$(INSTALLED): venv-not-313
venv-not-313: ;
endif

# Everything installs from uv.lock, hashes checked, nothing resolved: uv itself is bootstrapped
# with pip at the version the lock holds, then `uv sync --frozen` makes the venv exactly the lock
# (the project, editable, and the dev group), its bytecode compiled once, as the Lambda builds'
# is: a shell with PYTHONDONTWRITEBYTECODE would otherwise compile every import of every process.
UV_VERSION := $(shell sed -n '/^name = "uv"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' uv.lock)
export UV_PYTHON_DOWNLOADS := never
$(INSTALLED): pyproject.toml uv.lock
	@"$(or $(PYTHON),false)" -c '$(IS_313)' >/dev/null 2>&1 \
		|| { echo "$(PYTHON313_MISSING) [PYTHON=$(PYTHON)]" >&2; exit 1; }
	@$(BIN)/python -c '$(IS_313)' >/dev/null 2>&1 || rm -rf $(VENV)
	test -x $(BIN)/python || "$(PYTHON)" -m venv $(VENV)
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --default-pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv sync --frozen --compile-bytecode --python $(BIN)/python
	touch $@

setup: $(INSTALLED) java

## After editing pyproject.toml's dependencies: uv.lock again, changing no other pin.
lock: setup
	$(BIN)/uv lock

## Every dependency to its newest release the constraints allow (then run make test and commit).
upgrade: setup
	$(BIN)/uv lock --upgrade

# The /docs browser test (tests/e2e/test_docs_browser.py) drives a system Chromium with
# Playwright (whose own browser download is not used): Debian's `chromium`, installed here when
# missing where apt-get runs as root; elsewhere the message says what to install.
CHROMIUM = $(or $(STREAMCAT_CHROMIUM),$(shell command -v chromium chromium-browser google-chrome 2>/dev/null | head -n 1))
CHROMIUM_MISSING := the /docs browser test needs Chromium: install Debian's chromium package \
	(apt-get install chromium) or set STREAMCAT_CHROMIUM to a Chromium or Chrome binary
browser:
	@if [ -z "$(CHROMIUM)" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else echo "$(CHROMIUM_MISSING)" >&2; exit 1; fi; \
	fi

# The Spark training job (etl/spark/train_job.py) runs locally in pyspark's Spark, on a Java 17
# runtime: Debian's openjdk-17-jre-headless, installed here when no java is found where apt-get
# runs as root; elsewhere the message says what to install.
JAVA = $(or $(wildcard $(JAVA_HOME)/bin/java),$(shell command -v java 2>/dev/null))
JAVA_MISSING := the Spark training job needs a Java 17 runtime: install Debian's \
	openjdk-17-jre-headless (apt-get install openjdk-17-jre-headless) or set JAVA_HOME to a Java 17
java:
	@if [ -z "$(JAVA)" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				openjdk-17-jre-headless; \
		else echo "$(JAVA_MISSING)" >&2; exit 1; fi; \
	fi

## The local stack with data loaded and the API serving at http://127.0.0.1:8000 (DATA=<folder> for real files).
run: setup
	$(BIN)/python -m local.stack $(if $(DATA),--data "$(DATA)") $(if $(RATINGS),--ratings $(RATINGS)) \
		$(if $(PORT),--port $(PORT)) $(if $(STATE),--state "$(STATE)")

## The end-to-end suite against a deployed stack: make e2e STACK=<stack name> (AWS credentials from the usual places).
e2e: setup browser
	@test -n "$(STACK)" || { echo "make e2e STACK=<deployed stack name> (make test runs it locally)" >&2; exit 2; }
	STREAMCAT_E2E_STACK="$(STACK)" $(BIN)/pytest tests/e2e

## Lint, format check, type check and the whole test suite (slow full-scale checks included).
test: setup lint typecheck pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy layers etl functions local bench tests

pytest: setup browser
	$(BIN)/pytest

## Any function of template.yaml with any event, docker-free: make invoke FUNCTION=ActorFunction EVENT=events/actor.json
invoke: setup
	$(BIN)/python -m local.invoke $(FUNCTION) $(EVENT)

## SAM's python_pip builds (the HTTP functions) look for python3.13 on PATH: the .venv's first.
build: setup
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/sam validate --lint
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/sam build --cached --parallel

## The functions built for this machine (x86_64), as the build test imports them and the
## cold-init bench measures them (SAM's cache does not know LAMBDA_ARCH: a folder of its own).
## LAMBDA_ARCH picks the makefile builds' wheels, the Architecture parameter the pip builds'.
HOST_BUILD := .aws-sam/test-x86_64
build-host: setup
	PATH="$(abspath $(BIN)):$$PATH" LAMBDA_ARCH=x86_64 $(BIN)/sam build --build-dir $(HOST_BUILD)/build \
		--cache-dir $(HOST_BUILD)/cache --cached --parallel --parameter-overrides Architecture=x86_64

package-sizes: build
	$(BIN)/python -m local.package_sizes

db-start: setup
	$(BIN)/python -m local.postgres start

db-stop: setup
	$(BIN)/python -m local.postgres stop

## Every benchmark but bench-scale, at full scale: bench/results.json, .md and .png, then
## the figures of README.md and docs/*.md rendered from them.
bench: setup build build-host
	$(BIN)/python -m bench.suite --merge
	$(BIN)/python -m bench.readme

## The figure blocks of README.md and docs/*.md from the committed bench/results.json;
## readme-check only compares.
readme: setup
	$(BIN)/python -m bench.readme

readme-check: setup
	$(BIN)/python -m bench.readme --check

bench-etl: setup build-host
	$(BIN)/python -m bench.etl --out bench/out/etl.json

## The data path end to end at 1x, 3x and 10x the ratings (hours; not part of `make bench`):
## bench/out/scale.json and .png, its rows merged into bench/results.*, docs/scaling.md's figures.
bench-scale: setup
	$(BIN)/python -m bench.suite --only scale --merge
	$(BIN)/python -m bench.readme

bench-queries: setup
	$(BIN)/python -m bench.queries --calls 1000 --out bench/out/queries.json

## Search relevance on the real catalogs (bench/relevance.py --titles, STREAMCAT_REAL_TITLES):
## MRR@10 and NDCG@5 of ours and of PostgreSQL's rankers, bench/out/relevance.json.
bench-relevance: setup
	$(BIN)/python -m bench.relevance --out bench/out/relevance.json

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
