#!/usr/bin/env bash
# Install (if needed) and run the whole test suite: lint, then every test, slow ones too.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
