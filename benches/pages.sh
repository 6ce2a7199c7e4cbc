#!/usr/bin/env bash
# Benchmark (not a test): authenticated page requests per second of `ipgo serve` (release
# build) — GET / (the dashboard) with a signed-in session cookie — with the access log
# recording every read (the default, R365 §7) and with read logging off
# (IPGO_AUDIT__LOG_READ_REQUESTS=false), next to nginx serving a static file of the same
# size as the ceiling, all measured with wrk on loopback in this one run; plus the idle
# resident memory of `ipgo serve`.
#
# Usage: benches/pages.sh            (DURATION=10 CONNECTIONS=32 THREADS=2 ROUNDS=5 BIN=)
# Targets (issue 2): logging costs < 10 % of throughput; >= 5,000 pages/s; idle RSS < 50 MB.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-5}
PASSWORD='Load-Test-Secret-42'

missing=()
command -v nginx >/dev/null || missing+=(nginx-light)
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# BIN=path measures a binary built earlier (e.g. to compare two commits) instead of building.
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --quiet
  BIN=$PWD/target/release/ipgo
fi

work=$(mktemp -d /tmp/ipgo-bench.XXXXXX)
chmod 755 "$work"
server_pid=""
nginx_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# A loopback port nobody listens on.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

wait_http() {
  for _ in $(seq 200); do
    curl -fs -o /dev/null "$1" && return 0
    sleep 0.05
  done
  echo "no answer from $1" >&2
  exit 1
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

data=$work/data
IPGO_LOG=warn "$BIN" agency add --data "$data" --code BENCH --name-ru "Орган" --name-kk "Орган" >/dev/null
printf '%s' "$PASSWORD" |
  IPGO_LOG=warn "$BIN" user add --data "$data" --login bench --agency BENCH --role employee \
    --password-stdin >/dev/null
port=$(free_port)

start_server() { # env assignments...
  env "$@" IPGO_LOG=warn "$BIN" serve --data "$data" --listen "127.0.0.1:$port" \
    >"$work/serve.out" 2>"$work/serve.err" &
  server_pid=$!
  wait_http "http://127.0.0.1:$port/healthz"
}

stop_server() {
  kill "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}

# wrk → "requests/s non2xx p50 p99 total-requests"
run_wrk() {
  local out
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@")
  echo "$out" >>"$work/wrk.log"
  local rps non2xx p50 p99
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $5 }' <<<"$out")
  # Latencies in µs (wrk prints 281.00us, 1.26ms, 1.02s).
  local to_us='{ v = $2; u = v; sub(/[0-9.]+/, "", u); v += 0
                 print (u == "ms") ? v * 1000 : (u == "s") ? v * 1e6 : v }'
  p50=$(awk '$1 == "50%"'" $to_us" <<<"$out")
  p99=$(awk '$1 == "99%"'" $to_us" <<<"$out")
  total=$(awk '/requests in/ { print $1 }' <<<"$out")
  echo "$rps ${non2xx:-0} $p50 $p99 $total"
}

# --- idle memory and the session cookie -------------------------------------------------
start_server
sleep 2
idle_rss=$(rss_kb "$server_pid")
curl -fs -c "$work/cookies" -H 'content-type: application/json' \
  -d "{\"login\":\"bench\",\"password\":\"$PASSWORD\"}" \
  "http://127.0.0.1:$port/api/v1/session" >/dev/null
token=$(awk '$6 == "ipgo_session" { print $7 }' "$work/cookies")
[ -n "$token" ] || { echo "sign-in failed" >&2; exit 1; }
page_url="http://127.0.0.1:$port/"
status=$(curl -s -o "$work/dashboard.html" -w '%{http_code}' -H "Cookie: ipgo_session=$token" "$page_url")
[ "$status" = 200 ] || { echo "the dashboard answered $status" >&2; exit 1; }
page_bytes=$(wc -c <"$work/dashboard.html")
headers=$(curl -s -D - -o /dev/null -H "Cookie: ipgo_session=$token" "$page_url" | wc -c)
gzip_bytes=$(curl -s -H "Cookie: ipgo_session=$token" -H "Accept-Encoding: gzip" \
  -H "Sec-Fetch-Site: same-origin" "$page_url" | wc -c)
wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -H "Cookie: ipgo_session=$token" "$page_url" >/dev/null
stop_server

