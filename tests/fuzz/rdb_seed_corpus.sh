#!/bin/sh
# Seed corpus for rdb_decoder_fuzz: the RDB test vectors (real files, RDB 3..12), their first
# 4 KB so the fuzzer starts from small inputs too, and (if a test build is given) the synthetic RDBs
# of rdb_decoder_test, which hold every type and opcode.
# Usage: rdb_seed_corpus.sh <dir> [<build dir with rdb_decoder_test>]
set -eu
out=${1:?usage: $0 <corpus dir>}
src=$(cd "$(dirname "$0")/../data/rdb" && pwd)
mkdir -p "$out"
for f in "$src"/*.rdb; do
  name=$(basename "$f" .rdb)
  cp "$f" "$out/$name.rdb"
  size=$(wc -c < "$f")
  if [ "$size" -gt 4096 ]; then
    head -c 4096 "$f" > "$out/$name.head4k"
  fi
done
if [ $# -ge 2 ] && [ -x "$2/tests/engine/rdb/rdb_decoder_test" ]; then
  REDLINK_RDB_SEED_DIR=$(cd "$out" && pwd) "$2/tests/engine/rdb/rdb_decoder_test" \
    --gtest_filter='RdbDecoder.SyntheticSeedsRoundTripThroughFiles' > /dev/null
fi
