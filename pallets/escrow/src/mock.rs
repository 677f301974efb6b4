//! A runtime with system, balances and escrow.

use crate as pallet_escrow;
use sp_runtime::BuildStorage;

pub type AccountId = u64;
pub type Balance = u128;

pub const CLIENT: AccountId = 1;
pub const OPERATOR: AccountId = 2;
pub const TREASURY: AccountId = 3;
pub const POOR: AccountId = 4;
pub const ED: Balance = 10;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Escrow: pallet_escrow,
	}
);

baton_primitives::impl_test_system!(
	Test,
	block: frame_system::mocking::MockBlock<Test>,
	account: AccountId,
	balance: Balance,
	existential_deposit: ED
);

impl pallet_escrow::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
}

baton_primitives::impl_test_runner!(Test, invariants: [Escrow]);

/// Fresh state with funded accounts.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(CLIENT, 1_000), (OPERATOR, 100), (TREASURY, 100), (POOR, 15)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	baton_primitives::testing::ext_at_block_one::<Test, AllPalletsWithSystem>(storage)
}
