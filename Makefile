# pipereview: `make demo` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test check lint bench mutation mutation-sample clean browser postgres mariadb screenshot

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# The tests need every optional driver (the extras); the demo needs none.
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev,spark,postgres,mysql]"
	touch $@

demo: $(VENV)/.installed-base
	$(BIN)/pipereview demo --out demo --force  # the folder is make's own: written again

# The README's picture (docs/images/report.png): the top of the demo's HTML report in
# headless Chromium. Take it again whenever the report's look changes.
screenshot: demo browser
	$(BIN)/python scripts/screenshot.py --chromium $(CHROMIUM)

# The browser tests drive Debian's Chromium (never a downloaded browser): install it when
# missing (needs root or sudo, and Debian's package registry).
browser:
	@test -x $(CHROMIUM) || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -qq chromium >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }; }
	@test -x $(CHROMIUM) || { echo "error: $(CHROMIUM) is missing; apt-get install chromium"; exit 1; }

# The PostgreSQL tests start their own server on 127.0.0.1 from Debian's postgresql package
# (binaries only: no cluster of the package's is used): install it when missing.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql for the warehouse tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -qq postgresql >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq postgresql >/dev/null; }; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "error: PostgreSQL is missing; apt-get install postgresql"; exit 1; }

# The MySQL store tests start their own MariaDB server on 127.0.0.1 from Debian's
# mariadb-server package (binaries only: the package's own server is not used).
mariadb:
	@test -x /usr/sbin/mariadbd || { \
	  echo "installing Debian's mariadb-server for the MySQL store tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -qq mariadb-server >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq mariadb-server >/dev/null; }; }
	@test -x /usr/sbin/mariadbd || { echo "error: MariaDB is missing; apt-get install mariadb-server"; exit 1; }

# The whole suite on every core; the tests that share a server or Spark run on one worker
# each (xdist_group), so each is started once per run.
test: $(VENV)/.installed-dev browser postgres mariadb
	$(BIN)/python -m pytest -q -n auto --dist loadgroup

# Lint, then every test that needs no Spark, database server or browser (nothing to
# apt-get), with fewer Hypothesis examples: the loop to run before a commit.
check: lint
	HYPOTHESIS_PROFILE=quick $(BIN)/python -m pytest -q -n auto --dist loadgroup -m "not spark and not server and not browser"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy

# Mutation testing over metrics/, rules/ and report/ (config: [tool.mutmut] in pyproject.toml).
# Slow (thousands of mutants: most of a day on 2 cores); resumes where it stopped. Survivors:
# .venv/bin/mutmut results. `make mutation-sample` estimates the score in a few hours.
mutation: $(VENV)/.installed-dev
	HYPOTHESIS_PROFILE=mutation $(BIN)/mutmut run --max-children $(or $(JOBS),2)
	$(BIN)/mutmut export-cicd-stats
	$(BIN)/python scripts/mutation_score.py

# A seeded uniform sample of the same mutants, scored with its 95% confidence interval
# (SIZE=400 SEED=2026 JOBS=2 by default; resumes: a mutant already tried keeps its result).
mutation-sample: $(VENV)/.installed-dev
	HYPOTHESIS_PROFILE=mutation $(BIN)/python scripts/mutation_sample.py --size $(or $(SIZE),400) --seed $(or $(SEED),2026) --jobs $(or $(JOBS),2)
	$(BIN)/python scripts/mutation_score.py --sample

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run.py --sizes 100k,1M,10M --out benchmarks/results.md

clean:
	rm -rf $(VENV) demo mutants test-artifacts .pytest_cache .mypy_cache .ruff_cache
