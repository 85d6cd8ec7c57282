# CryoTx: two commands.  `make run` sets up and starts the main job; `make test` sets up and runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install lint typecheck pytest bench validate clean debs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

install: $(STAMP)

## Debian packages the test suite needs (PostgreSQL server, Chromium and its driver).
debs:
	bash scripts/ensure-debs.sh

run: install
	bash scripts/run.sh

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

pytest: install debs
	bash scripts/with-postgres.sh $(BIN)/python -m pytest -q -p no:cacheprovider

test: lint typecheck pytest

bench: install
	$(BIN)/python benchmarks/run_all.py

validate: install
	$(BIN)/cryotx validate

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
