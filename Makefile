# The two front-door commands (see README): `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench setup system wheel-check

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

system:
	scripts/system-packages

setup: system $(STAMP)

demo: setup
	$(BIN)/cockpit demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The suite includes tests/integration/test_wheel.py: the built wheel installed in a fresh venv (scripts/check-wheel).
test: setup lint
	$(BIN)/pytest

# The unit tests only (tests/unit: inline data and in-memory or fixture databases, no servers): under a minute.
test-fast: $(STAMP)
	$(BIN)/pytest -q tests/unit

# The same check by hand, installing the wheel with its dependencies (network): what CI's last step runs.
wheel-check: $(STAMP)
	scripts/check-wheel $(BIN)/python

bench: setup
	$(BIN)/python -m benchmarks.run
