//! Test externalities built from the runtime's own genesis presets, and a block driver.
#![allow(dead_code, reason = "each test file uses its own part of these helpers")]

use baton_runtime::{
	genesis_config_presets, time::SLOT_DURATION, AllPalletsWithSystem, BlockNumber, Runtime,
	RuntimeEvent, RuntimeGenesisConfig, RuntimeOrigin, System, Timestamp,
};
use frame_support::traits::{OnFinalize, OnInitialize};
use serde_json::Value;
use sp_runtime::BuildStorage;

/// Applies a JSON merge patch the way chain specs apply a genesis preset.
fn merge(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(base), Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}

/// The full genesis config of a named preset, as a chain spec would build it.
pub fn preset_config(name: &str) -> RuntimeGenesisConfig {
	let patch = genesis_config_presets::get_preset(&name.into()).expect("preset exists");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	merge(&mut config, serde_json::from_slice(&patch).unwrap());
	serde_json::from_value(config).expect("the preset is a valid genesis config")
}

/// Externalities at genesis of a named preset, inside block 1.
pub fn new_test_ext(preset: &str) -> sp_io::TestExternalities {
	ext_of(preset_config(preset))
}

/// Externalities at genesis of `config`, inside block 1.
pub fn ext_of(config: RuntimeGenesisConfig) -> sp_io::TestExternalities {
	let storage = config.build_storage().expect("genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		pallet_aura::CurrentSlot::<Runtime>::put(sp_consensus_aura::Slot::from(1));
		Timestamp::set(RuntimeOrigin::none(), SLOT_DURATION).expect("in slot");
	});
	ext
}

/// Runs `test` at genesis of a named preset, then checks the invariants of Baton's pallets.
pub fn execute(preset: &str, test: impl FnOnce()) {
	new_test_ext(preset).execute_with(|| {
		test();
		check_invariants();
	});
}

/// Every pallet's `try_state`, the SDK's too, as `try-runtime` runs them on a live chain; built
/// without `try-runtime`, only Baton's pallets have theirs (`do_try_state`).
pub fn check_invariants() {
	#[cfg(feature = "try-runtime")]
	{
		use frame_support::traits::{TryState, TryStateSelect};
		AllPalletsWithSystem::try_state(System::block_number(), TryStateSelect::All)
			.expect("every pallet's invariants hold");
	}
	#[cfg(not(feature = "try-runtime"))]
	{
		use baton_runtime::{
			Escrow, Gateway, Handover, OperatorStaking, Relay, Reputation, Slashing,
		};
		OperatorStaking::do_try_state().expect("operator-staking invariants hold");
		Slashing::do_try_state().expect("slashing invariants hold");
		Reputation::do_try_state().expect("reputation invariants hold");
		Escrow::do_try_state().expect("escrow invariants hold");
		Gateway::do_try_state().expect("gateway invariants hold");
		Handover::do_try_state().expect("handover invariants hold");
		Relay::do_try_state().expect("relay invariants hold");
	}
}

/// Runs the hooks of every block until `n` is the current block, with the timestamp inherent
/// of each block set as an author would.
pub fn run_to_block(n: BlockNumber) {
	while System::block_number() < n {
		let now = System::block_number();
		AllPalletsWithSystem::on_finalize(now);
		let next = now + 1;
		System::set_block_number(next);
		AllPalletsWithSystem::on_initialize(next);
		pallet_aura::CurrentSlot::<Runtime>::put(sp_consensus_aura::Slot::from(next as u64));
		Timestamp::set(RuntimeOrigin::none(), next as u64 * SLOT_DURATION).expect("in slot");
	}
}

/// Every event deposited since genesis or the last reset.
pub fn events() -> Vec<RuntimeEvent> {
	System::events().into_iter().map(|record| record.event).collect()
}

/// Whether `event` was deposited.
pub fn has_event(event: RuntimeEvent) -> bool {
	events().contains(&event)
}
