# CryptoViz developer commands. `make test` is THE test command: on a fresh
# machine it installs what it needs (Debian packages, the Python venv, the
# Maven artifacts of the local stack), then lints and runs every test.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
OS_PACKAGES := chromium chromium-driver maven docker-compose
OS_COMMANDS := chromium chromedriver mvn docker-compose

.PHONY: setup os-packages venv stack-artifacts lint test test-unit test-integration bench clean run

setup: os-packages venv stack-artifacts

# apt only runs when a command is missing, so a warm machine pays nothing.
os-packages:
	@missing=""; for c in $(OS_COMMANDS); do command -v $$c >/dev/null || missing="$$missing $$c"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages (missing:$$missing)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(OS_PACKAGES); \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

stack-artifacts: venv
	$(PY) -m devstack fetch

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy cryptoviz_core devstack

test: setup lint
	$(PY) -m pytest tests

test-unit: venv
	$(PY) -m pytest tests/unit

test-integration: setup
	$(PY) -m pytest tests/integration

# The whole pipeline on the local stack with a live view; SOURCE=live|replay, DURATION=seconds.
run: setup
	$(PY) -m pipeline_runner

clean:
	-$(PY) -m devstack down
	rm -rf .cache
