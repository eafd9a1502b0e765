#!/usr/bin/env bash
# Builds and runs every benchmark (tests/bench/*_bench.cc, one executable each) of a build
# directory and prints their figures. Usage: scripts/bench.sh [BUILD_DIR]. Benchmarks assert
# nothing; a failing one (non-zero exit) makes this script fail.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
for src in tests/bench/*_bench.cc; do
  name=$(basename "$src" .cc)
  cmake --build "$build" -j2 --target "$name" >/dev/null
  echo "== $name"
  "$build/tests/$name"
done
