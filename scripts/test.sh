#!/usr/bin/env bash
# Set up everything the tests need and run all of them: bash scripts/test.sh [extra pytest args]
# Installs: .venv with requirements.txt + requirements-dev.txt; Debian's chromium for the
# real-browser tests (Playwright drives /usr/bin/chromium; browsers are never downloaded) and
# Debian's nginx for tests/test_serve_class.py (scripts/serve_class.sh behind a real proxy).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" requirements.txt requirements-dev.txt

source scripts/_apt.sh
apt_ensure /usr/bin/chromium=chromium /usr/sbin/nginx=nginx

# This command installs TensorFlow, Chromium and nginx, so their tests must run: with CI=true a missing one
# fails instead of skipping, and any skipped test fails the run (tests/ci_env.py, tests/conftest.py).
# Forced, not defaulted: an inherited CI=false must not turn them back into skips. A bare `pytest`
# on a laptop still skips them.
export CI=true
exec .venv/bin/python -m pytest "$@"
