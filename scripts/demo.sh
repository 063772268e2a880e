#!/usr/bin/env bash
# The main job: a tour of dynamap against a local DynamoDB it starts itself.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-java.sh || true
source scripts/setup-env.sh ""
exec .venv/bin/python -m examples.demo "$@"
