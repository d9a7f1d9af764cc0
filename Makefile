# The two commands of the README: `make demo` (start the platform with Haining demo data on the
# embedded SQLite database) and `make test` (the whole test suite). Everything else is their
# plumbing: a .venv from the lock file, npm packages, static files and translations.

PY ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
WEB_WORKERS ?= 2
PYTEST_ARGS ?= -n 2

.PHONY: demo test build lint typecheck messages serve clean

build: $(BIN)/.installed node_modules/.installed wushe/static/vendor/manifest.json messages

$(BIN)/.installed: requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

wushe/static/vendor/manifest.json: node_modules/.installed scripts/build-static.mjs
	npm run --silent build

messages: $(BIN)/.installed
	@$(BIN)/wushe i18n compile

demo: build
	$(BIN)/wushe migrate --noinput -v0
	$(BIN)/wushe demo load
	$(BIN)/wushe collectstatic --noinput -v0
	@echo "五社联动演示平台: http://127.0.0.1:$(PORT)/  (demo logins in README.md, password: $${WUSHE_DEMO_PASSWORD:-wushe-demo})"
	exec $(BIN)/gunicorn wushe.wsgi --bind 127.0.0.1:$(PORT) --workers $(WEB_WORKERS) --access-logfile - --log-level warning

test: build
	WUSHE_TESTING=1 $(BIN)/pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy wushe

clean:
	rm -rf $(VENV) node_modules wushe/static/vendor var/static
