#!/usr/bin/env bash
# What the draft-approval and notification tests need: a real SMTP server (aiosmtpd from
# PyPI, storing into a Maildir) and openssl for the signatures. Idempotent.
set -euo pipefail
python3 -c "import aiosmtpd" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check aiosmtpd
python3 -c "import aiosmtpd; print('aiosmtpd', aiosmtpd.__version__)"
