#!/usr/bin/env bash
# What the accessibility test needs: axe-core (npm, MPL-2.0; a test tool, never shipped),
# installed under target/test-tools/axe from the npm registry, and npm itself from Debian.
# Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
version=4.11.0
dest=target/test-tools/axe
if [ -f "$dest/node_modules/axe-core/axe.min.js" ] &&
  grep -q "\"version\": \"$version\"" "$dest/node_modules/axe-core/package.json"; then
  echo "axe-core $version present"
  exit 0
fi
if ! command -v npm >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    npm >/dev/null
fi
mkdir -p "$dest"
npm install --prefix "$dest" --no-save --no-audit --no-fund --silent "axe-core@$version"
test -f "$dest/node_modules/axe-core/axe.min.js"
echo "axe-core $version installed in $dest"
