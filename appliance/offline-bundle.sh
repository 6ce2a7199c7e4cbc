#!/bin/sh
# Makes target/offline/ipgo-<version>-offline.tar.gz: the source of ipgo, every crate it
# needs vendored, the source of cargo-deb with its crates, and a cargo configuration that
# replaces crates.io with the vendored copies — so that on a machine with no network:
#
#   tar xzf ipgo-<version>-offline.tar.gz && cd ipgo-<version>
#   cargo build --offline --locked --release
#   cargo install --offline --locked --path tools/cargo-deb --root tools   # once
#   tools/bin/cargo-deb --offline --locked      # → target/debian/ipgo_<version>-1_amd64.deb
#
# Needs (here, with network): git, cargo, tar. Usage: appliance/offline-bundle.sh [OUTDIR]
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/target/offline}
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$ROOT/Cargo.toml" | head -n 1)
CARGO_DEB_VERSION=${CARGO_DEB_VERSION:-3.8.0}
NAME="ipgo-$VERSION"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT INT TERM

echo "offline bundle: source of $NAME"
mkdir -p "$STAGE/$NAME"
# Tracked files only (no target/, no local data); the working tree's content.
(cd "$ROOT" && git ls-files -z | xargs -0 tar cf -) | tar xf - -C "$STAGE/$NAME"

echo "offline bundle: source of cargo-deb $CARGO_DEB_VERSION"
HELPER="$STAGE/helper"
mkdir -p "$HELPER/src"
cat > "$HELPER/Cargo.toml" <<EOF
[package]
name = "fetch-cargo-deb"
version = "0.0.0"
edition = "2021"
[dependencies]
cargo-deb = "=$CARGO_DEB_VERSION"
EOF
: > "$HELPER/src/lib.rs"
(cd "$HELPER" && cargo vendor --quiet --versioned-dirs vendor > /dev/null)
mkdir -p "$STAGE/$NAME/tools"
cp -r "$HELPER/vendor/cargo-deb-$CARGO_DEB_VERSION" "$STAGE/$NAME/tools/cargo-deb"
# Vendored crates must keep their checksums; a copied crate used as a path is not vendored.
rm -f "$STAGE/$NAME/tools/cargo-deb/.cargo-checksum.json"

echo "offline bundle: vendoring every crate (ipgo and cargo-deb, at their locked versions)"
cd "$STAGE/$NAME"
mkdir -p .cargo
# Not --quiet: recent cargo then also leaves out the source replacement it prints.
if ! cargo vendor --locked --versioned-dirs --sync tools/cargo-deb/Cargo.toml vendor \
    > .cargo/config.toml 2> "$STAGE/vendor.log"; then
  cat "$STAGE/vendor.log" >&2
  exit 1
fi
grep -q 'replace-with = "vendored-sources"' .cargo/config.toml || {
  echo "cargo vendor printed no source replacement" >&2
  exit 1
}
cat >> .cargo/config.toml <<'EOF'

# Never try the network: everything is in vendor/.
[net]
offline = true
EOF

mkdir -p "$OUT"
tar czf "$OUT/$NAME-offline.tar.gz" -C "$STAGE" "$NAME"
( cd "$OUT" && sha256sum "$NAME-offline.tar.gz" > "$NAME-offline.tar.gz.sha256" )
echo "offline bundle: $OUT/$NAME-offline.tar.gz ($(du -h "$OUT/$NAME-offline.tar.gz" | cut -f1))"
