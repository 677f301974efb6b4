#!/usr/bin/env bash
# Builds baton-node and the baton program (release; the one profile every script and test
# uses), in one invocation so that they share one build of every dependency.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"
log "cargo build --release -p baton-node -p baton (target: $CARGO_TARGET_DIR)"
start=$(date +%s)
cargo build --release --locked -p baton-node -p baton "$@"
log "built $BATON_NODE and baton in $(( $(date +%s) - start )) s"
