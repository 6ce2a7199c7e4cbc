#!/usr/bin/env bash
# What the directory sign-in tests need (I617 §20–§21): a real OpenLDAP server (`slapd`)
# and its tools (`ldapadd`, `slappasswd`), from Debian, installed without questions. The
# tests start their own slapd on loopback with a temporary configuration and TLS
# certificates made by openssl; the system's slapd service is never used, and is stopped
# if the package started it. Idempotent.
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! [ -x /usr/sbin/slapd ] || ! command -v ldapadd >/dev/null || ! command -v slappasswd >/dev/null; then
  # slapd's debconf questions are answered by "noninteractive"; no service is wanted.
  echo "slapd slapd/no_configuration boolean true" | $sudo debconf-set-selections 2>/dev/null || true
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    slapd ldap-utils >/dev/null
fi
# The package's own service is not the one the tests use.
if command -v systemctl >/dev/null && systemctl is-active --quiet slapd 2>/dev/null; then
  $sudo systemctl stop slapd || true
fi
/usr/sbin/slapd -VV 2>&1 | head -1
