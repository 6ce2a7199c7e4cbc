#!/bin/sh
# Installs what tests/integration/search_extract.rs needs to build its fixtures with real tools:
# LibreOffice (DOC, XLS, PPT, RTF, PDF conversions), DejaVu fonts (Cyrillic PDFs and scans),
# tesseract-ocr with Kazakh and Russian data (optional OCR), and the Python writers of DOCX,
# XLSX, PPTX and PDF (Pillow comes with reportlab). Idempotent; run as root (CI runs it before tests).
set -eu
need_apt=""
command -v soffice >/dev/null 2>&1 || need_apt="$need_apt libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui"
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt="$need_apt fonts-dejavu-core"
command -v python3 >/dev/null 2>&1 || need_apt="$need_apt python3 python3-pip"
command -v tesseract >/dev/null 2>&1 || need_apt="$need_apt tesseract-ocr"
[ -f /usr/share/tesseract-ocr/5/tessdata/kaz.traineddata ] || need_apt="$need_apt tesseract-ocr-kaz"
[ -f /usr/share/tesseract-ocr/5/tessdata/rus.traineddata ] || need_apt="$need_apt tesseract-ocr-rus"
if [ -n "$need_apt" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need_apt
fi
if ! python3 -c 'import docx, openpyxl, pptx, reportlab' 2>/dev/null; then
    python3 -m pip install -q python-docx openpyxl python-pptx reportlab \
        || python3 -m pip install -q --break-system-packages python-docx openpyxl python-pptx reportlab
fi
