# Fresh clone: `make run` serves the demo archive; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000
export ARCHIVE_INSTANCE_PATH ?= $(CURDIR)/instance
# Some machines set PYTHONDONTWRITEBYTECODE=1: then every `python -m app` (each CLI call, server and kill
# loop the tests start) compiles the project's modules anew, about 0.3 s of its 2 s start.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test install install-test system-packages demo init reindex check serve bench clean messages

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

# Debian's ffmpeg makes the redacted recordings and espeak-ng speaks the demo's recordings; ICU's headers build PyICU (the confusables table the
# one normaliser folds look-alike letters with). Installed with apt-get only when missing (as root, or
# through sudo), so `make install` needs no root where they are already there.
system-packages:
	@missing=""; \
	command -v ffmpeg >/dev/null 2>&1 || missing="$$missing ffmpeg"; \
	command -v espeak-ng >/dev/null 2>&1 || missing="$$missing espeak-ng"; \
	pkg-config --exists icu-uc 2>/dev/null || missing="$$missing libicu-dev pkg-config"; \
	command -v g++ >/dev/null 2>&1 || missing="$$missing g++"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian's$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

install: system-packages $(VENV)/.installed
install-test: system-packages $(VENV)/.installed-test

init: install
	$(PY) -m app init

demo: install
	$(PY) -m app demo

# Plain HTTP on the loopback interface: the session cookie cannot be HTTPS-only here. The job queue's
# worker (recordings re-encoded after a redaction) runs beside the server and stops with it.
run: install
	$(PY) -m app demo
	$(PY) -m app worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	ARCHIVE_SESSION_COOKIE_SECURE=false $(PY) -m app serve --host $(HOST) --port $(PORT)

serve: install
	$(PY) -m app serve --host $(HOST) --port $(PORT)

reindex: install
	$(PY) -m app reindex

check: install
	$(PY) -m app check

# Every test on the default search engine (SQLite FTS5), on every core; then, on Whoosh, the tests whose
# outcome depends on the engine (tests/conftest.py: ENGINE_DEPENDENT), on the SQLite database. The first
# pass names its engine too, so that neither an ARCHIVE_SEARCH_ENGINE left in the shell nor a later change
# of the default decides which engine the whole suite tests.
TEST_WORKERS ?= auto
# The third pass: the engine-dependent tests that search, on the PostgreSQL engine and database (the
# postgresql engine's own contract tests, tests/integration/test_search_index.py and
# test_search_postgresql.py, run in the first pass).
# The whole leak suite on it takes minutes: its search, suggestion and index-content cases run here. These
# meet PostgreSQL here only, with its engine; in the first pass they run on SQLite (tests/backends.py).
PG_ENGINE_TESTS ?= tests/integration/test_search_language.py tests/integration/test_consent_purge.py \
  tests/security/test_leaks.py tests/quality/test_judged_queries.py
PG_ENGINE_SELECT ?= not test_leaks or searching or prefix or index_files or redaction_added
test: install-test
	ARCHIVE_SEARCH_ENGINE=sqlite $(PY) -m pytest -W error -n $(TEST_WORKERS) $(PYTEST_ARGS)
	ARCHIVE_SEARCH_ENGINE=whoosh $(PY) -m pytest -W error -n $(TEST_WORKERS) -p no:cacheprovider \
	  --engine-dependent-only -m "not postgres" $(PYTEST_ARGS)
	ARCHIVE_SEARCH_ENGINE=postgresql $(PY) -m pytest -W error -n $(TEST_WORKERS) -p no:cacheprovider \
	  --engine-dependent-only -m postgres -k "$(PG_ENGINE_SELECT)" $(PG_ENGINE_TESTS) $(PYTEST_ARGS)

# The interface's catalogues: after changing a page's or a message's words, extract them and merge them
# into app/translations/{ar,fr}/LC_MESSAGES/messages.po, then translate what is new (its msgstr is empty;
# tests/web/test_interface_language.py fails until it is done). The .mo files are compiled by the app at start.
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k _l --no-location --sort-output --no-wrap \
	  --project "Testimony Archive" -o app/translations/messages.pot .
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations --no-wrap --no-fuzzy-matching

bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
