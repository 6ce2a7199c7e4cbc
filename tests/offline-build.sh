#!/usr/bin/env bash
# Proves the air-gapped build (issue 6, item 6): makes the offline bundle, unpacks it, and
# inside a network namespace that has no route at all (`unshare -n`), with an empty
# CARGO_HOME (no registry cache to fall back on), runs `cargo build --offline --locked`,
# builds cargo-deb from the bundle and makes the .deb with it.
# Usage (root, for unshare): tests/offline-build.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$ROOT/appliance/offline-bundle.sh" "$WORK/out"
tar xzf "$WORK"/out/ipgo-*-offline.tar.gz -C "$WORK"
SRC=$(echo "$WORK"/ipgo-*/)
mkdir -p "$WORK/cargo-home"
export CARGO_HOME="$WORK/cargo-home"
export CARGO_TARGET_DIR="$WORK/target"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export PATH="$HOME/.cargo/bin:$PATH"
unshare -n -- bash -euo pipefail -c '
  cd "$1"
  if curl -s --max-time 3 https://crates.io >/dev/null 2>&1; then
    echo "the namespace still reaches the network" >&2; exit 1
  fi
  echo "no network: $(ip route 2>/dev/null | wc -l) routes"
  cargo build --offline --locked
  # A debug build of the packaging tool is enough and compiles in half the time.
  cargo install --offline --locked --quiet --debug --path tools/cargo-deb --root "$2/tools"
  "$2/tools/bin/cargo-deb" --offline --locked --profile dev --fast
' offline "$SRC" "$WORK"
ls "$CARGO_TARGET_DIR"/debian/ipgo_*.deb
echo "offline build: ok"
