//! A runtime with system and the handover pallet; operators and requests are stand-ins that
//! behave like operator staking and the gateway.

use crate as pallet_handover;
pub use baton_primitives::testing::{account, gateway_pair as pair};
use baton_primitives::{
	Checkpoint, GatewayKey, GatewayKeys, HandoverLog, HandoverReason, OpenAssignment, Reassign,
	RequestId,
};
use core::cell::RefCell;
use frame_support::traits::ConstU32;
use sp_core::Pair;
use sp_runtime::{AccountId32, BuildStorage, DispatchError};

pub type AccountId = AccountId32;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Handover: pallet_handover,
	}
);

baton_primitives::impl_test_system!(
	Test,
	block: frame_system::mocking::MockBlockU32<Test>,
	account: AccountId
);
baton_primitives::impl_test_offchain_signing!(Test, RuntimeCall);

/// The account operator `n`'s gateway key signs as.
pub fn key_account(n: u8) -> AccountId {
	baton_primitives::testing::key_account(&pair(n).public().0)
}

pub const OPERATOR: u8 = 1;
pub const SUCCESSOR: u8 = 2;
pub const STRANGER: u8 = 3;

/// Operators 1 to 3, whose keys are `pair(n)`.
pub struct Operators;
impl GatewayKeys<AccountId> for Operators {
	fn gateway_key(who: &AccountId) -> Option<GatewayKey> {
		(1..=3).find(|n| &account(*n) == who).map(|n| pair(n).public().0)
	}
	fn operator_of(key: &GatewayKey) -> Option<AccountId> {
		(1..=3).find(|n| &pair(*n).public().0 == key).map(account)
	}
	fn signer_of(key: &GatewayKey) -> AccountId {
		baton_primitives::testing::key_account(key)
	}
	fn operator_of_signer(signer: &AccountId) -> Option<(AccountId, GatewayKey)> {
		(1..=3)
			.find(|n| &key_account(*n) == signer)
			.map(|n| (account(n), pair(n).public().0))
	}
}

thread_local! {
	/// Open requests: id → (assigned operator, backups left).
	pub static REQUESTS: RefCell<Vec<(RequestId, AccountId, Vec<AccountId>)>> = const { RefCell::new(vec![]) };
	/// Reasons the stand-in gateway was told.
	pub static REASSIGNED: RefCell<Vec<(RequestId, AccountId, HandoverReason)>> = const { RefCell::new(vec![]) };
}

/// Opens request `id` assigned to `OPERATOR` with `backups`.
pub fn open_request(id: RequestId, backups: Vec<u8>) {
	REQUESTS.with(|r| {
		r.borrow_mut()
			.push((id, account(OPERATOR), backups.into_iter().map(account).collect()))
	});
}

/// Errors of the stand-in gateway, as the gateway names them.
pub const NOT_ASSIGNED: DispatchError = DispatchError::Other("NotAssigned");
pub const NO_BACKUP_LEFT: DispatchError = DispatchError::Other("NoBackupLeft");

/// Moves an assignment to the first backup and logs it, as the gateway does.
pub struct Requests;
impl Reassign<AccountId> for Requests {
	fn reassign(
		request_id: RequestId,
		from: &AccountId,
		reason: HandoverReason,
		checkpoint: Option<Checkpoint>,
	) -> Result<AccountId, DispatchError> {
		let to = REQUESTS.with(|r| {
			let mut requests = r.borrow_mut();
			let request = requests
				.iter_mut()
				.find(|(id, assigned, _)| *id == request_id && assigned == from)
				.ok_or(NOT_ASSIGNED)?;
			if request.2.is_empty() {
				return Err(NO_BACKUP_LEFT);
			}
			let to = request.2.remove(0);
			request.1 = to.clone();
			Ok(to)
		})?;
		<Handover as HandoverLog<_, _>>::record(request_id, from, &to, reason, checkpoint)?;
		REASSIGNED.with(|r| r.borrow_mut().push((request_id, from.clone(), reason)));
		Ok(to)
	}

	fn open_assignments(operator: &AccountId, max: u32) -> Vec<OpenAssignment> {
		REQUESTS.with(|r| {
			r.borrow()
				.iter()
				.filter(|(_, assigned, _)| assigned == operator)
				.take(max as usize)
				.map(|(id, _, _)| OpenAssignment {
					request_id: *id,
					request_hash: request_hash(*id),
					api_id: API,
					timeout_ms: 2_000,
				})
				.collect()
		})
	}

	fn is_assigned(operator: &AccountId, request_id: RequestId) -> bool {
		REQUESTS.with(|r| {
			r.borrow()
				.iter()
				.any(|(id, assigned, _)| *id == request_id && assigned == operator)
		})
	}

	fn request_hash(request_id: RequestId) -> Option<[u8; 32]> {
		REQUESTS
			.with(|r| r.borrow().iter().any(|(id, _, _)| *id == request_id))
			.then(|| request_hash(request_id))
	}
}

impl pallet_handover::Config for Test {
	type Operators = Operators;
	type Requests = Requests;
	type AuthorityId = baton_primitives::crypto::GatewayAuthId;
	type MaxHandovers = ConstU32<2>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockRequests;
}

/// Requests for the benchmark tests.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockRequests;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockRequests {
	fn assigned_request() -> (RequestId, AccountId, GatewayKey) {
		let key = sp_io::crypto::ed25519_generate(
			baton_primitives::GATEWAY_KEY_TYPE,
			Some(baton_primitives::testing::gateway_suri(OPERATOR).into_bytes()),
		);
		assert_eq!(key, pair(OPERATOR).public());
		open_request(0, vec![SUCCESSOR]);
		(0, key_account(OPERATOR), key.0)
	}
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	REQUESTS.with(|r| r.borrow_mut().clear());
	REASSIGNED.with(|r| r.borrow_mut().clear());
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext =
		baton_primitives::testing::ext_at_block_one::<Test, AllPalletsWithSystem>(storage);
	ext.register_extension(baton_primitives::testing::keystore_ext());
	ext
}

baton_primitives::impl_test_runner!(Test, invariants: [Handover]);

/// The API of every request of the stand-in gateway.
pub const API: baton_primitives::ApiId = 0;

/// The content hash of the stand-in gateway's request `id`.
pub fn request_hash(id: RequestId) -> [u8; 32] {
	sp_io::hashing::blake2_256(&codec::Encode::encode(&(b"request", id)))
}

/// A checkpoint of `request_id` by operator `n`, signed with its gateway key.
pub fn checkpoint(n: u8, request_id: RequestId, completed_steps: u32) -> Checkpoint {
	let mut checkpoint = Checkpoint {
		completed_steps,
		state_hash: sp_io::hashing::blake2_256(b"partial"),
		request_hash: request_hash(request_id),
		signature: [0; 64],
	};
	let genesis = baton_primitives::genesis_hash::<Test>();
	let message =
		baton_primitives::checkpoint_message(&genesis, request_id, &checkpoint, &account(n));
	checkpoint.signature = pair(n).sign(&message).0;
	checkpoint
}
