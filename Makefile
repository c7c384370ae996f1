# Chargeway: `make run` runs the product (embedded: SQLite, in-process timers, simulated chargers);
# `make test` runs the test suite. Both set up what a fresh clone lacks.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
CHARGERS_DEMO ?= 1

.PHONY: run test venv dev-deps clean lock audit
# The locks: the full dependency tree with hashes (pip-tools), regenerated from the direct pins.
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links

$(BIN)/activate:
	$(PY) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt $(BIN)/activate
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(BIN)/activate
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	HOST=$(HOST) PORT=$(PORT) bash scripts/run-embedded

# pytest-xdist workers; worker gwN uses Redis database TEST_REDIS_URL's number + N (tests/conftest.py).
TEST_WORKERS ?= 4

test: $(VENV)/.dev
	bash scripts/ensure-test-tools
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lock: $(VENV)/.dev
	$(PIP_COMPILE) --output-file requirements.lock requirements.txt
	$(PIP_COMPILE) --output-file requirements-dev.lock requirements-dev.txt

# Known vulnerabilities in the locked tree (pip-audit needs its vulnerability database: network).
audit:
	pipx run pip-audit --require-hashes --disable-pip -r requirements.lock

clean:
	rm -rf $(VENV) instance test-artifacts tests/ocpp_rpc_client/node_modules
