#!/usr/bin/env bash
# The whole test suite, as `make test` runs it. Exit code 0 only if every step passed.
set -euo pipefail
cd "$(dirname "$0")/.."

export PYTHONPATH="$PWD"
export ERP_VAR_DIR="$PWD/var/test"
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1
unset DATABASE_URL TRACKER_STORE_URL LOCK_STORE_URL
PY_ACTIONS=.venvs/actions/bin/python
PY_RASA=.venvs/rasa/bin/python

step() { printf '\n=== %s (%s)\n' "$1" "$(date +%T)"; }

step "lint: ruff check and format check"
.venvs/actions/bin/ruff check .
.venvs/actions/bin/ruff format --check .

step "demo database, entity patterns and model"
$PY_ACTIONS -m bot seed
$PY_ACTIONS -m bot nlu build-patterns
$PY_ACTIONS -m bot train
MODEL="$($PY_ACTIONS -c 'from bot.config import load_settings; from bot.training import model_path; print(model_path(load_settings()))')"
export ERP_TEST_MODEL="$MODEL"

step "rasa data validate (warnings fail)"
$PY_RASA -m rasa data validate --fail-on-warnings --data data --domain domain.yml --config config.yml

step "test stories (prediction errors fail)"
$PY_RASA -m rasa test core --stories tests/stories --model "$MODEL" \
  --fail-on-prediction-errors --out "$ERP_VAR_DIR/results/core" --no-plot

step "NLU report on the held-out split"
$PY_RASA -m rasa test nlu --nlu tests/nlu/heldout.yml --model "$MODEL" \
  --out "$ERP_VAR_DIR/results/nlu" --no-plot >/dev/null
$PY_ACTIONS -m tests.nlu.report "$ERP_VAR_DIR/results/nlu"

step "unit tests in the Rasa environment"
$PY_RASA -m pytest -q tests/rasa_side -p no:cacheprovider

step "unit, integration and end-to-end tests"
$PY_ACTIONS -m pytest -q tests --ignore=tests/rasa_side -p no:cacheprovider
