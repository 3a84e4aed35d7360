# Two targets a new machine needs: `make demo` runs the shipped example, `make test` type-checks
# the engine and runs every test. Both build .venv first (Python 3.11 or 3.12 and gcc: durable-rules compiles C).
# The first interpreter that really runs and is 3.11 or 3.12 (pyenv shims may exist but fail).
PYTHON ?= $(shell for p in python3.11 python3.12 python3; do \
	$$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test venv clean

$(BIN)/perfrules: pyproject.toml
	@test -n "$(PYTHON)" || { echo "需要 Python 3.11 或 3.12 / Python 3.11 or 3.12 is required"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q ".[test]"
	touch $@

venv: $(BIN)/perfrules

demo: venv
	$(BIN)/perfrules evaluate examples/panyu-jiguan-gongwei-2023.yaml

test: venv
	$(BIN)/pip install -q --no-deps --force-reinstall .
	$(BIN)/mypy
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis
