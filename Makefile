# The two front-door commands (see README): `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench setup system wheel-check wall-plotly

# After pip: the wall's plotly.js (the cartesian partial bundle, from npm) into the venv; it only warns
# when it cannot (the wall then loads the full bundle). `setup` runs it again (a no-op when present), so
# a venv made before this step, or a plotly upgraded since, gets the bundle of the right version.
$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/python scripts/fetch-plotly-cartesian
	touch $(STAMP)

system:
	scripts/system-packages

wall-plotly: $(STAMP)
	@$(BIN)/python scripts/fetch-plotly-cartesian

setup: system $(STAMP) wall-plotly

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
