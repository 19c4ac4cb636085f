#!/usr/bin/env bash
# The whole test suite, as `make test` runs it. Exit code 0 only if every step passed.
set -euo pipefail
cd "$(dirname "$0")/.."

export PYTHONPATH="$PWD"
export ERP_VAR_DIR="$PWD/var/test"
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1
unset DATABASE_URL TRACKER_STORE_URL LOCK_STORE_URL KB_STORE_URL
PY_ACTIONS=.venvs/actions/bin/python
PY_RASA=.venvs/rasa/bin/python

step() { printf '\n=== %s (%s)\n' "$1" "$(date +%T)"; }

# Run a noisy command with its output in a log; show the log only if it fails.
quietly() {
  local log="$ERP_VAR_DIR/logs/$1.log"; shift
  mkdir -p "$(dirname "$log")"
  if ! "$@" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "FAILED: $* (full log: $log)"
    return 1
  fi
}

step "lint: ruff check and format check"
.venvs/actions/bin/ruff check .
.venvs/actions/bin/ruff format --check .

step "demo database, entity patterns and model"
$PY_ACTIONS -m bot seed
$PY_ACTIONS -m bot nlu build-patterns
quietly kb-index $PY_ACTIONS -m bot kb index
quietly train $PY_ACTIONS -m bot train
MODEL="$($PY_ACTIONS -c 'from bot.config import load_settings; from bot.training import model_path; print(model_path(load_settings()))')"
export ERP_TEST_MODEL="$MODEL"

step "rasa data validate (warnings fail)"
quietly validate $PY_RASA -m rasa data validate --fail-on-warnings \
  --data data --domain domain.yml --config config.yml
echo "no errors, no warnings"

step "test stories (prediction errors fail)"
quietly test-stories $PY_RASA -m rasa test core --stories tests/stories --model "$MODEL" \
  --fail-on-prediction-errors --out "$ERP_VAR_DIR/results/core" --no-plot
grep -E "Correct: " "$ERP_VAR_DIR/logs/test-stories.log" | sed 's/.*INFO *rasa.core.test *- */  /'

step "NLU report on the held-out split"
$PY_RASA -W ignore -m tests.nlu.heldout "$MODEL" "$ERP_VAR_DIR/results/nlu" 2>"$ERP_VAR_DIR/logs/heldout.log"

step "unit tests in the Rasa environment"
# --confcutdir: the Rasa environment must not load tests/conftest.py (actions environment)
$PY_RASA -m pytest -q tests/rasa_side -p no:cacheprovider --confcutdir=tests/rasa_side -p no:warnings

step "unit, integration and end-to-end tests"
$PY_ACTIONS -m pytest -q tests --ignore=tests/rasa_side -p no:cacheprovider
