# pipereview: `make demo` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint bench mutation clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev,spark]"
	touch $@

demo: $(VENV)/.installed-base
	$(BIN)/pipereview demo --out demo

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy

# Mutation testing over metrics/, rules/ and report/ (config: [tool.mutmut] in pyproject.toml).
# Slow (about an hour on 2 cores); resumes where it stopped. Survivors: .venv/bin/mutmut results
mutation: $(VENV)/.installed-dev
	HYPOTHESIS_PROFILE=mutation $(BIN)/mutmut run --max-children $(or $(JOBS),2)
	$(BIN)/mutmut export-cicd-stats
	$(BIN)/python scripts/mutation_score.py

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run.py --sizes 100k,1M,10M --out benchmarks/results.md

clean:
	rm -rf $(VENV) demo mutants .pytest_cache .mypy_cache .ruff_cache
