#!/usr/bin/env bash
# The test suite: unit tests, then integration tests against DynamoDB Local and moto,
# the CLI and the examples; then ruff (check and format) and mypy --strict on the library.
# A full run (no arguments) also measures the coverage of dynamap/ (pytest-cov) and
# checks the import layers (tests/unit/test_layers.py, part of the unit tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-java.sh
source scripts/setup-env.sh "dev"
status=0
coverage=()
[ "$#" = 0 ] && coverage=(--cov --cov-report=term:skip-covered)
.venv/bin/python -m pytest "${coverage[@]}" "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "pytest collected no tests" >&2
  status=0
fi
if [ "$status" = 0 ] && [ "$#" = 0 ]; then
  .venv/bin/ruff check dynamap
  .venv/bin/ruff format --check dynamap
  .venv/bin/mypy --strict dynamap tests/typing
fi
exit "$status"
