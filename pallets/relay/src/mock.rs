//! A runtime with system, balances, the real escrow and the relay pallet; routing, re-execution
//! and operators' keys are stand-ins that behave like the gateway and operator staking. Clients
//! sign tickets with real sr25519 account keys, operators with real ed25519 gateway keys.

use crate as pallet_relay;
pub use baton_primitives::testing::RecordOffences;
pub use baton_primitives::testing::{account, gateway_pair};
use baton_primitives::{
	testing::key_account, ApiId, CallPrice, Checkpoint, GatewayKey, GatewayKeys, HandoverLog,
	HandoverReason, HandoverView, Outcome, ReputationSink, RequestId, Rerun, ResultStatus,
	SessionId, SessionRouting,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::cell::RefCell;
use frame_support::BoundedVec;
use frame_support::{parameter_types, traits::ConstU32};
use sp_core::Pair;
use sp_runtime::{
	traits::IdentifyAccount, AccountId32, BuildStorage, DispatchError, MultiSignature, MultiSigner,
};
use std::collections::BTreeMap;

pub type AccountId = AccountId32;
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Escrow: pallet_escrow,
		Relay: pallet_relay,
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

impl pallet_escrow::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// The API the stand-in router knows, its price and protocol fee per call.
pub const API: ApiId = 0;
pub const PRICE: Balance = 10;
pub const FEE: Balance = 1;
/// Operators are 10, 11, 12 and 13; the router ranks them in that order.
pub const OPERATORS: [u8; 4] = [10, 11, 12, 13];
pub const TREASURY: u8 = 9;
pub const FUNDS: Balance = 1_000_000;
/// API 0's upstream timeout.
pub const TIMEOUT_MS: u32 = 2_000;
/// Handovers the stand-in log keeps per subject.
pub const MAX_HANDOVERS: u32 = 4;

thread_local! {
	/// Sessions each operator is counted for, as the gateway counts them against capacity.
	pub static SESSION_LOAD: RefCell<BTreeMap<AccountId, u32>> = const { RefCell::new(BTreeMap::new()) };
	/// Whether the stand-in gateway has API 0 paused.
	pub static PAUSED: RefCell<bool> = const { RefCell::new(false) };
	/// What the stand-in reputation took: (operator, API, outcome), oldest first.
	pub static OUTCOMES: RefCell<Vec<(AccountId, ApiId, Outcome)>> =
		const { RefCell::new(Vec::new()) };
	/// The re-executions the stand-in gateway took, oldest first; a request's id is its index.
	pub static RERUNS: RefCell<Vec<Rerunning>> = const { RefCell::new(Vec::new()) };
}

/// Errors of the stand-in router, as the gateway names them.
pub const UNKNOWN_API: DispatchError = DispatchError::Other("UnknownApi");
pub const API_PAUSED: DispatchError = DispatchError::Other("ApiPaused");
pub const NOT_ENOUGH_OPERATORS: DispatchError = DispatchError::Other("NotEnoughOperators");

/// Routes every session of API 0 to the first operators of `OPERATORS`.
pub struct Router;
impl SessionRouting<AccountId, Balance> for Router {
	fn call_price(api_id: ApiId) -> Result<CallPrice<Balance>, DispatchError> {
		match api_id {
			API if PAUSED.with(|p| *p.borrow()) => Err(API_PAUSED),
			API => Ok(CallPrice { operator: PRICE, protocol_fee: FEE }),
			_ => Err(UNKNOWN_API),
		}
	}

	fn route_session(
		_api_id: ApiId,
		_subject: &[u8],
		count: u32,
	) -> Result<Vec<AccountId>, DispatchError> {
		if count as usize > OPERATORS.len() {
			return Err(NOT_ENOUGH_OPERATORS);
		}
		let chosen: Vec<_> = OPERATORS.iter().take(count as usize).map(|n| account(*n)).collect();
		SESSION_LOAD.with(|load| {
			for who in &chosen {
				*load.borrow_mut().entry(who.clone()).or_default() += 1;
			}
		});
		Ok(chosen)
	}

	fn timeout_ms(api_id: ApiId) -> Option<u32> {
		(api_id == API).then_some(TIMEOUT_MS)
	}

	fn release_session(operator: &AccountId) {
		SESSION_LOAD.with(|load| {
			let mut load = load.borrow_mut();
			let count = load.get_mut(operator).expect("released only what it counted");
			*count -= 1;
			if *count == 0 {
				load.remove(operator);
			}
		});
	}
}

/// A relayed call as the stand-in gateway takes it: content bytes, hashed as they are, and the
/// most the challenger pays.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	scale_info::TypeInfo,
	Clone,
	PartialEq,
	Eq,
	Debug,
)]
pub struct TestCall {
	pub content: BoundedVec<u8, ConstU32<32>>,
	pub max_fee: Balance,
	/// Whether it only reads, as a GET does.
	pub safe: bool,
}

