# benchgen developer and user entry points. Everything runs in .venv, created on demand.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?=
NAMESPACE ?=
PYTEST_ARGS ?=

.PHONY: help render test lint unit golden schema bench clean

help:
	@echo "make render      render the embedded example (or CONFIG=path) to stdout"
	@echo "make test        lint, type-check and run the whole test suite"
	@echo "make unit        run pytest only (PYTEST_ARGS=... to pass options)"
	@echo "make golden      regenerate tests/golden expected output (review the diff!)"
	@echo "make schema      regenerate schemas/ from the config models"
	@echo "make bench       measure the runtime poller (requests, latency, memory, start-up)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,runtime]'
	touch $(STAMP)

render: $(STAMP)
	$(BIN)/benchgen render $(CONFIG) $(if $(NAMESPACE),--namespace $(NAMESPACE))

lint: $(STAMP)
	$(BIN)/ruff check generator tests $(wildcard bench)
	$(BIN)/ruff format --check generator tests $(wildcard bench)
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/benchgen schema --check

unit: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint unit

golden: $(STAMP)
	$(BIN)/pytest tests/test_golden.py --update-golden
	git diff --stat tests/golden

schema: $(STAMP)
	$(BIN)/benchgen schema

bench: $(STAMP)
	$(BIN)/python bench/poller_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
