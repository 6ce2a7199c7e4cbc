#!/usr/bin/env bash
# Benchmark (not a test): `ipgo backup` and `ipgo restore` of an existing data directory beside
# `tar cf` and `tar xf` of the same directory, each after dropping the page cache (as root),
# with the time and the peak resident memory of each command.
#
# Usage: benches/backup_restore.sh BIN DATA WORK     (SKIP_TAR=1 to leave tar out)
# WORK needs room for the tarball and its unpacked copy (2 × DATA), then for the backup and the
# restored copy (≈ 1.7 × DATA). Run it on a copy of your data with the server stopped, or on
# the live directory (a backup is made online) — never point WORK inside DATA.
# Target (issue 18, target 6): restore of a million documents, index built, beside tar.
set -euo pipefail
BIN=$1; DATA=$2; WORK=$3
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
mkdir -p "$WORK"
drop() { sync; echo 3 > /proc/sys/vm/drop_caches 2> /dev/null || echo "(page cache not dropped: not root)" >&2; }
since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }

echo "data: $(du -sm "$DATA" | cut -f1) MiB; load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -z "${SKIP_TAR:-}" ]; then
  drop; s=$(date +%s%N); tar cf "$WORK/data.tar" -C "$DATA" .; m=$(since "$s"); sync
  echo "tar cf: ${m} s, with sync $(since "$s") s"
  mkdir "$WORK/untar"; drop; s=$(date +%s%N); tar xf "$WORK/data.tar" -C "$WORK/untar"; m=$(since "$s"); sync
  echo "tar xf: ${m} s, with sync $(since "$s") s"
  rm -rf "$WORK/data.tar" "$WORK/untar"
fi
drop; s=$(date +%s%N)
/usr/bin/time -f "backup: peak resident %M KiB, CPU %U s user + %S s system" \
  "$BIN" backup --to "$WORK/data.ipgobak" --data "$DATA" 2>&1 | grep -v checkpoint
echo "ipgo backup: $(since "$s") s, $(du -m "$WORK/data.ipgobak" | cut -f1) MiB"
drop; s=$(date +%s%N)
IPGO_STORAGE__DISK_FLOOR_MB=0 /usr/bin/time -f "restore: peak resident %M KiB, CPU %U s user + %S s system" \
  "$BIN" restore --from "$WORK/data.ipgobak" --data "$WORK/restored" 2>&1 | grep -v checkpoint | grep -v " of .* documents$"
echo "ipgo restore: $(since "$s") s; restored $(du -sm "$WORK/restored" | cut -f1) MiB; load $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$WORK/data.ipgobak" "$WORK/restored"