/// A reading call of content `content`, for a fee of at most `RERUN_FEE`.
pub fn test_call(content: &[u8]) -> TestCall {
	TestCall { content: content.to_vec().try_into().unwrap(), max_fee: RERUN_FEE, safe: true }
}

/// Blocks after its answer in which a receipt may be challenged.
pub const CHALLENGE_WINDOW: u32 = 3;

/// The fewest operators a challenge's re-execution has.
pub const MIN_CHALLENGE_REDUNDANCY: u32 = 3;

/// What a re-execution costs at the stand-in gateway.
pub const RERUN_FEE: Balance = 33;
pub const FEE_ABOVE_MAX: DispatchError = DispatchError::Other("FeeAboveMax");

/// A re-execution the stand-in gateway took: (challenger, API, call, operator excluded, the
/// answer's key).
pub type Rerunning = (AccountId, ApiId, TestCall, AccountId, [u8; 32]);

/// The key the stand-in gateway compares an answer by: its status and body, nothing ignored.
pub fn answer_key(status: &ResultStatus, body: &[u8]) -> [u8; 32] {
	sp_io::hashing::blake2_256(&(status, body).encode())
}

/// Records re-executions as the gateway would submit them, refusing what it would refuse of a
/// paused or unknown API, or a fee below its price; it holds nothing.
pub struct Reruns;
impl Rerun<AccountId, Balance> for Reruns {
	type Call = TestCall;

	fn relay_request_hash(call: &TestCall) -> [u8; 32] {
		sp_io::hashing::blake2_256(&call.content)
	}

	fn is_safe(call: &TestCall) -> bool {
		call.safe
	}

	fn rerun(
		client: &AccountId,
		api_id: ApiId,
		call: TestCall,
		excluded: &AccountId,
		min_redundancy: u32,
		status: &ResultStatus,
		body: &[u8],
	) -> Result<(RequestId, [u8; 32]), DispatchError> {
		Router::call_price(api_id)?;
		if call.max_fee < RERUN_FEE {
			return Err(FEE_ABOVE_MAX);
		}
		assert_eq!(min_redundancy, MIN_CHALLENGE_REDUNDANCY, "the pallet passes its constant");
		let key = answer_key(status, body);
		let id = RERUNS.with(|reruns| {
			let mut reruns = reruns.borrow_mut();
			reruns.push((client.clone(), api_id, call, excluded.clone(), key));
			reruns.len() as RequestId - 1
		});
		Ok((id, key))
	}
}

/// The gateway keys of `OPERATORS`: operator `n`'s is `gateway_pair(n)`.
pub struct Operators;
impl GatewayKeys<AccountId> for Operators {
	fn gateway_key(who: &AccountId) -> Option<GatewayKey> {
		OPERATORS.into_iter().find(|n| &account(*n) == who).map(key)
	}
	fn operator_of(gateway_key: &GatewayKey) -> Option<AccountId> {
		OPERATORS.into_iter().find(|n| &key(*n) == gateway_key).map(account)
	}
	fn signer_of(gateway_key: &GatewayKey) -> AccountId {
		key_account(gateway_key)
	}
	fn operator_of_signer(signer: &AccountId) -> Option<(AccountId, GatewayKey)> {
		OPERATORS
			.into_iter()
			.find(|n| &key_account(&key(*n)) == signer)
			.map(|n| (account(n), key(n)))
	}
}

