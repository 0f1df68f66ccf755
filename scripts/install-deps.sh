#!/usr/bin/env bash
# Installs the Debian 12 packages redlink needs to build, test and benchmark.
# Idempotent: asks apt only for what is missing, so a second run takes well under a second.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git ca-certificates
  # libraries
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  prometheus-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev libyaml-cpp-dev nlohmann-json3-dev grpc-proto python3-yaml
  # tests and tools
  redis-server redis-tools clang libclang-rt-14-dev prometheus python3 curl unzip
  clang-format
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian redis-server package starts a system instance on :6379; tests start their own on
# free ports and never need it, so it is left as the package set it up.
exit 0
