#!/usr/bin/env bash
# `make bench`: runs every benchmark of a build (tests/bench/*_bench.cc) and prints its figures.
# Usage: scripts/bench.sh [build-dir] (default: build). Benchmarks assert nothing; they report.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
found=0
for bench in "$build"/tests/*_bench; do
  [ -x "$bench" ] || continue
  found=1
  echo "== $(basename "$bench")"
  "$bench"
done
if [ "$found" = 0 ]; then
  echo "no benchmarks in $build/tests (build first: make build)" >&2
  exit 1
fi
