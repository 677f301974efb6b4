#!/usr/bin/env bash
# Builds baton-node (release; the one profile every script and test uses).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"
log "cargo build --release -p baton-node (target: $CARGO_TARGET_DIR)"
start=$(date +%s)
cargo build --release --locked -p baton-node "$@"
log "built $BATON_NODE in $(( $(date +%s) - start )) s"
