#!/usr/bin/env bash
# Install (if needed) and run the whole test suite: lint, the runtime lock on its own
# (scripts/check_runtime.sh), then every test, slow ones too.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
scripts/check_runtime.sh
exec .venv/bin/python -m pytest "$@"
