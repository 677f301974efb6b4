#!/usr/bin/env bash
# The runtime fuzzer (runtime/tests/fuzz.rs) for as long as you like: `scripts/fuzz.sh [hours]`,
# 4 by default. Random seeds after the fixed ones, each printed before it runs: the last seed in
# the log of a failed run is the one to replay with BATON_FUZZ_SEED=<seed>, and to add to
# REGRESSIONS once fixed. CI runs the same test for 2 minutes (scripts/test.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"
hours="${1:-4}"
log "fuzzing the runtime for ${hours} h"
BATON_FUZZ_SECONDS=$((hours * 3600)) cargo test --release --locked -p baton-runtime --test fuzz \
	-- --nocapture
