//! A runtime with system, balances and operator staking. Accounts are 32-byte public keys, as
//! in Baton's runtime, so a gateway key is an account and signs real transactions.

use crate as pallet_operator_staking;
use crate::{Profile, ProfileOf, StakingParams};
pub use baton_primitives::testing::{account, RecordOffences};
use baton_primitives::{GatewayKey, KeyProof};
use frame_support::{derive_impl, parameter_types};
use sp_core::Pair;
use sp_runtime::{
	traits::{IdentifyAccount, Verify},
	AccountId32, BuildStorage, MultiSignature, MultiSigner,
};

pub type AccountId = AccountId32;
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		OperatorStaking: pallet_operator_staking,
	}
);

baton_primitives::impl_test_system!(
	Test,
	block: frame_system::mocking::MockBlockU32<Test>,
	account: AccountId,
	balance: Balance,
	existential_deposit: 1
);
baton_primitives::impl_test_offchain_signing!(Test, RuntimeCall);

#[derive_impl(crate::config_preludes::TestDefaultConfig)]
impl pallet_operator_staking::Config for Test {
	type Currency = Balances;
}

parameter_types! {
	/// Parameters of the mock's genesis.
	pub const GenesisParams: StakingParams<Balance, u32> = StakingParams {
		min_bond: 100,
		unbonding_period: 10,
		heartbeat_interval: 5,
		max_missed_heartbeats: 2,
		stake_per_slot: 50,
	};
}

/// Gateway key pair `n`. Its public key differs from `account(n)`, as an operator's key and
/// account usually do.
pub fn pair(n: u8) -> sp_core::ed25519::Pair {
	sp_core::ed25519::Pair::from_seed(&[n + 100; 32])
}

/// Gateway key `n`.
pub fn key(n: u8) -> GatewayKey {
	pair(n).public().0
}

/// Gateway key `key`'s proof that account `who` holds it, on the mock chain.
pub fn proof(who: u8, key: u8) -> KeyProof {
	pair(key).sign(&OperatorStaking::key_ownership_message(&account(who))).0
}

pub const ALICE: u8 = 1;
pub const BOB: u8 = 2;
pub const POOR: u8 = 3;
/// Starting balance of Alice and Bob.
pub const FUNDS: Balance = 10_000;

/// A valid profile serving APIs 1 and 2.
pub fn profile() -> ProfileOf<Test> {
	Profile {
		endpoint: b"https://op.example".to_vec().try_into().unwrap(),
		region: *b"DE",
		capacity: 4,
		apis: vec![1, 2].try_into().unwrap(),
		encryption_key: None,
	}
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(account(ALICE), FUNDS), (account(BOB), FUNDS), (account(POOR), 50)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_operator_staking::GenesisConfig::<Test> { params: GenesisParams::get() }
		.assimilate_storage(&mut storage)
		.unwrap();
	RecordOffences::clear();
	let mut ext =
		baton_primitives::testing::ext_at_block_one::<Test, AllPalletsWithSystem>(storage);
	// Benchmarks make gateway keys in a keystore and sign their proofs with them.
	ext.register_extension(baton_primitives::testing::keystore_ext());
	ext
}

baton_primitives::impl_test_runner!(Test, invariants: [OperatorStaking]);

/// Account `n` bonds `amount` with key `key(k)`, which it proves, and the default profile.
pub fn try_bond(n: u8, amount: Balance, k: u8) -> sp_runtime::DispatchResult {
	OperatorStaking::bond(RuntimeOrigin::signed(account(n)), amount, key(k), profile(), proof(n, k))
}

/// Account `n` bonds `amount` with key `key(n)` and the default profile (APIs 1 and 2).
pub fn bond_as(n: u8, amount: Balance) {
	frame_support::assert_ok!(try_bond(n, amount, n));
}

/// Alice bonds `amount` with key `key(ALICE)` and the default profile.
pub fn bond_alice(amount: Balance) {
	bond_as(ALICE, amount);
}

/// Account `n` is given 1,000 and bonds 100 of it, with key `key(n)` and the default profile.
pub fn fund_and_bond(n: u8) {
	Balances::force_set_balance(RuntimeOrigin::root(), account(n), 1_000).unwrap();
	bond_as(n, 100);
}

/// An account signing with a real ed25519 key, e.g. a gateway key.
pub fn key_account(public: &sp_core::ed25519::Public) -> AccountId {
	MultiSigner::from(*public).into_account()
}

/// Checks that `signature` by `signer` covers `payload`.
pub fn verifies(payload: &[u8], signature: &MultiSignature, signer: &AccountId) -> bool {
	signature.verify(payload, signer)
}