/// A handover log that keeps its records in storage (so that benchmarks' rolled-back steps
/// roll it back too), at most `MAX_HANDOVERS` per subject.
pub struct Handovers;
impl HandoverLog<AccountId, u32> for Handovers {
	fn record(
		subject: RequestId,
		from: &AccountId,
		to: &AccountId,
		reason: HandoverReason,
		_checkpoint: Option<Checkpoint>,
	) -> Result<u32, DispatchError> {
		let mut log = handovers(subject);
		if log.len() as u32 >= MAX_HANDOVERS {
			return Err(DispatchError::Other("TooManyHandovers"));
		}
		log.push((from.clone(), to.clone(), reason));
		frame_support::storage::unhashed::put(&handover_key(subject), &log);
		Ok(log.len() as u32 - 1)
	}
	fn history(subject: RequestId) -> Vec<HandoverView<AccountId, u32>> {
		handovers(subject)
			.into_iter()
			.map(|(from, to, reason)| HandoverView { from, to, reason, block: 0, checkpoint: None })
			.collect()
	}
	fn has_room(subject: RequestId) -> bool {
		(handovers(subject).len() as u32) < MAX_HANDOVERS
	}
	fn forget(subject: RequestId) {
		frame_support::storage::unhashed::kill(&handover_key(subject));
	}
}

fn handover_key(subject: RequestId) -> Vec<u8> {
	codec::Encode::encode(&(b"mock/handovers", subject))
}

/// The stand-in log's records for `subject`: (from, to, reason), oldest first.
pub fn handovers(subject: RequestId) -> Vec<(AccountId, AccountId, HandoverReason)> {
	frame_support::storage::unhashed::get(&handover_key(subject)).unwrap_or_default()
}

/// A reputation that keeps the outcomes it takes in `OUTCOMES`.
pub struct Reputation;
impl ReputationSink<AccountId> for Reputation {
	fn record(who: &AccountId, api: ApiId, outcome: Outcome) {
		OUTCOMES.with(|outcomes| outcomes.borrow_mut().push((who.clone(), api, outcome)));
	}
}

parameter_types! {
	pub TreasuryAccount: AccountId = account(TREASURY);
}

impl pallet_relay::Config for Test {
	type Currency = Balances;
	type Escrow = Escrow;
	type Router = Router;
	type Operators = Operators;
	type Handovers = Handovers;
	type Reputation = Reputation;
	type Offences = RecordOffences;
	type Reruns = Reruns;
	type TicketSignature = MultiSignature;
	type AuthorityId = baton_primitives::crypto::GatewayAuthId;
	type Treasury = TreasuryAccount;
	type MaxOperators = ConstU32<3>;
	type MinSessionBlocks = ConstU32<2>;
	type MaxSessionBlocks = ConstU32<100>;
	type ClaimWindow = ConstU32<5>;
	type MaxReportHandovers = ConstU32<MAX_HANDOVERS>;
	type MinChallengeRedundancy = ConstU32<MIN_CHALLENGE_REDUNDANCY>;
	type MaxResponseLen = ConstU32<256>;
	type ChallengeWindow = ConstU32<CHALLENGE_WINDOW>;
	type MaxTasksPerBlock = ConstU32<2>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkClients;
}

/// The benchmarks' API and clients: API 0 of the stand-in router, clients `100 + i`.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkClients;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId, MultiSignature, TestCall> for BenchmarkClients {
	fn busiest_api() -> ApiId {
		API
	}
	fn client(i: u32) -> AccountId {
		use frame_support::traits::fungible::Mutate;
		let who = client(100 + i as u8);
		Balances::set_balance(&who, FUNDS);
		who
	}
	fn sign(who: &AccountId, message: &[u8]) -> MultiSignature {
		let n = (0..=u8::MAX).find(|n| &client(*n) == who).expect("a client of the mock");
		MultiSignature::Sr25519(client_pair(n).sign(message))
	}
	fn relayed_call() -> TestCall {
		test_call(&[7; 32])
	}
}

/// Operator `n`'s gateway key.
pub fn key(n: u8) -> GatewayKey {
	gateway_pair(n).public().0
}

/// The origin of a transaction signed by operator `n`'s gateway key.
pub fn signed_by_key(n: u8) -> RuntimeOrigin {
	RuntimeOrigin::signed(key_account(&key(n)))
}

/// Operator `n`'s receipt of `response` to call `sequence` of session `session_id`.
pub fn receipt(
	operator: u8,
	session_id: SessionId,
	sequence: u64,
	response: &[u8],
) -> baton_primitives::SignedRelayReceipt {
	sign_receipt(
		operator,
		baton_primitives::RelayReceipt {
			session_id,
			sequence,
			request_hash: [sequence as u8; 32],
			response_hash: sp_io::hashing::blake2_256(response),
			status: baton_primitives::ResultStatus::Response { code: 200 },
			answered_at: System::block_number(),
		},
	)
}

