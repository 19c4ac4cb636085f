# ERP assistant. `make run` sets up and starts everything; `make test` runs the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

RASA_VENV := .venvs/rasa
ACTIONS_VENV := .venvs/actions
PIP_VERSION := 24.3.1

.PHONY: help setup system-packages run test bench lint format clean

help:
	@echo "make run    set up (if needed) and start the assistant"
	@echo "make test   run the whole test suite"
	@echo "make bench  measure latency, throughput and memory"
	@echo "make setup  create both Python environments"

setup: system-packages $(RASA_VENV)/.installed $(ACTIONS_VENV)/.installed node_modules/.installed

# Speech synthesis for the voice channel and Chromium for the browser tests
# (Debian packages; apt-get only when missing).
system-packages:
	@scripts/system-packages.sh

# Rasa 3.6 runs on Python 3.8-3.10 only: its environment is Python 3.10.
$(RASA_VENV)/.installed: requirements/rasa.txt scripts/find-python.sh
	@python=$$(scripts/find-python.sh 3.10) || exit 1; \
	  [ -x $(RASA_VENV)/bin/python ] || { echo "Creating $(RASA_VENV) with $$python"; $$python -m venv $(RASA_VENV); }
	@echo "Installing the Rasa environment (first time: about 2 minutes)..."
	$(RASA_VENV)/bin/pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)
	$(RASA_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/rasa.txt
	@touch $@

$(ACTIONS_VENV)/.installed: requirements/actions.txt scripts/find-python.sh
	@python=$$(scripts/find-python.sh 3.11) || exit 1; \
	  [ -x $(ACTIONS_VENV)/bin/python ] || { echo "Creating $(ACTIONS_VENV) with $$python"; $$python -m venv $(ACTIONS_VENV); }
	@echo "Installing the action server environment..."
	$(ACTIONS_VENV)/bin/pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)
	$(ACTIONS_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/actions.txt
	@touch $@

# The web chat's browser libraries (socket.io-client, rasa-webchat), served by
# the Rasa server from node_modules/: nothing is fetched from the internet at run time.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm is missing (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: setup
	@PYTHONPATH=$(CURDIR) $(ACTIONS_VENV)/bin/python -m bot run

test: setup
	@scripts/test.sh

bench: setup
	@PYTHONPATH=$(CURDIR) $(ACTIONS_VENV)/bin/python -m tests.bench

lint: setup
	$(ACTIONS_VENV)/bin/ruff check .
	$(ACTIONS_VENV)/bin/ruff format --check .

format: setup
	$(ACTIONS_VENV)/bin/ruff check --fix .
	$(ACTIONS_VENV)/bin/ruff format .

clean:
	rm -rf var/test models/*.tar.gz
