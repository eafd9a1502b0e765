#!/usr/bin/env bash
# Installs exactly the Debian 12 packages that building, testing and running Stargazer need.
# Idempotent: prints nothing and changes nothing when everything is already there.
# Needs root (uses sudo when not root and sudo exists).
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config make
  # libraries the service links
  libuv1-dev libhiredis-dev libmsgpack-dev libcurl4-openssl-dev libcjson-dev
  libspdlog-dev libfmt-dev libhttp-parser-dev libsystemd-dev
  # tests, fuzzing (clang's libFuzzer runtime), leak checks
  libgtest-dev libgmock-dev clang libclang-rt-14-dev valgrind
  # the service's one external server (tests start their own instances)
  redis-server
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

run_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "deps.sh: need root to install: ${missing[*]}" >&2; exit 1; fi
}
echo "deps.sh: installing ${missing[*]}" >&2
run_root apt-get update -qq
run_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
