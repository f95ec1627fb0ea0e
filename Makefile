# Two commands (see README): `make run` and `make test`. Everything else is a helper target.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-stamp
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1

.PHONY: run test lint index install browser axe espeak postgres clean help

help:
	@echo "make run    set up, build the guide index if missing, start the app"
	@echo "make test   set up and run the test suite"
	@echo "make lint   ruff + mypy"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch is pinned to the CPU wheel in pyproject; the dev extra brings pytest, ruff, mypy.
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

index: $(STAMP)
	$(BIN)/interviewer ingest corpus

run: index
	$(BIN)/interviewer serve

# Headless Chromium for the browser test: best effort; the test skips with a reason without it.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get install -y -qq chromium >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1)) \
	     || echo "chromium could not be installed; the browser test will skip"; \
	  else echo "chromium not found and cannot be installed here; the browser test will skip"; fi; }

# axe-core (npm registry) for the browser test's accessibility check: only axe.min.js and its
# licence are kept, in tests/vendor/ (not committed); the check skips with a reason without it.
AXE_VERSION ?= 4.14.1
AXE_DIR := tests/vendor/axe-core
axe:
	@test -f $(AXE_DIR)/axe.min.js || { \
	  if command -v npm >/dev/null 2>&1; then \
	    tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null 2>&1 \
	      && tar xzf axe-core-$(AXE_VERSION).tgz package/axe.min.js package/LICENSE) \
	    && mkdir -p $(AXE_DIR) && cp $$tmp/package/axe.min.js $$tmp/package/LICENSE $(AXE_DIR)/ \
	    || echo "axe-core could not be fetched; the accessibility check will skip"; \
	    rm -rf $$tmp; \
	  else echo "npm not found; the accessibility check will skip"; fi; }

# espeak-ng: an independent synthetic voice for the speech-recognition test (skips without it).
espeak:
	@command -v espeak-ng >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get install -y -qq espeak-ng >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq espeak-ng >/dev/null 2>&1)) \
	     || echo "espeak-ng could not be installed; the espeak voice test will skip"; \
	  else echo "espeak-ng not found and cannot be installed here; the espeak voice test will skip"; fi; }

# PostgreSQL server binaries for the session-store and replica tests: best effort, like chromium.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get install -y -qq postgresql >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq postgresql >/dev/null 2>&1)) \
	     || echo "postgresql could not be installed; the PostgreSQL tests will skip"; \
	  else echo "PostgreSQL server binaries not found; the PostgreSQL tests will skip"; fi; }

test: $(STAMP) browser axe espeak postgres
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check interviewer ui evals tests
	$(BIN)/ruff format --check interviewer ui evals tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .interviewer .pytest_cache .mypy_cache .ruff_cache
