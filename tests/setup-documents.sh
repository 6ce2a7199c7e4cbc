#!/usr/bin/env bash
# What the document tests need: LibreOffice (DOC, XLS, PPT, RTF, PDF conversions) and the
# Python libraries that write DOCX, XLSX, PPTX and images (tests/fixtures/make_formats.py).
# Idempotent: installs only what is missing.
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! command -v soffice >/dev/null; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui >/dev/null
fi
python3 -c "import docx, openpyxl, pptx, PIL" 2>/dev/null ||
  python3 -m pip install --quiet --disable-pip-version-check python-docx openpyxl python-pptx pillow
soffice --version | head -1
