#!/usr/bin/env bash
# Regenerates pallets/*/src/weights.rs — and runtime/src/weights/ for the SDK pallets and
# transaction extensions every transaction pays for — by running each pallet's benchmarks on
# this machine with `baton-node benchmark pallet`; `overhead` measures the base weights of a
# block and of an extrinsic (`baton-node benchmark overhead`). All of a chain's weights come
# from one machine, so that their ratios mean something. Needs a node built with the runtime's
# benchmarks, which this script builds (`--features runtime-benchmarks`) into its own binary
# name, so the node the tests use is left alone. Not part of the tests: weights are committed.
#   scripts/benchmark-weights.sh [pallet_name | overhead ...]     default: all of them
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
	pallets=(pallet_operator_staking pallet_slashing pallet_reputation pallet_gateway pallet_handover pallet_relay
		pallet_balances frame_system_extensions pallet_transaction_payment overhead)
fi
for pallet in "${pallets[@]}"; do
	if [ "$pallet" = overhead ]; then
		log "benchmarking the block and extrinsic base weights -> runtime/src/weights/"
		"$bench_node" benchmark overhead --chain dev --weight-path runtime/src/weights --warmup 5 --repeat 50
		# The runtime reaches these through frame-support, not sp-weights.
		sed -i 's/sp_weights::/frame_support::weights::/g; s/use sp_core::parameter_types;/use frame_support::parameter_types;/' \
			runtime/src/weights/block_weights.rs runtime/src/weights/extrinsic_weights.rs
		rustfmt --edition 2021 runtime/src/weights/block_weights.rs runtime/src/weights/extrinsic_weights.rs
		continue
	fi
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
	if [ "$pallet" = frame_system_extensions ]; then
		# The CLI's template names the pallet's trait; the extensions' trait lives in frame-system.
		sed -i 's/frame_system_extensions::WeightInfo for/frame_system::ExtensionsWeightInfo for/' "${output[-1]}"
	fi
	# Generated files are formatted like the rest: the test command checks formatting.
	rustfmt --edition 2021 "${output[-1]}"
done
