# Every target sets itself up on a fresh machine: only Python 3.11+ is assumed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
MEMBERS := contracts libs/persistence libs/telemetry libs/messaging libs/service_auth libs/runtime libs/roster libs/devstack \
           services/profiles services/matching services/sessions services/feedback gateway
STAMP := $(VENV)/.installed

.PHONY: setup browser run demo test lint bench chaos fuzz contracts lock clean

setup: $(STAMP) browser

# Headless Chromium for the GraphiQL browser test (gateway/tests/integration): installed with
# apt-get when missing and we are root on Debian; left alone otherwise (the test then skips).
browser:
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
	  echo "chromium could not be installed: the GraphiQL browser test will skip"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

$(STAMP): requirements.lock $(foreach m,$(MEMBERS),$(m)/pyproject.toml) | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps $(foreach m,$(MEMBERS),-e $(m))
	touch $@

run: setup
	$(BIN)/python -m devstack run

demo: setup
	$(BIN)/python -m devstack.demo

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python -m bench $(BENCH)

# The durability proof: 5,000 webhook changes through broker, consumer and gateway SIGKILLs;
# prints sent / applied / lost / duplicated per read model (CHAOS="--changes 1000" to vary).
chaos: setup
	$(BIN)/python -m devstack.chaos --json var/chaos/report.json $(CHAOS)

# schemathesis on every service's OpenAPI and the gateway's GraphQL schema, on the live system:
# FUZZ cases per operation (make test runs 4 of each).
FUZZ ?= 200
fuzz: setup
	CAIRN_FUZZ_EXAMPLES=$(FUZZ) $(BIN)/pytest tests/fuzz $(PYTEST_ARGS)

contracts: setup
	$(BIN)/python -m contracts.export
	$(BIN)/python -m gateway.graphql.export

# Re-pins third-party versions; uv.lock stays local (it records registry addresses).
lock: | $(UV)
	$(UV) lock
	$(UV) export --frozen --no-emit-workspace --all-packages --all-groups --no-header --quiet -o requirements.lock

clean:
	rm -rf $(VENV) .tools var
