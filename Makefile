# The two commands of the README: `make serve` and `make test`.
# Both create the virtual environment and install what they need on first use.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
ARGS ?=

.PHONY: serve test lint format system-deps clean

# pip's own lines show what is being installed. Wheels only where one exists (no builds), and no
# bytecode compiled up front: Python compiles the modules t3site imports when it first imports them,
# a fraction of what the packages ship. (bench/first_start.py measures this; docs/benchmarks.md.)
PIP_INSTALL := $(PY) -m pip install --disable-pip-version-check --no-compile --prefer-binary

$(VENV)/.runtime-installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "t3site needs Python 3.11 or newer")'
	@test -x $(PY) || { echo "t3site: creating the virtual environment $(VENV) (first run only)"; $(PYTHON) -m venv $(VENV); }
	@echo "t3site: installing what the server needs (requirements.txt) into $(VENV)"
	$(PIP_INSTALL) -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.runtime-installed requirements-dev.txt requirements-scale.txt
	@echo "t3site: installing the test tools and the PostgreSQL and Redis clients (requirements-dev.txt)"
	$(PIP_INSTALL) -r requirements-dev.txt
	@touch $@

serve: $(VENV)/.runtime-installed
	@echo "t3site: starting the server"
	@$(PY) manage.py serve $(ARGS)

# System programs the browser and SSH tests need (Debian's chromium, chromium-driver,
# openssh-server, git). Installed when this machine allows it; otherwise those tests skip
# with a message naming what is missing.
system-deps:
	@bash scripts/ensure-system-deps

test: $(VENV)/.dev-installed system-deps
	$(PY) -m pytest $(ARGS)

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.dev-installed
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
