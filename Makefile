# mediawatch: `make demo` runs the main job on the embedded store; `make test` runs the tests.
# The virtualenv is created once at .venv and reused (torch from PyPI is large): a stamp file
# records that pyproject.toml's dependencies are installed; edit pyproject.toml to refresh it.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: setup demo test es lint clean-demo

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: setup
	$(VENV)/bin/mediawatch demo

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

es: setup
	$(VENV)/bin/mediawatch es serve

clean-demo:
	rm -rf demo-output