# --- nginx with the same page as a static file (the ceiling) -----------------------------
mkdir -p "$work/www" "$work/nginx"
cp "$work/dashboard.html" "$work/www/dashboard.html"
chmod -R a+rX "$work/www"
nport=$(free_port)
cat >"$work/nginx.conf" <<CONF
worker_processes $(nproc);
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  default_type text/html;
  server { listen 127.0.0.1:$nport; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf" -p "$work/nginx" &
nginx_pid=$!
wait_http "http://127.0.0.1:$nport/dashboard.html"

# --- measurements, interleaved so drift hits every configuration alike --------------------
# Each run records requests/s, latency, and the server's own CPU time per request (from
# /proc/PID/stat), which is less disturbed than throughput when other work shares the cores.
declare -A runs
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
measure() { # key url [wrk args...]; for ipgo, $server_pid is the server
  local key=$1 t0=0 t1=0 result cpu_us=n/a
  shift
  [ -n "$server_pid" ] && t0=$(cpu_ticks "$server_pid")
  result=$(run_wrk "$@")
  if [ -n "$server_pid" ]; then
    t1=$(cpu_ticks "$server_pid")
    cpu_us=$(awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v n="${result##* }" \
      'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
  fi
  runs[$key]+="$result $cpu_us"$'\n'
  echo "  $key: $result cpu/request ${cpu_us}us" >&2
  last_total=${result##* }
}
# The median of column $2 over the runs of key $1.
median() {
  printf '%s' "${runs[$1]}" | awk -v c="$2" 'NF { print $c }' | sort -g |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
count_dashboard_entries() {
  "$BIN" audit export --data "$data" --format jsonl 2>/dev/null |
    grep -c '"route":"/","resource":"/"' || true
}
entries_before=$(count_dashboard_entries)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
logged_requests=0
for round in $(seq "$ROUNDS"); do
  echo "round $round" >&2
  measure nginx "http://127.0.0.1:$nport/dashboard.html"

  start_server
  measure log_on -H "Cookie: ipgo_session=$token" "$page_url"
  logged_requests=$((logged_requests + last_total))
  # As a browser asks from the portal's own page: gzip-compressed (the BREACH rule
  # compresses secret-holding pages only for Sec-Fetch-Site same-origin or none).
  measure log_on_gzip -H "Cookie: ipgo_session=$token" -H "Accept-Encoding: gzip" \
    -H "Sec-Fetch-Site: same-origin" "$page_url"
  logged_requests=$((logged_requests + last_total))
  on_rss=$(rss_kb "$server_pid")
  stop_server

  start_server IPGO_AUDIT__LOG_READ_REQUESTS=false
  measure log_off -H "Cookie: ipgo_session=$token" "$page_url"
  stop_server
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# Every dashboard request of the logged runs is in the access log (wrk does not count the
# requests still in flight when it stops, so the log may hold up to CONNECTIONS more per run).
dashboard_entries=$(($(count_dashboard_entries) - entries_before))

row() { # key label
  printf '| %s | %s | %s–%s | %s | %s | %s | %s |\n' "$2" "$(median "$1" 1)" \
    "$(printf '%s' "${runs[$1]}" | awk 'NF { print $1 }' | sort -g | head -1)" \
    "$(printf '%s' "${runs[$1]}" | awk 'NF { print $1 }' | sort -g | tail -1)" \
    "$(median "$1" 3)" "$(median "$1" 4)" "$(median "$1" 2)" "$(median "$1" 6)"
}
on_rps=$(median log_on 1)
off_rps=$(median log_off 1)
on_cpu=$(median log_on 6)
off_cpu=$(median log_off 6)
cost=$(awk -v on="$on_rps" -v off="$off_rps" 'BEGIN { printf "%.1f", (off - on) / off * 100 }')
cpu_cost=$(awk -v on="$on_cpu" -v off="$off_cpu" 'BEGIN { printf "%.1f", (on - off) / on * 100 }')

cat <<REPORT

## Results $(date -u +%Y-%m-%d)

Machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr); $(. /etc/os-release && echo "$PRETTY_NAME").
Tools: $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $(nginx -v 2>&1 | sed 's/.*: //'), $("$BIN" --version).
Load: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s on loopback (client and server share the cores); $ROUNDS interleaved rounds, medians. Machine load average (other work on the machine) before/after: $load_before / $load_after.
Page: GET / (dashboard) signed in, $page_bytes bytes of HTML + $headers bytes of headers.

| configuration | requests/s (median) | range | p50 (µs) | p99 (µs) | non-2xx | server CPU per request (µs) |
|---|---:|---:|---:|---:|---:|---:|
$(row log_on "ipgo, access log on (every read logged)")
$(row log_on_gzip "ipgo, access log on, gzip ($gzip_bytes bytes on the wire)")
$(row log_off "ipgo, read logging off")
$(row nginx "nginx, same bytes as a static file (ceiling)")

- Cost of logging every read: $cost % of throughput, $cpu_cost % of server CPU per request (target < 10 %).
- Dashboard requests of the logged runs found in the access log: $dashboard_entries (wrk completed $logged_requests; requests in flight at the end are logged but not counted by wrk).
- Cost of gzip (log on): $(awk -v a="$(median log_on 6)" -v b="$(median log_on_gzip 6)" 'BEGIN { printf "%.1f", b - a }') µs of server CPU per page, $page_bytes → $gzip_bytes bytes.
- Idle resident memory of ipgo serve: $((idle_rss / 1024)) MiB (target < 50 MB); after a logged run: $((on_rss / 1024)) MiB.
REPORT
