# Sourced by run_app.sh and test.sh: create .venv (if missing) and install the given requirement files.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "+ $PYTHON -m venv .venv"
    "$PYTHON" -m venv .venv
fi
req_args=()
for req in "$@"; do req_args+=(-r "$req"); done
echo "+ .venv/bin/python -m pip install -q ${req_args[*]}"
.venv/bin/python -m pip install -q --disable-pip-version-check "${req_args[@]}"
