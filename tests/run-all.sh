#!/usr/bin/env bash
# Runs every test of ipgo on a fresh Debian machine: installs what the tests need
# (headless Chromium and its driver for the browser test, openssl for signature checks,
# nginx and wrk for benches/pages.sh), then format check, clippy, unit and integration
# tests. Usage: tests/run-all.sh   (CI calls exactly this from .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }
started=$SECONDS
timed() {
  local t=$SECONDS
  "$@"
  printf -- '-- %s: %ss\n' "$*" "$((SECONDS - t))"
}

step "system packages"
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v openssl >/dev/null || missing+=(openssl)
command -v nginx >/dev/null || missing+=(nginx-light)
command -v wrk >/dev/null || missing+=(wrk)
command -v cc >/dev/null || missing+=(gcc libc6-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
else
  echo "all present"
fi
# Each feature's own test tools (LibreOffice, Python libraries, servers...).
for setup in tests/setup-*.sh; do
  step "$setup"
  timed "$setup"
done
command -v cargo >/dev/null || { echo "cargo (Rust toolchain) is required" >&2; exit 1; }
cargo --version
chromium --version
openssl version

step "format"
timed cargo fmt --check

step "clippy"
timed cargo clippy --locked --all-targets -- -D warnings

step "tests (unit and integration: the real binary, over HTTP, in Chromium)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
t=$SECONDS
status=0
cargo test --locked 2>&1 | tee "$log" || status=$?
printf -- '-- cargo test: %ss\n' "$((SECONDS - t))"
totals=$(awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed", p, f }' "$log")
printf '\nall steps took %ss\n' "$((SECONDS - started))"
echo "tests: $totals"
exit "$status"
