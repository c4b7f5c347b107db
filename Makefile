# Lieux partagés: two commands, `make demo` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON_BIN ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/lieux_partages
REDIS_PORT ?= 6379
# Settings used by the test suites: production-like (DEBUG off) but served over plain HTTP.
TEST_ENV := DEBUG=0 SECRET_KEY=test-only-secret-key-not-for-production SECURE_SSL_REDIRECT=0 \
	ALLOWED_HOSTS=localhost,127.0.0.1,testserver TEST_REDIS_URL=redis://127.0.0.1:$(REDIS_PORT)/1
DEPLOY_ENV := DEBUG=0 SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	ALLOWED_HOSTS=lieux.example.org CSRF_TRUSTED_ORIGINS=https://lieux.example.org

.PHONY: demo test install install-test assets translations lint pytest-sqlite pytest-postgres contract \
	pytest-both postgres redis chromium deploy-check clean

$(VENV)/bin/python:
	$(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when the pinned list changes.
$(VENV)/.runtime: pyproject.toml tools/requirements.py | $(VENV)/bin/python
	$(PY) -m pip install --quiet $$($(PY) tools/requirements.py)
	touch $@

$(VENV)/.test: pyproject.toml tools/requirements.py | $(VENV)/bin/python
	$(PY) -m pip install --quiet $$($(PY) tools/requirements.py test)
	touch $(VENV)/.runtime $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

assets: node_modules/.package-lock.json

# Compiled with Babel (a Python package), so no system gettext is needed.
translations: $(VENV)/.runtime
	$(VENV)/bin/pybabel compile --domain django --directory locale --statistics 2>&1 | grep -v "^$$" || true
	@test -f locale/en/LC_MESSAGES/django.mo -a -f locale/fr/LC_MESSAGES/django.mo

install: $(VENV)/.runtime assets translations

install-test: $(VENV)/.test assets translations

demo: install
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py load_demo
	@echo
	@echo "  Lieux partagés is served on http://127.0.0.1:$(PORT)/"
	@echo "  Staff pages: http://127.0.0.1:$(PORT)/manage/  (login: admin.demo / demo-password)"
	@echo
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(PY) manage.py check

postgres:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432; then \
		echo "Starting the local PostgreSQL cluster"; \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -1) main start; \
		for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi
	@pg_isready -h 127.0.0.1 -p 5432

# The shared cache's tests run against a local Redis (tests/test_shared_cache.py); each test
# writes under a key prefix of its own, so the two database runs share the server safely.
redis:
	@if ! redis-cli -h 127.0.0.1 -p $(REDIS_PORT) ping >/dev/null 2>&1; then \
		{ command -v redis-server && command -v redis-cli; } >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server; }; \
		echo "Starting the local Redis server"; \
		mkdir -p /var/lib/redis /var/log/redis; \
		redis-server --daemonize yes --bind 127.0.0.1 --port $(REDIS_PORT) --save "" --appendonly no \
			--dir /var/lib/redis --logfile /var/log/redis/redis-$(REDIS_PORT).log; \
		for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 -p $(REDIS_PORT) ping >/dev/null 2>&1 && break; sleep 1; done; \
	fi
	@redis-cli -h 127.0.0.1 -p $(REDIS_PORT) ping

# Browser tests drive Debian's Chromium (never a browser downloaded by a test tool).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

pytest-sqlite: install-test chromium redis
	$(TEST_ENV) $(PY) -m pytest -q -p no:cacheprovider

pytest-postgres: install-test chromium postgres redis
	$(TEST_ENV) DATABASE_URL=$(PG_URL) $(PY) -m pytest -q -p no:cacheprovider --create-db

# The API contract with many more generated requests per operation (docs/api.md, "Contract").
CONTRACT_EXAMPLES ?= 100
contract: install-test
	$(TEST_ENV) CONTRACT_EXAMPLES=$(CONTRACT_EXAMPLES) $(PY) -m pytest -q -p no:cacheprovider tests/api/test_api_contract.py

deploy-check: install
	$(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING

# The two database runs side by side, one per core (see docs/benchmarks.md). Each run's
# output is held and printed in one piece when it ends, so the two never interleave; the
# target fails if either run fails, once both have finished.
pytest-both: install-test chromium postgres redis
	+@$(MAKE) --no-print-directory --output-sync=target --jobs=2 pytest-sqlite pytest-postgres

test: lint pytest-both deploy-check

clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3 locale/*/LC_MESSAGES/*.mo
