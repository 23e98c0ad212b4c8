# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CODE   := $(wildcard src tests benchmarks)
JS     := src/rejoinder/static

.PHONY: demo test fuzz install install-test services browser-deps lint format catalogues bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Rejoinder needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## Install, migrate ./rejoinder.db, load the reference article and serve http://127.0.0.1:8080
demo: install
	$(BIN)/rejoinder demo --host 127.0.0.1 --port 8080

# Four test processes, a test file each at a time (a file's servers and browser are started
# once for it). The suite mostly waits on servers, browsers and timers, not the CPU: on two
# cores two workers took 1020 s on an idle machine, four 824 s with other tests beside them.
PYTEST_WORKERS ?= -n 4 --dist loadfile

## Install test needs (system packages included), start local services, run every test
test: install-test services browser-deps
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/ruff check $(CODE)
	$(BIN)/mypy
	bash scripts/biome ci --error-on-warnings $(JS)
	$(BIN)/python -m pytest $(PYTEST_WORKERS)

## Fuzz the whole HTTP API for longer than `make test` does: FUZZ_SECONDS per database
FUZZ_SECONDS ?= 600
fuzz: install-test services
	REJOINDER_FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m pytest tests/cli/test_api_fuzzing.py -rA

## Debian's Chromium and axe-core (npm) for the browser tests
browser-deps:
	@bash scripts/ensure-browser

## Start PostgreSQL and Redis when they are installed but not running
services:
	@bash scripts/ensure-services

## Check the Python with ruff and mypy, the JavaScript with Biome (npm, installed on first use)
lint:
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/ruff check $(CODE)
	$(BIN)/mypy
	bash scripts/biome ci --error-on-warnings $(JS)

## Format the Python with ruff and the JavaScript with Biome, applying their safe fixes
format:
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)
	bash scripts/biome check --write $(JS)

## Rewrite locales/messages.pot from the marked messages and bring each language's .po up to it
catalogues: install
	$(BIN)/python scripts/make-catalogues

## Benchmarks against Isso (see benchmarks/README.md)
bench: install-test
	$(BIN)/python benchmarks/isso_comparison.py

clean:
	rm -rf $(VENV) .cache build *.egg-info src/*.egg-info .pytest_cache .ruff_cache .hypothesis .schemathesis
