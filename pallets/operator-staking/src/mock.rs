//! A runtime with system, balances and operator staking. Accounts are 32-byte public keys, as
//! in Baton's runtime, so a gateway key is an account and signs real transactions.

use crate as pallet_operator_staking;
use crate::{Profile, ProfileOf, StakingParams};
use baton_primitives::{
	GatewayKey, KeyProof, OffenceError, OffenceKind, OffenceSubject, PendingSlash, ReportOffence,
};
use core::cell::RefCell;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
use sp_core::{ConstU128, Pair};
use sp_runtime::{
	traits::{Convert, IdentifyAccount, Verify},
	AccountId32, BuildStorage, MultiSignature, MultiSigner,
};

pub type AccountId = AccountId32;
pub type Balance = u128;
type Block = frame_system::mocking::MockBlockU32<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		OperatorStaking: pallet_operator_staking,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = sp_runtime::traits::IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type ExistentialDeposit = ConstU128<1>;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

baton_primitives::impl_test_offchain_signing!(Test, RuntimeCall);

thread_local! {
	/// Offences reported to the mock's slashing.
	pub static OFFENCES: RefCell<Vec<(OffenceKind, OffenceSubject, AccountId)>> = const { RefCell::new(vec![]) };
	/// Operators the mock's slashing says owe a slash.
	pub static SLASH_PENDING: RefCell<Vec<AccountId>> = const { RefCell::new(vec![]) };
}

/// Records offences instead of slashing.
pub struct RecordOffences;
impl ReportOffence<AccountId> for RecordOffences {
	fn report_offence(
		kind: OffenceKind,
		subject: OffenceSubject,
		offender: &AccountId,
		_beneficiary: Option<AccountId>,
	) -> Result<(), OffenceError> {
		OFFENCES.with(|o| o.borrow_mut().push((kind, subject, offender.clone())));
		Ok(())
	}
}

impl PendingSlash<AccountId> for RecordOffences {
	fn has_pending_slash(who: &AccountId) -> bool {
		SLASH_PENDING.with(|p| p.borrow().contains(who))
	}
}

/// Marks `who` as owing a slash (`true`) or not.
pub fn set_slash_pending(who: AccountId, pending: bool) {
	SLASH_PENDING.with(|p| {
		let mut p = p.borrow_mut();
		p.retain(|other| *other != who);
		if pending {
			p.push(who);
		}
	});
}

/// A gateway key's account is the key itself, as with `MultiSigner::Ed25519`.
pub struct KeyIsAccount;
impl Convert<GatewayKey, AccountId> for KeyIsAccount {
	fn convert(key: GatewayKey) -> AccountId {
		MultiSigner::from(sp_core::ed25519::Public::from_raw(key)).into_account()
	}
}

impl pallet_operator_staking::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type KeyAccount = KeyIsAccount;
	type Offences = RecordOffences;
	type Slashes = RecordOffences;
	type AuthorityId = baton_primitives::crypto::GatewayAuthId;
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type MinUnbondingPeriod = ConstU32<10>;
	type MaxOperators = ConstU32<65>;
	type MaxUnlockingChunks = ConstU32<2>;
	type MaxEndpointLen = ConstU32<32>;
	type MaxApis = ConstU32<3>;
	type MaxHeartbeatChecks = ConstU32<2>;
	type WeightInfo = ();
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

/// An account from a byte.
pub fn account(n: u8) -> AccountId {
	AccountId32::new([n; 32])
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
	OFFENCES.with(|o| o.borrow_mut().clear());
	SLASH_PENDING.with(|p| p.borrow_mut().clear());
	let mut ext = sp_io::TestExternalities::new(storage);
	// Benchmarks make gateway keys in a keystore and sign their proofs with them.
	ext.register_extension(sp_keystore::KeystoreExt(std::sync::Arc::new(
		sp_keystore::testing::MemoryKeystore::new(),
	)));
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test` on the genesis above, then checks the pallet's invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		OperatorStaking::do_try_state().expect("invariants hold");
	});
}

/// Runs the hooks of every block until `n` is the current block.
pub fn run_to_block(n: u32) {
	use frame_support::traits::Hooks;
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		OperatorStaking::on_initialize(next);
	}
}

/// Alice bonds `amount` with key `key(ALICE)` and the default profile.
pub fn bond_alice(amount: Balance) {
	frame_support::assert_ok!(OperatorStaking::bond(
		RuntimeOrigin::signed(account(ALICE)),
		amount,
		key(ALICE),
		profile(),
		proof(ALICE, ALICE)
	));
}

/// An account signing with a real ed25519 key, e.g. a gateway key.
pub fn key_account(public: &sp_core::ed25519::Public) -> AccountId {
	MultiSigner::from(*public).into_account()
}

/// Checks that `signature` by `signer` covers `payload`.
pub fn verifies(payload: &[u8], signature: &MultiSignature, signer: &AccountId) -> bool {
	signature.verify(payload, signer)
}
