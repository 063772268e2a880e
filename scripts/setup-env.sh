#!/usr/bin/env bash
# Create .venv (once) and install dynamap into it with the given extras.
# Usage: source scripts/setup-env.sh EXTRAS   (e.g. "dev" or "" for the core only)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
extras=${1:-}
target="."
[ -n "$extras" ] && target=".[${extras}]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$target"
