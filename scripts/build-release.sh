#!/usr/bin/env bash
# Builds the release binaries exactly as the container image does, and checks that the runtime
# image's package list covers every shared library they load.
#
# Usage: scripts/build-release.sh [--deps-only] [--build-dir DIR] [OUTPUT_DIR]
#   OUTPUT_DIR    where redlinkd (and redlinkctl, once that target exists) are installed;
#                 default out/bin
#   --build-dir   the CMake build tree; default build-release (kept, so a rebuild is incremental)
#   Relative paths are taken from the current directory.
#   --deps-only   only install the build packages (the Dockerfile runs this in its own layer so
#                 that the apt step is cached apart from the source)
#
# The Dockerfile's build stage runs this script, and so does CI (tests/deploy's release_build
# test, configured with -DREDLINK_TEST_RELEASE_BUILD=ON by scripts/test.sh): a change that breaks
# the image build breaks here first, without a Docker engine.
set -euo pipefail

# Debian 12 packages needed to build the binaries (a subset of scripts/install-deps.sh: no test
# or benchmark tools). Asked from apt only when missing, so this is instant on a dev machine.
BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  prometheus-cpp-dev libyaml-cpp-dev nlohmann-json3-dev grpc-proto
)

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=build-release
out_dir=out/bin
deps_only=0
while (($#)); do
  case $1 in
    --deps-only) deps_only=1 ;;
    --build-dir) build_dir=$2; shift ;;
    --build-dir=*) build_dir=${1#*=} ;;
    -h|--help) awk 'NR > 1 && /^#/ {print; next} NR > 1 {exit}' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "build-release: unknown option $1" >&2; exit 2 ;;
    *) out_dir=$1 ;;
  esac
  shift
done

missing=()
for p in "${BUILD_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "build-release: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
((deps_only)) && exit 0

# Relative paths are taken from the caller's directory, then the build runs from the source root.
build_dir=$(realpath -m "$build_dir")
out_dir=$(realpath -m "$out_dir")
cd "$src"
start=$SECONDS
# The same configure line as the README's build, with tests off: only the shipped binaries.
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DREDLINK_BUILD_TESTS=OFF

known=$(cmake --build "$build_dir" --target help)
if ! grep -q '^redlinkd: ' <<<"$known"; then
  echo "build-release: the source tree has no redlinkd target (service/CMakeLists.txt)" >&2
  exit 1
fi
targets=(redlinkd)
# redlinkctl is built when the source tree has it (it lands after redlinkd).
if grep -q '^redlinkctl: ' <<<"$known"; then
  targets+=(redlinkctl)
fi
cmake --build "$build_dir" --target "${targets[@]}"

mkdir -p "$out_dir"
installed=()
for t in "${targets[@]}"; do
  bin=$(find "$build_dir" -type f -name "$t" -perm -u+x | head -n 1)
  [ -n "$bin" ] || { echo "build-release: built $t but cannot find it under $build_dir" >&2; exit 1; }
  # Stripped: a Release build carries no debug info anyway, and the symbol table only adds size.
  install -s -m 0755 "$bin" "$out_dir/$t"
  installed+=("$out_dir/$t")
done

"$src/scripts/check-runtime-libs.sh" "${installed[@]}"
echo "build-release: ${targets[*]} installed into $out_dir in $((SECONDS - start)) s"
