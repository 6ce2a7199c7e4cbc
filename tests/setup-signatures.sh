#!/usr/bin/env bash
# What the signature tests need: openssl (PKI, CMS signatures, the reference verifier) and
# GnuTLS certtool (Ed25519 CMS, which OpenSSL 3.0 cannot make). Idempotent.
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
missing=()
command -v openssl >/dev/null || missing+=(openssl)
command -v certtool >/dev/null || missing+=(gnutls-bin)
if ((${#missing[@]})); then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
certtool --version | head -1
