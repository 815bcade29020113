# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make run    install, migrate the embedded SQLite database, load the demo, serve on :8000
#   make test   install the test dependencies and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install install-test browser lint smoke bench frontend clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py load_demo
	@echo
	@echo "  ClusterLab is starting on http://$(HOST):$(PORT)/"
	@echo "  Demo login: user 'demo', password 'clusterlab-demo'"
	@echo
	DEBUG=1 $(BIN)/daphne -b $(HOST) -p $(PORT) clusterlab.asgi:application

# Debian's chromium drives the browser tests; installed here when we may (root), else skipped.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "note: chromium missing and not root; browser tests will be skipped"; fi; }

test: install-test browser
	$(BIN)/pytest $(PYTEST_ARGS)
	@if command -v node >/dev/null 2>&1; then node --test frontend/test/; \
	  else echo "note: node missing; JavaScript unit tests skipped"; fi

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The embedded default (SQLite, in-memory layer) served by daphne, probed over HTTP.
smoke: install
	$(BIN)/python scripts/smoke_embedded.py

bench: install-test
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Rebuild the committed browser bundle (static/app/app.js) from frontend/.
frontend:
	cd frontend && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache .ruff_cache .hypothesis
