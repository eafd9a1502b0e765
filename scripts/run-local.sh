#!/usr/bin/env bash
# `make run`: the whole service on this machine, in the foreground. Installs what is missing
# (scripts/deps.sh), builds, starts a private redis-server under run/ (port REDIS_PORT, or the
# first free one from 6390), starts the local OpenAI-compatible server sg-fake-llm when
# OPENROUTER_API_KEY is not set (otherwise the real OpenRouter API is used), then runs
# sg-supervisor with config/stargazer.json. Ctrl-C drains the workers, then stops the rest.
#
# Environment: REDIS_PORT, HEALTH_PORT (default 9464), WORKERS, LLM_MODEL (with a key; default
# openai/gpt-4o-mini), BUILD (default build), and anything sg-supervisor reads (SG_*). Extra
# arguments go to sg-supervisor (such as --log-level debug).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
run=$root/run
cd "$root"

scripts/deps.sh
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j"${JOBS:-2}" --target sg-supervisor sg-worker sg-fake-llm >/dev/null

mkdir -p "$run/redis"
redis_pid="" llm_pid=""

stop_helpers() {
  if [ -n "$llm_pid" ]; then kill "$llm_pid" 2>/dev/null || true; fi
  if [ -n "$redis_pid" ]; then
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || kill "$redis_pid" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
}
trap stop_helpers EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

redis_port=${REDIS_PORT:-}
if [ -z "$redis_port" ]; then
  redis_port=6390
  while ! port_free "$redis_port"; do redis_port=$((redis_port + 1)); done
fi

# The helpers run in sessions of their own: Ctrl-C reaches only the supervisor, which still needs
# Redis while it drains.
setsid redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$run/redis" --save "" \
  --appendonly no --maxmemory-policy noeviction --logfile "$run/redis.log" &
redis_pid=$!
for _ in $(seq 1 100); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.05
done
redis-cli -p "$redis_port" ping >/dev/null || { echo "run-local: redis-server did not start (see $run/redis.log)" >&2; exit 1; }
echo "run-local: redis-server on 127.0.0.1:$redis_port (log $run/redis.log)" >&2

args=(--config config/stargazer.json --redis-url "redis://127.0.0.1:$redis_port/0"
      --worker-binary "$build/worker/sg-worker" --health-listen "127.0.0.1:${HEALTH_PORT:-9464}")
[ -n "${WORKERS:-}" ] && args+=(--workers "$WORKERS")

if [ -z "${OPENROUTER_API_KEY:-}" ]; then
  : >"$run/fake-llm.log"
  setsid "$build/tests/sg-fake-llm" --listen 127.0.0.1:0 >"$run/fake-llm.log" 2>&1 &
  llm_pid=$!
  llm_address=""
  for _ in $(seq 1 100); do
    llm_address=$(sed -n 's/^sg-fake-llm listening on //p' "$run/fake-llm.log")
    [ -n "$llm_address" ] && break
    sleep 0.05
  done
  [ -n "$llm_address" ] || { echo "run-local: sg-fake-llm did not start (see $run/fake-llm.log)" >&2; exit 1; }
  echo "run-local: no OPENROUTER_API_KEY: answering with sg-fake-llm on $llm_address" >&2
  args+=(--set "llm.base_url=http://$llm_address/v1")
else
  args+=(--set "llm.base_url=https://openrouter.ai/api/v1" --set "llm.model=${LLM_MODEL:-openai/gpt-4o-mini}")
fi

echo "run-local: health on http://127.0.0.1:${HEALTH_PORT:-9464}/status; Ctrl-C to stop" >&2
status=0
"$build/supervisor/sg-supervisor" "${args[@]}" "$@" || status=$?
exit "$status"
