#!/usr/bin/env bash
# Set up (.venv + requirements.txt) and run RNN Lab: bash scripts/run_app.sh [extra `streamlit run` args]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" requirements.txt
exec .venv/bin/python -m streamlit run app.py "$@"
