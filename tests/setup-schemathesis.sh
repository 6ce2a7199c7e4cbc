#!/usr/bin/env bash
# What the API contract test (tests/integration/api_contract.rs, issue 20 point 1) needs:
# schemathesis (PyPI, MIT; a test tool, never shipped), pinned, in a virtualenv under
# target/test-tools/schemathesis so it never touches the system's Python. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
version=4.32.5
dest=target/test-tools/schemathesis
if [ -x "$dest/bin/st" ] && "$dest/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '$version')" 2>/dev/null; then
  echo "schemathesis $version present"
  exit 0
fi
if ! python3 -c "import venv, ensurepip" 2>/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    python3-venv >/dev/null
fi
rm -rf "$dest"
python3 -m venv "$dest"
"$dest/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$version"
"$dest/bin/st" --version
