#!/usr/bin/env bash
# Regenerates pallets/*/src/weights.rs — and runtime/src/weights/ for the SDK pallets whose
# weights Baton's are compared with — by running each pallet's benchmarks on this machine with
# `baton-node benchmark pallet`. Needs a node built with the runtime's benchmarks, which this
# script builds (`--features runtime-benchmarks`) into its own binary name, so the node the
# tests use is left alone. Not part of the tests: weights are committed.
#   scripts/benchmark-weights.sh [pallet_name ...]     default: Baton's pallets and balances
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"

log "building baton-node with runtime benchmarks"
# The benchmark CLI depends on a test runtime whose wasm is not needed to benchmark pallets
# (and which wasm-builder cannot find in our workspace metadata).
SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1 \
	cargo build --release --locked -p baton-node --features runtime-benchmarks
bench_node="$CARGO_TARGET_DIR/release/baton-node-benchmarks"
cp "$CARGO_TARGET_DIR/release/baton-node" "$bench_node"

pallets=("$@")
if [ ${#pallets[@]} -eq 0 ]; then
	pallets=(pallet_operator_staking pallet_slashing pallet_reputation pallet_gateway pallet_handover pallet_balances)
fi
for pallet in "${pallets[@]}"; do
	dir="pallets/$(sed -e 's/^pallet_//' -e 's/_/-/g' <<<"$pallet")"
	if [ -d "$dir" ]; then
		output=(--template scripts/templates/pallet-weights.hbs --output "$dir/src/weights.rs")
	else
		# An SDK pallet: the CLI's own template, a `WeightInfo<T>` the runtime uses.
		output=(--output "runtime/src/weights/$pallet.rs")
	fi
	log "benchmarking $pallet -> ${output[-1]}"
	"$bench_node" benchmark pallet \
		--chain dev \
		--pallet "$pallet" \
		--extrinsic '*' \
		--steps 20 \
		--repeat 10 \
		--wasm-execution compiled \
		--heap-pages 4096 \
		"${output[@]}"
done
