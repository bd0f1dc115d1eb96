# The two commands of the README: `make serve` and `make test`.
# Both create the virtual environment and install what they need on first use.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
ARGS ?=
# The benchmark's own environment (make bench): Jupyter Server's dependencies never reach $(VENV).
BENCH_VENV ?= .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python

.PHONY: serve test bench bench-smoke lint format system-deps clean
# A real ACP agent CLI from the npm registry, for the test of its initialize handshake
# (tests/agents/test_real_agent_cli.py). Pinned; installed beside the project, never globally.
AGENT_CLI_PACKAGE := @zed-industries/claude-code-acp@0.16.2
AGENT_CLI_PREFIX := .tools/agent-cli

# pip's own lines show what is being installed. Wheels only where one exists (no builds), and no
# bytecode compiled up front: Python compiles the modules t3site imports when it first imports them,
# a fraction of what the packages ship. (bench/first_start.py measures this; docs/benchmarks.md.)
PIP_FLAGS := --disable-pip-version-check --no-compile --prefer-binary
PIP_INSTALL := $(PY) -m pip install $(PIP_FLAGS)

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

# t3site's requirements and its peer, Jupyter Server with terminado, pinned (requirements-bench.txt).
$(BENCH_VENV)/.installed: requirements.txt requirements-bench.txt
	@test -x $(BENCH_PY) || { echo "t3site: creating the benchmark environment $(BENCH_VENV) (first run only)"; $(PYTHON) -m venv $(BENCH_VENV); }
	@echo "t3site: installing t3site and Jupyter Server (requirements-bench.txt) into $(BENCH_VENV)"
	$(BENCH_PY) -m pip install $(PIP_FLAGS) -r requirements-bench.txt
	@touch $@

$(AGENT_CLI_PREFIX)/.installed:
	@command -v npm >/dev/null 2>&1 || { echo "t3site: npm is missing (Debian package npm): the real agent CLI test will be skipped"; exit 0; }
	@echo "t3site: installing a real ACP agent CLI for the tests ($(AGENT_CLI_PACKAGE)) into $(AGENT_CLI_PREFIX)"
	npm install --prefix $(AGENT_CLI_PREFIX) --no-audit --no-fund --loglevel=error $(AGENT_CLI_PACKAGE)
	@touch $@

serve: $(VENV)/.runtime-installed
	@echo "t3site: starting the server"
	@$(PY) manage.py serve $(ARGS)

# System programs the browser and SSH tests need (Debian's chromium, chromium-driver,
# openssh-server, git). Installed when this machine allows it; otherwise those tests skip
# with a message naming what is missing.
system-deps:
	@bash scripts/ensure-system-deps

# The suite includes tests/test_bench_smoke.py (make bench-smoke), hence the benchmark environment.
test: $(VENV)/.dev-installed $(BENCH_VENV)/.installed $(AGENT_CLI_PREFIX)/.installed system-deps
	$(PY) -m pytest $(ARGS)

# t3site and Jupyter Server side by side, BENCH_ROUNDS rounds (default 3): docs/benchmarks.md.
bench: $(BENCH_VENV)/.installed
	$(BENCH_PY) -m bench $(ARGS)

# One tiny round of every workload (under a minute), so the harness cannot rot.
bench-smoke: $(BENCH_VENV)/.installed
	$(BENCH_PY) -m bench --smoke $(ARGS)

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.dev-installed
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) $(BENCH_VENV) .tools .pytest_cache .ruff_cache
