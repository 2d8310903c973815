# CryptoViz developer commands. `make test` is THE test command: on a fresh
# machine it installs what it needs (Debian packages, the Python venv, the
# Maven artifacts of the local stack), then lints and runs every test.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
OS_PACKAGES := chromium chromium-driver maven docker-compose
OS_COMMANDS := chromium chromedriver mvn docker-compose

.PHONY: setup os-packages venv stack-artifacts lint test test-unit test-integration chaos chaos-reduced \
	bench clean run lock images up down reset

setup: os-packages venv stack-artifacts

# apt only runs when a command is missing, so a warm machine pays nothing.
os-packages:
	@missing=""; for c in $(OS_COMMANDS); do command -v $$c >/dev/null || missing="$$missing $$c"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages (missing:$$missing)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(OS_PACKAGES); \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements-dev.txt
	# The project itself, editable, for the `cryptoviz` command (.venv/bin/cryptoviz).
	$(PY) -m pip install -q --no-deps -e .
	touch $@

stack-artifacts: venv
	$(PY) -m devstack fetch

# First start in one command: writes .env with generated secrets when it is missing
# (never over an existing one), `docker compose up -d`, then waits until Kibana
# answers with the dashboards imported. Standard library only: no venv needed.
up:
	python3 -m deploy.first_start up

down:
	docker compose down

# Asks first: the volumes hold every quote, forecast, certificate and Kibana setting.
reset:
	@printf 'make reset deletes all CryptoViz data (docker compose down -v). Type yes to go on: '; \
	read answer; if [ "$$answer" = yes ]; then docker compose down -v; else echo "nothing deleted"; fi

# Each image installs only its service's lock (<service>/requirements.lock): every
# transitive dependency pinned with its hashes, the direct ones at the versions
# requirements.txt pins, resolved for any Python 3.11 (Debian's 3.11.2 as well as
# the official image's latest 3.11). Regenerate after changing a requirements.in or a pin;
# tests/unit/deploy/test_locks.py fails while a lock disagrees with them.
LOCKED := scraper_service indexer_service ia_module
lock: venv
	for s in $(LOCKED); do \
	  UV_NATIVE_TLS=1 $(VENV)/bin/uv pip compile --quiet --generate-hashes \
	    --python-version 3.11 --python-platform linux --no-emit-index-url --no-emit-find-links \
	    --constraint requirements.txt --output-file $$s/requirements.lock $$s/requirements.in \
	    || exit 1; \
	done

# The three service images on the devstack's own Docker engine (prints its DOCKER_HOST).
images: venv
	$(PY) -m devstack images

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy cryptoviz cryptoviz_core devstack scraper_service indexer_service ia_module pipeline_runner \
		kibana deploy bench tools

# Unit and integration tests, then every fault scenario at a tenth of its size
# (chaos-reduced). The 25 slowest tests are listed, so a CI log shows where the
# suite's time goes.
test: setup lint
	$(PY) -m pytest --durations=25 tests/unit tests/integration
	$(MAKE) --no-print-directory chaos-reduced

test-unit: venv
	$(PY) -m pytest tests/unit

test-integration: setup
	$(PY) -m pytest tests/integration

# The whole pipeline on the local stack with a live view; SOURCE=live|replay, DURATION=seconds.
run: setup
	$(PY) -m pipeline_runner

# Fault scenarios (issue #8, docs/RELIABILITY.md) on a stack of their own: they
# kill and stop servers, so never on the shared one. Each run starts that stack
# from empty data and stops it at the end.
#
# make chaos: full size, on a fixed port block (so one run per machine at a time);
# regenerates the RELIABILITY table after a complete, green run. One scenario:
# make chaos CHAOS_TESTS=tests/chaos/test_poison.py
#
# make chaos-reduced (run by make test): every scenario at CHAOS_SCALE 0.1, on the
# sibling of this checkout's stack (its DEVSTACK_* ports + 500, its own
# directories: `python -m devstack sibling-env`), with its own results file. So
# it never meets make chaos's stack, the first stack, or another checkout's run.
CHAOS_TESTS ?= tests/chaos
CHAOS_ES_DIR := /var/tmp/cryptoviz-devstack-chaos
CHAOS_ENV := DEVSTACK_HOME=$(CURDIR)/.cache/devstack-chaos DEVSTACK_ELASTICSEARCH_DIR=$(CHAOS_ES_DIR) \
	DEVSTACK_ZOOKEEPER_PORTS='[22181,22182]' \
	DEVSTACK_ZOOKEEPER_QUORUM_PORTS='[[22888,23888],[22889,23889]]' \
	DEVSTACK_KAFKA_PORT=29092 DEVSTACK_ELASTICSEARCH_PORT=29200 \
	DEVSTACK_ELASTICSEARCH_TRANSPORT_PORT=29300
CHAOS_TEST_SCALE ?= 0.1

# The scenarios in $(CHAOS_TESTS) on a fresh stack named by the DEVSTACK_* variables
# exported before it; leaves pytest's status in $$status.
define chaos_on_fresh_stack
export CHAOS_RUN_ID=$$(date -u +%Y-%m-%dT%H:%M:%SZ); \
	$(PY) -m devstack down && rm -rf "$$DEVSTACK_HOME/data" "$$DEVSTACK_ELASTICSEARCH_DIR/data" && \
	$(PY) -m devstack up >/dev/null && $(PY) -m pytest $(CHAOS_TESTS); status=$$?; \
	$(PY) -m devstack down
endef

chaos: venv
	rm -f .cache/chaos/results.json
	export $(CHAOS_ENV); $(chaos_on_fresh_stack); \
	if [ $$status -eq 0 ] && [ "$(CHAOS_TESTS)" = tests/chaos ]; then $(PY) -m tests.chaos.report; fi; \
	exit $$status

chaos-reduced: setup
	eval "$$($(PY) -m devstack sibling-env chaos-test)"; \
	export CHAOS_SCALE=$(CHAOS_TEST_SCALE) CHAOS_RESULTS=$(CURDIR)/.cache/chaos/results-reduced.json; \
	rm -f "$$CHAOS_RESULTS"; $(chaos_on_fresh_stack); exit $$status

clean:
	-$(PY) -m devstack down
	rm -rf .cache
