#!/usr/bin/env bash
# Set up everything the tests need and run all of them: bash scripts/test.sh [extra pytest args]
# Installs: .venv with requirements.txt + requirements-dev.txt; Debian's chromium for the
# real-browser tests (Playwright drives /usr/bin/chromium; browsers are never downloaded).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" requirements.txt requirements-dev.txt

if [ ! -x /usr/bin/chromium ]; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    echo "+ $sudo apt-get update && $sudo apt-get install -y chromium"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
# pytest exits 5 when it collected no test; its own summary line ("no tests ran") already says so.
if [ "$rc" = 5 ]; then rc=0; fi
exit "$rc"
