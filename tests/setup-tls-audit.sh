#!/usr/bin/env bash
# What the TLS audit test needs: testssl.sh (Debian package `testssl.sh`, command `testssl`),
# the third-party scanner run against the portal's TLS listener. Idempotent.
set -euo pipefail
if ! command -v testssl >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    testssl.sh >/dev/null
fi
command -v testssl
