#!/usr/bin/env bash
# Runs the whole test suite twice: on io_uring, then with the mio backend forced.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ci-deps.sh
if ! cargo nextest --version >/dev/null 2>&1; then
    cargo install --locked cargo-nextest
fi
profile=()
if [ "${CI:-}" = "true" ]; then profile=(--profile ci); fi
echo "== io_uring backend =="
RINGLINE_BACKEND=uring cargo nextest run --workspace "${profile[@]}"
echo "== mio backend (forced) =="
RINGLINE_BACKEND=mio cargo nextest run --workspace "${profile[@]}"
echo "== doc tests =="
cargo test --workspace --doc
