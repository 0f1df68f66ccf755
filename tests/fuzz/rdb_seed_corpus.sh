#!/bin/sh
# Seed corpus for rdb_decoder_fuzz: the RDB test vectors (real files, RDB 3..12), plus a few
# truncated ones so the fuzzer starts from small inputs too. Usage: rdb_seed_corpus.sh <dir>
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
