#!/usr/bin/env bash
# Command 2: set up the machine, build, and run every test: the pinned polkadot-sdk versions,
# the Rust tests (runtime and pallets), the end-to-end tests against a real node, and zombienet.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"
"$REPO_ROOT/scripts/setup.sh"

log "polkadot-sdk crates in Cargo.lock are the stable2609 ones"
python3 scripts/check-sdk-versions.py

"$REPO_ROOT/scripts/build.sh"

log "cargo test (runtime and pallets, release profile)"
cargo test --release --locked --workspace

log "end-to-end: polkadot.js against baton-node --dev"
node --test --test-concurrency=1 tests/e2e/

log "zombienet: 4 validators, one paused, finality continues"
scripts/zombienet.sh zombienet/local-4.zndsl
