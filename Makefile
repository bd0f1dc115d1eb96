# The two commands of the README: `make serve` and `make test`.
# Both create the virtual environment and install what they need on first use.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
ARGS ?=

.PHONY: serve test lint format system-deps clean

$(VENV)/.runtime-installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "t3site needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.runtime-installed requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

serve: $(VENV)/.runtime-installed
	$(PY) manage.py serve $(ARGS)

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
