# Fresh clone: `make run` serves the demo archive; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000
export ARCHIVE_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run test install install-test system-packages demo init reindex check serve bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

# Debian's ffmpeg makes the redacted recordings; installed with apt-get only when it is missing
# (as root, or through sudo), so `make install` needs no root where ffmpeg is already there.
system-packages:
	@command -v ffmpeg >/dev/null 2>&1 || { \
	  echo "Installing Debian's ffmpeg (audio redaction needs it)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q ffmpeg; }
	@# pg_dump and pg_restore: `backup` and `restore` of a PostgreSQL archive
	@command -v pg_dump >/dev/null 2>&1 || { \
	  echo "Installing Debian's postgresql-client (backup and restore on PostgreSQL need it)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q postgresql-client; }

install: system-packages $(VENV)/.installed
install-test: system-packages $(VENV)/.installed-test

init: install
	$(PY) -m app init

demo: install
	$(PY) -m app demo

# Plain HTTP on the loopback interface: the session cookie cannot be HTTPS-only here.
run: install
	$(PY) -m app demo
	ARCHIVE_SESSION_COOKIE_SECURE=false $(PY) -m app serve --host $(HOST) --port $(PORT)

serve: install
	$(PY) -m app serve --host $(HOST) --port $(PORT)

reindex: install
	$(PY) -m app reindex

check: install
	$(PY) -m app check

# Every test on the default search engine, then every test but the browser's on the SQLite engine.
test: install-test
	$(PY) -m pytest -W error $(PYTEST_ARGS)
	ARCHIVE_SEARCH_ENGINE=sqlite $(PY) -m pytest -W error -p no:cacheprovider --ignore=tests/browser $(PYTEST_ARGS)

bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
