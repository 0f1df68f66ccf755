#!/usr/bin/env bash
# Builds redlink and runs every test: the default build with every test label (and the
# Dockerfile's build step, scripts/build-release.sh; REDLINK_TEST_RELEASE_BUILD=OFF leaves it out), then an
# AddressSanitizer + UndefinedBehaviorSanitizer build running the unit, fake-master and corpus
# tests. This is the README's test command and what CI (.ci/run) runs on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

JOBS=${JOBS:-$(nproc)}
echo "== build (RelWithDebInfo, warnings as errors)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREDLINK_WERROR=ON \
  -DREDLINK_TEST_RELEASE_BUILD="${REDLINK_TEST_RELEASE_BUILD:-ON}" >/dev/null
cmake --build build -j "$JOBS"

echo "== tests"
ctest --test-dir build --output-on-failure -j "$JOBS" --timeout 900 ${CTEST_ARGS:-}

if [ "${REDLINK_SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== build (ASan + UBSan)"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DREDLINK_SANITIZE=ON >/dev/null
  cmake --build build-asan -j "$JOBS"
  echo "== tests under ASan + UBSan (unit, fake_master)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$JOBS" -L 'unit|fake_master' --timeout 900
fi
if [ "${REDLINK_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzzers (clang, libFuzzer + ASan + UBSan), ${FUZZ_SECONDS:=60} s each from the seed corpora"
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREDLINK_FUZZ=ON \
    -DCMAKE_CXX_COMPILER=clang++ -DREDLINK_BUILD_TESTS=OFF >/dev/null
  cmake --build build-fuzz -j "$JOBS" --target rdb_decoder_fuzz resp_parser_fuzz
  corpus=$(mktemp -d)
  mkdir -p "$corpus/rdb" "$corpus/resp"
  cp tests/data/rdb/*.rdb "$corpus/rdb/"
  cp tests/fuzz/resp_corpus/* "$corpus/resp/"
  build-fuzz/tests/fuzz/rdb_decoder_fuzz -max_total_time="$FUZZ_SECONDS" -dict=tests/fuzz/rdb.dict \
    -print_final_stats=1 "$corpus/rdb" 2>&1 | tail -3
  build-fuzz/tests/fuzz/resp_parser_fuzz -max_total_time="$FUZZ_SECONDS" -dict=tests/fuzz/resp.dict \
    -print_final_stats=1 "$corpus/resp" 2>&1 | tail -3
  rm -rf "$corpus"
fi
echo "== all tests passed"
