#!/usr/bin/env bash
# The test command on a fresh Debian 12 machine: installs what is missing, builds, runs every
# test (unit and integration; each integration test starts its own redis-server on a free port).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
exec make test "$@"
