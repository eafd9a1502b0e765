#!/usr/bin/env bash
# `make valgrind`: runs the unit test binaries of a build under valgrind's memcheck (leaks
# included) and fails on any error. Integration tests are left out: their subjects are separate
# processes (run those under ASan with `make sanitize`). Usage: scripts/valgrind-tests.sh [BUILD]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
status=0
for test in "$build"/tests/unit_*; do
  [ -x "$test" ] || continue
  echo "== valgrind $(basename "$test")"
  # Timing-heavy benchmarks of retries are slow under valgrind; the filter keeps the run short.
  if ! valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
      --track-fds=no "$test" --gtest_brief=1 --gtest_filter="${VALGRIND_FILTER:-*}"; then
    status=1
  fi
done
exit $status
