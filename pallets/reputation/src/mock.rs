//! A runtime with only system and reputation.

use crate as pallet_reputation;
use frame_support::parameter_types;
use frame_system::EnsureRoot;
use sp_runtime::{BuildStorage, Perbill};

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Reputation: pallet_reputation,
	}
);

baton_primitives::impl_test_system!(
	Test,
	block: frame_system::mocking::MockBlock<Test>,
	account: u64
);

parameter_types! {
	pub const Decay: Perbill = Perbill::from_percent(90);
	pub const LatencyWeight: Perbill = Perbill::from_percent(20);
	pub const MaxApiRecords: u32 = 3;
}

impl pallet_reputation::Config for Test {
	type Decay = Decay;
	type LatencyWeight = LatencyWeight;
	type MaxApiRecords = MaxApiRecords;
	type AdminOrigin = EnsureRoot<u64>;
	type WeightInfo = ();
}

/// An empty chain at block 1.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	baton_primitives::testing::ext_at_block_one::<Test, AllPalletsWithSystem>(storage)
}

baton_primitives::impl_test_runner!(Test, invariants: [Reputation]);
