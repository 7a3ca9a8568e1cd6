# Custos: the commands a developer and CI use. Each target installs what it needs first.
# `make demo`  — install and run Custos on SQLite with synthetic demo data.
# `make test`  — install and run the whole test suite (SQLite and PostgreSQL).

SHELL := /bin/bash
UV := scripts/uv
PYTEST_WORKERS ?= 2
# `make demo PORT=8080 HOST=0.0.0.0` serves the demo elsewhere.
PORT ?= 8000
HOST ?= 127.0.0.1
# `make demo WORKERS=2` serves with two processes over the one database.
WORKERS ?= 1
export CUSTOS_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install demo serve test test-fast lint bench bench-smoke screenshots clean

install:
	@$(UV) sync --frozen

demo: install
	$(UV) run custos demo --host $(HOST) --port $(PORT) --workers $(WORKERS)

test: install
	@scripts/services
	$(UV) run pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

test-fast: install
	$(UV) run pytest -x -q -m "not slow and not postgres"

lint: install
	$(UV) run ruff check src tests benchmarks
	$(UV) run ruff format --check src tests benchmarks
	$(UV) run mypy
	$(UV) run bandit -q -c pyproject.toml -r src

bench: install
	@scripts/services
	$(UV) run python -m benchmarks --size full

bench-smoke: install
	@scripts/services
	$(UV) run python -m benchmarks --size smoke

# Refresh docs/screenshots/*.png (the README's pictures) with Debian's Chromium.
screenshots: install
	@scripts/services
	$(UV) run python -m tests.e2e.screenshots docs/screenshots

clean:
	rm -rf var .venv .mypy_cache .ruff_cache .pytest_cache .hypothesis
