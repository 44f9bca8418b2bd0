# Motif: `make run` starts the whole product on embedded defaults; `make test` runs the whole suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
ADDR ?= 127.0.0.1:8000
ANVIL_PORT ?= 8545

# The benches (tests/benchmarks/, listed in the README): `make bench-<name> ARGS='--help'`.
BENCHES := stylization api-latency print-fidelity device-slots provenance marketplace laundering loadtest routes controls softproof

.PHONY: install run serve-prod test lint contracts bench clean vendor-three $(addprefix bench-,$(BENCHES))

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

# The production shape on this machine: gunicorn plus one process per worker pool (config/queues.py)
# on the local PostgreSQL and Redis. Override DATABASE_URL / DRAMATIQ_BROKER_URL to point elsewhere.
PROD_ADDR ?= 127.0.0.1:8001
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/motif
DRAMATIQ_BROKER_URL ?= redis://127.0.0.1:6379/0
serve-prod:
	@test -x $(PY) || { echo "Run make install first."; exit 1; }
	@mkdir -p var
	@createdb -h 127.0.0.1 -U postgres "$$(basename "$(DATABASE_URL)")" 2>/dev/null || true
	DATABASE_URL=$(DATABASE_URL) $(PY) manage.py migrate --noinput
	DATABASE_URL=$(DATABASE_URL) DRAMATIQ_BROKER_URL=$(DRAMATIQ_BROKER_URL) $(PY) manage.py seed_demo
	DATABASE_URL=$(DATABASE_URL) DRAMATIQ_BROKER_URL=$(DRAMATIQ_BROKER_URL) $(PY) -m config.serve_prod --no-migrate --bind $(PROD_ADDR)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy .

test: lint
	$(PY) -m pytest

contracts:
	node provenance/contracts/compile.js

# three.js for the 3D mockups, copied from npm (package.json pins it) into the site's own static files:
# no CDN, and no import map (an inline script the CSP refuses), so OrbitControls' bare `from 'three'`
# is pointed at the vendored module build beside it. The copy is committed; run this after a bump.
THREE_DIR := frontend/static/frontend/vendor/three
vendor-three: node_modules/.package-lock.json
	mkdir -p $(THREE_DIR)
	cp node_modules/three/build/three.module.min.js node_modules/three/build/three.core.min.js node_modules/three/LICENSE $(THREE_DIR)/
	sed "s#from 'three';#from './three.module.min.js';#" node_modules/three/examples/jsm/controls/OrbitControls.js > $(THREE_DIR)/OrbitControls.js
	printf 'three.js %s (npm package "three": build/three.module.min.js, build/three.core.min.js and\nexamples/jsm/controls/OrbitControls.js), vendored by `make vendor-three`; OrbitControls.js imports\n./three.module.min.js instead of the bare specifier "three". Licence: LICENSE (MIT).\n' \
		"$$(node -p "require('./node_modules/three/package.json').version")" > $(THREE_DIR)/README


bench: bench-stylization bench-provenance

bench-marketplace: ARGS ?= --laundering
$(addprefix bench-,$(BENCHES)): bench-%: install
	$(PY) -m tests.benchmarks.$(subst -,_,$*) $(ARGS)

clean:
	rm -rf var/test.sqlite3* var/cache
