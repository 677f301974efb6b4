#!/usr/bin/env bash
# Command 2: set up the machine, build, and run every test: the pinned polkadot-sdk versions,
# the runtime's tests, the pallets' tests and benchmark tests, the end-to-end tests against a
# real node, and the zombienet network tests.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"
"$REPO_ROOT/scripts/setup.sh"

stages=0
passed() { stages=$((stages + 1)); log "passed: $1"; }

log "polkadot-sdk crates in Cargo.lock are the stable2609 ones"
python3 scripts/check-sdk-versions.py
passed "pinned versions"

log "formatting (.rustfmt.toml); the operators' Prometheus alert rules and their unit tests"
cargo fmt --all -- --check
# promtool from Debian's package, unpacked rather than installed (no Prometheus service).
promtool=$(deb_tool prometheus usr/bin/promtool)
"$promtool" check rules docs/ops/alerts.yml
"$promtool" test rules docs/ops/alerts.test.yml
passed "formatting and alert rules"

# Clippy lints Baton's crates, warnings denied, as the next stages compile them (common.sh): the
# build, the program's tests, and the pallets' and runtime's tests with their features.
"$REPO_ROOT/scripts/build.sh"
passed "build, linted"

log "the baton program's and the node's RPC tests: receipts checked, amounts parsed, specs read, the runtime's errors named"
# With the node selected too, so that features resolve as in the build and the tests reuse
# every crate it compiled: `-p baton` alone resolves them otherwise (syn among them) and
# recompiled 219 crates on a fresh machine.
cargo test --release --locked -p baton -p baton-node -p baton-rpc --bin baton --lib
passed "baton program and RPC tests"

log "runtime, pallet, egress and relay endpoint tests in one build, try-runtime and benchmarks on:"
log "the runtime's scenarios, the upgrade rehearsal's migration, every pallet's try_state after each"
log "test, the benchmarks run as tests, the egress policy's address table and real calls over"
log "loopback; then the runtime fuzzer for ${BATON_FUZZ_SECONDS:=60} s"
# One invocation, one set of features, so the frame crates are built natively once: the
# benchmarks and the try-runtime checks compile with their features only, the gateway's upgrade
# rehearsal (its v1 migration and that migration's tests) with its own, and the runtime takes
# runtime-benchmarks too, which every SDK pallet needs once frame-support has it. Native only:
# these tests do not run the wasm, which the node's build has.
pallets=(pallet-operator-staking pallet-slashing pallet-reputation pallet-escrow pallet-gateway pallet-handover pallet-relay)
features=$(printf '%s/runtime-benchmarks,%s/try-runtime,' "${pallets[@]}" "${pallets[@]}")
features+="pallet-gateway/upgrade-rehearsal"
features+=",baton-runtime/try-runtime,baton-runtime/upgrade-rehearsal,baton-runtime/runtime-benchmarks"
unit_tests=(cargo test --release --locked -p baton-runtime "${pallets[@]/#/--package=}"
	--package=baton-egress --package=baton-relay-endpoint --features "$features")
SKIP_WASM_BUILD=1 "${unit_tests[@]}" -- --skip random_sequences
SKIP_WASM_BUILD=1 BATON_FUZZ_SECONDS="$BATON_FUZZ_SECONDS" "${unit_tests[@]}" --test fuzz -- --nocapture
passed "runtime, pallet and egress tests"

log "end-to-end: polkadot.js, @baton/client and the dashboard in Chromium against baton-node --dev;"
log "beside them, a runtime upgrade by referendum"
# Debian's Chromium for the browser tests (tests/browser/), about a minute the first time.
[ -x /usr/bin/chromium ] || apt_install chromium
# The referendum's 80 blocks are 4 minutes of waiting on a node of its own: beside the others.
upgrade_log=$(mktemp)
node --test tests/upgrade/ >"$upgrade_log" 2>&1 &
upgrade=$!
trap 'kill "$upgrade" 2>/dev/null || true' EXIT
node --test --test-concurrency=2 tests/e2e/ sdk/js/test/ tests/browser/
if ! wait "$upgrade"; then
	cat "$upgrade_log"
	exit 1
fi
trap - EXIT
cat "$upgrade_log"
passed "end-to-end tests"

# One network for every kill: an operator node, one validator, two, then a relay operator.
log "zombienet: nodes killed under requests and restarted on their databases (operator, 1 and 2 of 4 validators, relay)"
scripts/zombienet.sh zombienet/failover.zndsl
passed "zombienet failover"

echo "stages: ${stages} passed, 0 failed"
