//! A runtime with system, balances and slashing; operators' stake is a simple table here,
//! taken out of their free balance when slashed.

use crate as pallet_slashing;
use crate::{Penalty, SlashingParams};
use baton_primitives::{OffenceKind, SlashTarget};
use core::cell::RefCell;
use frame_support::{
	parameter_types,
	traits::{
		fungible::{Balanced, Credit},
		tokens::{Fortitude, Precision, Preservation},
		ConstU32, ConstU64,
	},
};
use frame_system::EnsureRoot;
use sp_runtime::{BuildStorage, DispatchError, Perbill};
use std::collections::BTreeMap;

pub type AccountId = u64;
pub type Balance = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Slashing: pallet_slashing,
	}
);

baton_primitives::impl_test_system!(
	Test,
	block: frame_system::mocking::MockBlock<Test>,
	account: AccountId,
	balance: Balance,
	existential_deposit: ED
);

/// Existential deposit: large enough that a small reward cannot open an account.
pub const ED: Balance = 5;

/// The treasury account slashes end up in.
pub const TREASURY: AccountId = 999;
/// Operators of the mock, each with `STAKE` staked.
pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const STAKE: Balance = 10_000;

thread_local! {
	/// Stake per operator: what `SlashTarget` reports and reduces.
	pub static STAKES: RefCell<BTreeMap<AccountId, Balance>> = const { RefCell::new(BTreeMap::new()) };
	/// Jails recorded through `SlashTarget::jail`.
	pub static JAILS: RefCell<BTreeMap<AccountId, u64>> = const { RefCell::new(BTreeMap::new()) };
	/// Every `SlashTarget::lift_jail` asked for, in order: the staking pallet announces a lift.
	pub static LIFTS: RefCell<Vec<(AccountId, u64)>> = const { RefCell::new(Vec::new()) };
}

/// Stake kept in a table, slashed from the operator's free balance.
pub struct MockStake;
impl SlashTarget<AccountId, u64> for MockStake {
	type Balance = Balance;
	type Credit = Credit<AccountId, Balances>;

	fn slashable_stake(who: &AccountId) -> Balance {
		STAKES.with(|s| s.borrow().get(who).copied().unwrap_or(0))
	}

	fn slash(who: &AccountId, amount: Balance) -> Self::Credit {
		let amount = amount.min(Self::slashable_stake(who));
		STAKES.with(|s| *s.borrow_mut().entry(*who).or_default() -= amount);
		<Balances as Balanced<AccountId>>::withdraw(
			who,
			amount,
			Precision::Exact,
			Preservation::Expendable,
			Fortitude::Force,
		)
		.expect("operators hold their stake")
	}

	fn jail(who: &AccountId, until: u64) -> Result<(), DispatchError> {
		if Self::slashable_stake(who) == 0 {
			return Err(DispatchError::Other("not an operator"));
		}
		JAILS.with(|j| {
			let mut jails = j.borrow_mut();
			let end = jails.entry(*who).or_default();
			*end = (*end).max(until);
		});
		Ok(())
	}

	fn jailed_until(who: &AccountId) -> Option<u64> {
		JAILS.with(|j| j.borrow().get(who).copied())
	}

	fn lift_jail(who: &AccountId, until: u64) {
		LIFTS.with(|l| l.borrow_mut().push((*who, until)));
		JAILS.with(|j| {
			if let Some(end) = j.borrow_mut().get_mut(who) {
				*end = (*end).min(until);
			}
		});
	}
}

parameter_types! {
	pub const TreasuryAccount: AccountId = TREASURY;
}

impl pallet_slashing::Config for Test {
	type Currency = Balances;
	type Target = MockStake;
	type OnSlash = frame_support::traits::tokens::imbalance::ResolveTo<TreasuryAccount, Balances>;
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type MaxSlashDeferral = ConstU64<100>;
	type MaxJail = ConstU64<1_000>;
	type OffenceRetention = ConstU64<200>;
	type MaxSlashesPerBlock = ConstU32<2>;
	type MaxJailedOffences = ConstU32<2>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockStake;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockStake {
	fn bonded_operator(who: &AccountId) {
		use frame_support::traits::fungible::Mutate;
		Balances::set_balance(who, STAKE);
		STAKES.with(|s| s.borrow_mut().insert(*who, STAKE));
	}
}

/// Deferral of the mock's genesis.
pub const DEFERRAL: u64 = 10;

/// Alice and Bob stake `STAKE`; wrong results cost 10% and 50 blocks of jail, offline 1%.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(ALICE, STAKE), (BOB, STAKE), (TREASURY, ED), (3, 100)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_slashing::GenesisConfig::<Test> {
		params: SlashingParams {
			reward_share: Perbill::from_percent(20),
			slash_deferral: DEFERRAL,
		},
		penalties: vec![
			(OffenceKind::WrongResult, Penalty { slash: Perbill::from_percent(10), jail: 50 }),
			(OffenceKind::Offline, Penalty { slash: Perbill::from_percent(1), jail: 0 }),
		],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	STAKES.with(|s| *s.borrow_mut() = BTreeMap::from([(ALICE, STAKE), (BOB, STAKE)]));
	JAILS.with(|j| j.borrow_mut().clear());
	LIFTS.with(|l| l.borrow_mut().clear());
	baton_primitives::testing::ext_at_block_one::<Test, AllPalletsWithSystem>(storage)
}

baton_primitives::impl_test_runner!(Test, invariants: [Slashing]);
