#!/usr/bin/env bash
# Benchmark (not a test): the start's background scans on an existing data directory (the
# orphan collection and the search reconciliation, threads `orphans` and `search-reconcile`).
# Starts `ipgo serve` on DATA, reads its anonymous memory every 0.5 s until both threads have
# ended, prints the peak, when each ended and the memory 15 s later, then stops the server.
# Give two binaries to compare them in one run, alternating (ROUNDS each).
#
# Usage: benches/start_scans.sh DATA BIN [BIN2]      (ROUNDS=2)
# DATA is changed as `ipgo serve` changes it (access-log entries): use a copy of real data.
# Target (issue 18, target 5): memory stays inside the `storage` ceilings at any store size.
set -euo pipefail
DATA=$1; shift
ROUNDS=${ROUNDS:-2}
command -v curl > /dev/null || { echo "needs curl (apt-get install curl)"; exit 1; }

one() {
  local bin=$1 port=$((20000 + RANDOM % 10000)) log
  log=$(mktemp)
  local t0; t0=$(date +%s%N)
  IPGO_LOG=info IPGO_STORAGE__DISK_FLOOR_MB=0 "$bin" serve --listen "127.0.0.1:$port" --data "$DATA" > "$log" 2>&1 &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/readyz" > /dev/null; do sleep 0.02; done
  local ready=$((($(date +%s%N) - t0) / 1000000))
  local peak=0 orphans="" reconcile="" n=0 rss comms now
  while [ $n -lt 2400 ]; do
    rss=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status")
    [ "$rss" -gt "$peak" ] && peak=$rss
    comms=$(cat /proc/$pid/task/*/comm 2> /dev/null || true)
    now=$((($(date +%s%N) - t0) / 1000000))
    [ -z "$orphans" ] && ! grep -q '^orphans$' <<< "$comms" && orphans=$now
    [ -z "$reconcile" ] && ! grep -q '^search-reconcil' <<< "$comms" && reconcile=$now
    [ -n "$orphans" ] && [ -n "$reconcile" ] && break
    sleep 0.5; n=$((n + 1))
  done
  sleep 15
  rss=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status")
  printf '| %s | %d | %d | %d | %d | %d | %s |\n' "$bin" "$ready" "$orphans" "$reconcile" \
    $((peak / 1024)) $((rss / 1024)) "$(cut -d' ' -f1 /proc/loadavg)"
  kill -TERM $pid; wait $pid 2> /dev/null || true
  grep -E "reconciled|orphan|failed" "$log" | cut -c1-160 >&2 || true
  rm -f "$log"
}

echo "data: $(du -sm "$DATA" | cut -f1) MiB"
echo "| binary | start → /readyz (ms) | orphans done (ms after start) | reconciliation done (ms) | anonymous peak (MiB) | 15 s after (MiB) | load |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for _ in $(seq "$ROUNDS"); do
  for bin in "$@"; do one "$bin"; done
done
