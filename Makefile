# Two targets a new machine needs: `make demo` runs the shipped example, `make test` runs
# every test. Both build .venv first (Python 3.11 or 3.12 and gcc: durable-rules compiles C).
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do command -v $$p >/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test venv clean

$(BIN)/perfrules: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q ".[test,xlsx]"
	touch $@

venv: $(BIN)/perfrules

demo: venv
	$(BIN)/perfrules evaluate examples/panyu-jiguan-gongwei-2023.yaml

test: venv
	$(BIN)/pip install -q --no-deps --force-reinstall .
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis
