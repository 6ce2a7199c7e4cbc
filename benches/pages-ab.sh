#!/usr/bin/env bash
# Benchmark (not a test): server CPU per signed-in page and pages/s of several configurations
# or binaries of `ipgo serve`, interleaved round by round, each on its own copy of one data
# directory, so that a change of a few microseconds per request stands out of the machine's
# drift (benches/pages.sh gives the full table with nginx's ceiling; this one compares).
#
# Usage: benches/pages-ab.sh ROUNDS "NAME[@BINARY]:ENV=V ENV=V" ...
#   e.g. benches/pages-ab.sh 5 "on:" "on100:IPGO_AUDIT__GROUP_COMMIT_MS=100" \
#          "off:IPGO_AUDIT__LOG_READ_REQUESTS=false" "before@/tmp/ipgo-before:"
#   BIN=target/release/ipgo (default binary)  DURATION=8  CONNECTIONS=32
#   SERVER_CPUS=1 CLIENT_CPUS=0 (optional: taskset lists, so that wrk does not share the
#   server's core and the rounds spread less)
#   PAGE=/ (the path asked; e.g. PAGE=/no-such-page walks the whole route table to its 404)
#   PER_THREAD=1 (also the CPU µs per page of each thread group: actix workers, runtime
#   threads, audit-writer, …)
# Prints one line per configuration and round: pages/s and server CPU µs per page; then each
# configuration's medians and its cost against the last configuration given.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
BIN=${BIN:-$PWD/target/release/ipgo}
DURATION=${DURATION:-8}
CONNECTIONS=${CONNECTIONS:-32}
PAGE=${PAGE:-/}
server_pin=()
client_pin=()
[ -n "${SERVER_CPUS:-}" ] && server_pin=(taskset -c "$SERVER_CPUS")
[ -n "${CLIENT_CPUS:-}" ] && client_pin=(taskset -c "$CLIENT_CPUS")
ROUNDS=$1
shift
work=$(mktemp -d /tmp/ipgo-pages-ab.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
data=$work/data
password='Load-Test-Secret-42'
IPGO_LOG=warn "$BIN" agency add --data "$data" --code BENCH --name-ru "Орган" --name-kk "Орган" >/dev/null
printf '%s' "$password" | IPGO_LOG=warn "$BIN" user add --data "$data" --login bench \
  --agency BENCH --role employee --password-stdin >/dev/null
port=28778
tick=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# CPU ticks by thread name ("name ticks" lines, sorted), for PER_THREAD=1.
thread_ticks() {
  for t in /proc/"$1"/task/*; do
    printf '%s ' "$(tr ' ' _ <"$t/comm")"
    awk '{ print $14 + $15 }' "$t/stat"
  done | awk '{ a[$1] += $2 } END { for (k in a) print k, a[k] }' | sort
}
# Each configuration runs on its own copy of the data directory: binaries of different schema
# versions can be compared (a newer one migrates its copy, which an older one would refuse).
copies=$#
for i in $(seq "$copies"); do
  cp -a "$data" "$work/data-$i"
done
for round in $(seq "$ROUNDS"); do
  i=0
  for spec in "$@"; do
    i=$((i + 1))
    name=${spec%%:*}
    envs=${spec#*:}
    bin=$BIN
    if [[ $name == *@* ]]; then
      bin=${name#*@}
      name=${name%%@*}
    fi
    # shellcheck disable=SC2086 # ENV=V words are meant to split
    "${server_pin[@]}" env $envs IPGO_LOG=warn "$bin" serve --data "$work/data-$i" --listen "127.0.0.1:$port" \
      >"$work/out" 2>"$work/err" &
    pid=$!
    for _ in $(seq 100); do
      curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && break
      sleep 0.05
    done
    curl -fs -c "$work/cookies" -H 'content-type: application/json' \
      -d "{\"login\":\"bench\",\"password\":\"$password\"}" \
      "http://127.0.0.1:$port/api/v1/session" >/dev/null
    token=$(awk '$6 == "ipgo_session" { print $7 }' "$work/cookies")
    "${client_pin[@]}" wrk -t2 -c"$CONNECTIONS" -d2s -H "Cookie: ipgo_session=$token" "http://127.0.0.1:$port$PAGE" >/dev/null
    before=$(cpu_ticks "$pid")
    thread_ticks "$pid" >"$work/threads-before"
    out=$("${client_pin[@]}" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -H "Cookie: ipgo_session=$token" "http://127.0.0.1:$port$PAGE")
    after=$(cpu_ticks "$pid")
    thread_ticks "$pid" >"$work/threads-after"
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
    threads=
    if [ -n "${PER_THREAD:-}" ]; then
      threads=$(join -a2 -e0 -o 0,1.2,2.2 "$work/threads-before" "$work/threads-after" |
        awk -v r="$requests" -v t="$tick" '{ d = ($3 - $2) * 1000000 / t / r; if (d >= 0.05) printf " %s=%.1f", $1, d }')
    fi
    echo "$round $name pages/s=$rps cpu_us_per_page=$(echo "scale=1; ($after - $before) * 1000000 / $tick / $requests" | bc)$threads" |
      tee -a "$work/rounds"
    kill "$pid"
    wait "$pid" || true
  done
done
# Medians over the rounds, and each configuration's cost against the last one given (put the
# baseline last, e.g. "off:…"): single rounds on a shared two-core machine move by more than
# the differences looked for.
median() { # NAME FIELD: the median of field FIELD (3 pages/s, 4 CPU) over NAME's rounds
  awk -v n="$1" -v f="$2" '$2 == n { sub(/^[^=]*=/, "", $f); print $f }' "$work/rounds" | sort -g |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
names=$(awk '!seen[$2]++ { print $2 }' "$work/rounds")
base=$(tail -n1 <<<"$names")
for name in $names; do
  awk -v n="$name" -v r="$(median "$name" 3)" -v c="$(median "$name" 4)" -v b="$base" \
    -v br="$(median "$base" 3)" -v bc="$(median "$base" 4)" 'BEGIN {
      printf "median %s pages/s=%.0f cpu_us_per_page=%.1f", n, r, c
      if (n != b) printf " against %s: throughput %+.1f %%, cpu %+.1f %%", b, (r / br - 1) * 100, (c / bc - 1) * 100
      print ""
    }'
done
