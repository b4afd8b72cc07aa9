#!/usr/bin/env bash
# Set up (.venv + requirements.txt) and run RNN Lab: bash scripts/run_app.sh [extra `streamlit run` args]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" requirements.txt
# One BLAS thread per server: under a class's load OpenBLAS's threads fight the script threads
# for the 2 cores (bench/RESULTS.md: one QR went from 2.8 ms to 75 ms).
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
exec .venv/bin/python -m streamlit run app.py "$@"
