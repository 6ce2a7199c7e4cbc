#!/usr/bin/env bash
# Benchmark (not a test): ipgo's search index beside PostgreSQL full-text search (Debian
# `postgresql`, `russian` configuration, GIN index) on the same generated kk/ru corpus and the
# same queries, in one run — indexing MB/s, query p50/p99 of a fixed mix, and recall on
# queries whose words occur only as PDF artifacts or in another Kazakh inflection. See
# benches/search.rs and docs/benchmarks.md ("Search (issue 4)").
#
# Usage: benches/search.sh [SIZES...]        (default: 10000 100000)
#   ROUNDS=30  rounds of the query mix         IPGO_CORPUS=../shared/corpus  vocabulary source
#   BENCH_DIR=/tmp/ipgo-search-bench  work directory (compressed corpus, one engine's data at a
#   time: PostgreSQL's table is dropped before ipgo indexes; ~15 GB at 1M documents)
#   ENGINES=ipgo,postgres  SHAPE=portal|classic  PG_ROUNDS  KEEP=1  (see benches/search.rs)
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v zstd >/dev/null || missing+=(zstd)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if [ "$#" -eq 0 ]; then
  set -- 10000 100000
fi
# PostgreSQL refuses to run as root; the bench then runs it as `postgres`, which must be able
# to reach its work directory.
export BENCH_DIR=${BENCH_DIR:-/tmp/ipgo-search-bench}
mkdir -p "$BENCH_DIR"
chmod 755 "$BENCH_DIR"
exec cargo bench --locked --bench search -- "$@"
