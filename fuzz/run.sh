#!/usr/bin/env bash
# Runs every fuzz target for a bounded time, one after another (one process: the build
# machine's cores are shared), with a memory ceiling and a per-input timeout so that
# out-of-memory and hangs are findings too, and prints executions, coverage and findings
# per target. A developer's tool (issue 20 point 2, docs/fuzzing.md), not run by CI.
# Usage: fuzz/run.sh [SECONDS_PER_TARGET (default 120)] [TARGET...]
# Needs: cargo-fuzz and the nightly toolchain; seeds the corpora first (fuzz/seed.sh).
set -uo pipefail
FUZZ=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$FUZZ")
SECONDS_PER=${1:-120}
shift || true
export IPGO_CORPUS=${IPGO_CORPUS:-/work/shared/corpus}
cd "$ROOT"
"$FUZZ/seed.sh" >/dev/null
# No sanitizer: the parsers are safe Rust, the findings sought are panics, hangs and
# unbounded memory, and an uninstrumented build runs several times more inputs per second.
SAN=${FUZZ_SANITIZER:-none}
cargo +nightly fuzz build -s "$SAN" >/dev/null 2>&1 || cargo +nightly fuzz build -s "$SAN" || exit 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
mkdir -p "$FUZZ/logs"
printf '%-18s %10s %8s %8s %6s  %s\n' target executions exec/s edges secs findings
failed=0
for t in "${targets[@]}"; do
  log="$FUZZ/logs/$t.log"
  before=$(ls "$FUZZ/artifacts/$t" 2>/dev/null | wc -l)
  start=$(date +%s)
  cargo +nightly fuzz run -s "$SAN" "$t" "$FUZZ/corpus/$t" -- \
    -max_total_time="$SECONDS_PER" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
    -max_len=1048576 -print_final_stats=1 >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  edges=$(grep -oE ' cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  after=$(ls "$FUZZ/artifacts/$t" 2>/dev/null | wc -l)
  found=$(( after - before ))
  what=none
  if [ $rc -ne 0 ] || [ $found -gt 0 ]; then
    failed=1
    what="rc=$rc: $(grep -oE 'ERROR: libFuzzer: [a-z-]+|panicked at [^:]+:[0-9]+' "$log" | head -1); $(ls -t "$FUZZ/artifacts/$t" 2>/dev/null | head -1)"
  fi
  printf '%-18s %10s %8s %8s %6s  %s\n' "$t" "${runs:-?}" "${rate:-?}" "${edges:-?}" "$secs" "$what"
done
exit $failed
