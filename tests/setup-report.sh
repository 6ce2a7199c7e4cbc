#!/usr/bin/env bash
# What the calendar, reporting and action-plan tests need: a real XLSX reader (openpyxl)
# to read exports back, the `holidays` package to cross-check the working-day calendar,
# and the Liberation fonts (metric-compatible with Arial) for charts in screenshots.
# Idempotent.
set -euo pipefail
python3 -c "import openpyxl" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check openpyxl
python3 -c "import holidays" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check holidays
if ! fc-list 2>/dev/null | grep -q "Liberation Sans"; then
  apt-get install -y -q fonts-liberation2 >/dev/null || true
fi
python3 -c "import openpyxl, holidays; print('openpyxl', openpyxl.__version__, 'holidays', holidays.__version__)"
