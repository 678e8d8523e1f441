#!/usr/bin/env bash
# Installs Label-IRST with its test and training extras into .venv, then lints and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev,train,cluster]"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports
QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q "$@"
