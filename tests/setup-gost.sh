#!/usr/bin/env bash
# What the GOST signature tests need: OpenSSL's GOST engine (Debian's
# libengine-gost-openssl), the independent implementation the portal's GOST verdicts are
# compared with (keys, certificates, CRLs and CMS made and verified by it). Idempotent.
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
engines=$(openssl version -e | sed 's/^[^"]*"\(.*\)"$/\1/')
if [ ! -f "$engines/gost.so" ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    libengine-gost-openssl >/dev/null
fi
openssl engine -t gost 2>&1 | head -2
