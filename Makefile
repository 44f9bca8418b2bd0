# Motif: `make run` starts the whole product on embedded defaults; `make test` runs the whole suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
ADDR ?= 127.0.0.1:8000
ANVIL_PORT ?= 8545

.PHONY: install run test lint contracts bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the in-process chain will be used and contract rebuild checks are skipped."; fi

install: $(STAMP)
	@-$(MAKE) --no-print-directory node_modules/.package-lock.json

run: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py serve $(ADDR)

lint: install
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy .

test: lint
	$(PY) -m pytest

contracts:
	node provenance/contracts/compile.js

bench: install
	$(PY) -m stylization.bench
	$(PY) -m provenance.bench

clean:
	rm -rf var/test.sqlite3* var/cache
