#!/usr/bin/env bash
# Runs the envelope decoder's libFuzzer target for a bounded time, seeded with the codec
# vectors and a few RPC replies (tests/fuzz/seeds/), with the protocol's keys as a dictionary
# (tests/fuzz/envelope.dict).
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS. Exits non-zero on a finding.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
seconds=${2:-60}
corpus="$build/fuzz-corpus/envelope"
mkdir -p "$corpus" "$build/fuzz-artifacts"
cp -n tests/vectors/*.msgpack tests/fuzz/seeds/*.msgpack "$corpus/" 2>/dev/null || true
"$build/tests/envelope_fuzz" "$corpus" -max_total_time="$seconds" -max_len=65536 \
  -dict=tests/fuzz/envelope.dict -artifact_prefix="$build/fuzz-artifacts/" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