/// `receipt`, signed by operator `operator`'s gateway key on the mock's chain.
pub fn sign_receipt(
	operator: u8,
	receipt: baton_primitives::RelayReceipt,
) -> baton_primitives::SignedRelayReceipt {
	let signature = gateway_pair(operator)
		.sign(&receipt.message(&baton_primitives::genesis_hash::<Test>()))
		.0;
	baton_primitives::SignedRelayReceipt { receipt, signature }
}

/// Operator `operator`'s receipt of `body` with `status` for `call` as call `sequence` of
/// session `session_id`, answered in the current block, with the body: the evidence of a
/// challenge.
pub fn answered(
	operator: u8,
	session_id: SessionId,
	sequence: u64,
	call: &TestCall,
	status: ResultStatus,
	body: &[u8],
) -> crate::AnsweredReceiptOf<Test> {
	let receipt = baton_primitives::RelayReceipt {
		session_id,
		sequence,
		request_hash: Reruns::relay_request_hash(call),
		response_hash: sp_io::hashing::blake2_256(body),
		status,
		answered_at: System::block_number(),
	};
	crate::AnsweredReceipt {
		signed: sign_receipt(operator, receipt),
		body: body.to_vec().try_into().unwrap(),
	}
}

/// The re-executions the stand-in gateway took.
pub fn reruns() -> Vec<Rerunning> {
	RERUNS.with(|reruns| reruns.borrow().clone())
}

/// Client `n`'s account key pair (sr25519).
pub fn client_pair(n: u8) -> sp_core::sr25519::Pair {
	sp_core::sr25519::Pair::from_seed(&[n; 32])
}

/// Client `n`'s account.
pub fn client(n: u8) -> AccountId {
	MultiSigner::from(client_pair(n).public()).into_account()
}

/// The client of most tests, and a poor one.
pub const CLIENT: u8 = 1;
pub const POOR: u8 = 2;

/// Client `by`'s voucher for `calls` calls costing `amount` by operator `operator` in session
/// `session_id`, as the ticket of call `sequence`.
pub fn voucher(
	by: u8,
	session_id: SessionId,
	operator: u8,
	sequence: u64,
	calls: u64,
	amount: Balance,
) -> crate::VoucherOf<Test> {
	let request_hash = sp_io::hashing::blake2_256(&sequence.to_le_bytes());
	let message = baton_primitives::ticket_message(
		&baton_primitives::genesis_hash::<Test>(),
		session_id,
		sequence,
		&account(operator),
		&request_hash,
		calls,
		&amount,
	);
	crate::Voucher {
		sequence,
		request_hash,
		calls,
		amount,
		signature: MultiSignature::Sr25519(client_pair(by).sign(&message)),
	}
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances = vec![(client(CLIENT), FUNDS), (client(POOR), 100), (account(TREASURY), 1)];
	balances.extend(OPERATORS.iter().map(|n| (account(*n), 1)));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	SESSION_LOAD.with(|load| load.borrow_mut().clear());
	PAUSED.with(|p| *p.borrow_mut() = false);
	OUTCOMES.with(|outcomes| outcomes.borrow_mut().clear());
	RERUNS.with(|reruns| reruns.borrow_mut().clear());
	RecordOffences::clear();
	let mut ext =
		baton_primitives::testing::ext_at_block_one::<Test, AllPalletsWithSystem>(storage);
	// Operators' gateway keys, which the benchmarks sign receipts with.
	ext.register_extension(baton_primitives::testing::gateway_keystore_ext(&OPERATORS));
	ext
}

baton_primitives::impl_test_runner!(
	Test,
	invariants: [Relay, Escrow],
	then: session_load_counted,
);

/// Checks that the stand-in router counts each operator for exactly its open sessions.
fn session_load_counted() {
	let mut open = BTreeMap::<AccountId, u32>::new();
	for (_, session) in crate::Sessions::<Test>::iter() {
		if session.status == crate::SessionStatus::Open {
			for operator in session.operators {
				*open.entry(operator.operator).or_default() += 1;
			}
		}
	}
	assert_eq!(SESSION_LOAD.with(|load| load.borrow().clone()), open, "session load");
}
