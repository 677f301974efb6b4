#!/usr/bin/env bash
# Command 1: set up the machine, build baton-node and run the demo on a dev chain.
# Extra arguments go to the demo (e.g. `--blocks 5` to stop after five finalized blocks).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$REPO_ROOT/scripts/setup.sh"
"$REPO_ROOT/scripts/build.sh"
log "demo: a dev chain on ws://127.0.0.1:${BATON_RPC_PORT:-9944}"
exec node "$REPO_ROOT/scripts/demo.mjs" "$@"
