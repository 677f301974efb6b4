#!/usr/bin/env bash
# Benchmark (not a test): time from an operator's death to the completion of its requests by
# successors, on the zombienet failover network (3 validators, 3 operator nodes, one paused
# mid-stream), in blocks and seconds; and on the fast path, baton gateway's stream of calls
# when the node answering them is killed: errors, the calls in flight at the kill, the time
# until every call goes to the survivor, p99 against the no-fault p99. Results go to
# docs/performance.md. BATON_GATEWAY_AFTER_KILL_MS streams longer after the restart.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"
export BATON_FAILOVER_BATCH="${BATON_FAILOVER_BATCH:-12}"
export BATON_FAILOVER_MIN_DEAD="${BATON_FAILOVER_MIN_DEAD:-10}"
scripts/zombienet.sh zombienet/failover.zndsl | tee /dev/stderr | grep -E "death → completion|handed over from op1|^relay: "
