#!/usr/bin/env bash
# The long schemathesis run of issue 20 point 1 (not in CI): every operation of
# docs/openapi.json, every check, the stateful phase, signed in as an employee, a head and the
# system administrator, with more examples per operation than the bounded CI run
# (tests/integration/api_contract.rs). Record its figures in docs/api-contract.md.
# Usage: tests/api-contract-long.sh [examples per operation, default 25] [seed, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
tests/setup-schemathesis.sh
export IPGO_CORPUS="${IPGO_CORPUS:-$PWD/tests/fixtures}"
export IPGO_CONTRACT_ALL=1
export IPGO_CONTRACT_EXAMPLES="${1:-25}"
export IPGO_CONTRACT_SEED="${2:-20}"
started=$SECONDS
status=0
cargo test --test integration api_contract -- --nocapture 2>&1 | tee target/api-contract-long.log || status=$?
echo "took $((SECONDS - started)) s; output in target/api-contract-long.log"
# Figures: operations, test cases and findings per person, from schemathesis' own summary.
grep -E "^== |operations|test cases|[0-9]+ (failures|issues|errors)|Found [0-9]+" target/api-contract-long.log || true
exit "$status"
