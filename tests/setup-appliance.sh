#!/usr/bin/env bash
# Tools the appliance tests need (idempotent): cargo-deb to build the package, lintian to
# check it, systemd-analyze for the unit hardening score, util-linux (unshare, setpriv,
# mount) and systemd's socket activator for the install test.
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
missing=()
command -v lintian >/dev/null || missing+=(lintian)
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v systemd-socket-activate >/dev/null || missing+=(systemd)
command -v unshare >/dev/null || missing+=(util-linux)
command -v setpriv >/dev/null || missing+=(util-linux)
command -v dpkg-deb >/dev/null || missing+=(dpkg)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
if ! command -v cargo-deb >/dev/null || ! cargo-deb --version | grep -q '3\.8\.0'; then
  cargo install --locked --quiet cargo-deb --version 3.8.0
fi
cargo-deb --version
