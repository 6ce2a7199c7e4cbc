#!/usr/bin/env bash
# redb's page cache (`storage.db_cache_mb`) against page throughput and memory after load
# (issue 22 point 5, issue 18 point 5). Not a test: runs benches/memory.py once per cache
# size, one after the other in the same script, with the same seed and the same phases,
# and prints each run's table. Pages per second = dashboard requests / (pages + mixed
# seconds); memory "60 s after" is what the server keeps once the load has stopped.
#
# Usage: cargo build --release && benches/db_cache.sh [sizes...]   (default: 16 32 64 128)
# Environment: as benches/memory.py (MIXED_SECONDS defaults to 180 here).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(16 32 64 128)
export MIXED_SECONDS="${MIXED_SECONDS:-180}" PAGES_SECONDS="${PAGES_SECONDS:-60}"
for mb in "${sizes[@]}"; do
    echo "=== storage.db_cache_mb = $mb (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    IPGO_STORAGE__DB_CACHE_MB="$mb" python3 benches/memory.py --out "target/memory-bench/cache-$mb"
done
