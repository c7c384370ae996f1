# Chargeway: `make run` runs the product (embedded: SQLite, in-process timers, simulated chargers);
# `make test` runs the test suite. Both set up what a fresh clone lacks.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
CHARGERS_DEMO ?= 1

.PHONY: run test venv dev-deps clean

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

test: $(VENV)/.dev
	bash scripts/ensure-test-tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance test-artifacts tests/ocpp_rpc_client/node_modules
