//! A runtime with the real neighbours of the gateway — balances, operator staking, reputation
//! and escrow — and a slashing stand-in that records offences. Operators sign with real
//! ed25519 gateway keys.

use crate as pallet_gateway;
use crate::{ApiSpec, HttpMethod, Report};
pub use baton_primitives::testing::{account, gateway_pair as pair, KeyIsAccount, RecordOffences};
use baton_primitives::{
	egress::{EgressRequest, EgressResponse, Fetch},
	receipt_message,
	testing::gateway_suri,
	GatewayKey, OffenceKind, RequestId, ResultStatus,
};
use frame_support::{
	assert_ok, derive_impl, parameter_types,
	traits::{ConstU32, ConstU64, Randomness},
};
use frame_system::EnsureRoot;
use pallet_operator_staking::{Profile, StakingParams};
use sp_core::{ConstU128, Pair};
use sp_runtime::{traits::Convert, AccountId32, BuildStorage, Perbill};

pub type AccountId = AccountId32;
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		OperatorStaking: pallet_operator_staking,
		Reputation: pallet_reputation,
		Escrow: pallet_escrow,
		Gateway: pallet_gateway,
		Handover: pallet_handover,
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

/// The offences recorded so far, as (kind, offender).
pub fn offences() -> Vec<(OffenceKind, AccountId)> {
	RecordOffences::all().into_iter().map(|(kind, _, who, _)| (kind, who)).collect()
}

/// The offences recorded so far, as (kind, offender, beneficiary).
pub fn offences_with_beneficiaries() -> Vec<(OffenceKind, AccountId, Option<AccountId>)> {
	RecordOffences::all()
		.into_iter()
		.map(|(kind, _, who, to)| (kind, who, to))
		.collect()
}

/// A settlement the gateway announced: (request, its majority's result key, what the client
/// paid).
pub type Settled = (RequestId, Option<[u8; 32]>, Balance);

std::thread_local! {
	static SETTLED: core::cell::RefCell<Vec<Settled>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// Records the settlements the gateway announces, as the relay pallet hears of its
/// challenges'.
pub struct RecordSettled;
impl baton_primitives::OnSettled<Balance> for RecordSettled {
	fn on_settled(request_id: RequestId, majority: Option<[u8; 32]>, paid: Balance) {
		SETTLED.with(|settled| settled.borrow_mut().push((request_id, majority, paid)));
	}

	fn weight() -> frame_support::weights::Weight {
		frame_support::weights::Weight::zero()
	}
}

/// The settlements announced so far.
pub fn settled() -> Vec<Settled> {
	SETTLED.with(|settled| settled.borrow().clone())
}

#[derive_impl(pallet_operator_staking::config_preludes::TestDefaultConfig)]
impl pallet_operator_staking::Config for Test {
	type Currency = Balances;
	// Routing's tests bond 64 operators that may not be given work before those that may.
	type MaxOperators = ConstU32<80>;
}

parameter_types! {
	pub const ReputationDecay: Perbill = Perbill::from_percent(98);
	pub const LatencyWeight: Perbill = Perbill::from_percent(20);
	pub const ProtocolFee: Perbill = Perbill::from_percent(10);
	pub TreasuryAccount: AccountId = account(TREASURY);
}

impl pallet_reputation::Config for Test {
	type Decay = ReputationDecay;
	type LatencyWeight = LatencyWeight;
	type MaxApiRecords = ConstU32<4>;
	type AdminOrigin = EnsureRoot<AccountId>;
	type WeightInfo = ();
}

impl pallet_escrow::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Randomness from the subject alone: routing depends on the request id only.
pub struct SubjectRandomness;
impl Randomness<sp_core::H256, u32> for SubjectRandomness {
	fn random(subject: &[u8]) -> (sp_core::H256, u32) {
		(sp_io::hashing::blake2_256(subject).into(), System::block_number())
	}
}

impl pallet_gateway::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Escrow = Escrow;
	type Operators = OperatorStaking;
	type Reputation = Reputation;
	type Offences = RecordOffences;
	type Handovers = Handover;
	type OnSettled = RecordSettled;
	type Randomness = SubjectRandomness;
	type AuthorityId = baton_primitives::crypto::GatewayAuthId;
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type Treasury = TreasuryAccount;
	type ProtocolFee = ProtocolFee;
	type ApiDeposit = ConstU128<API_DEPOSIT>;
	type StakeUnit = ConstU128<1_000>;
	type MaxUrlLen = ConstU32<64>;
	type MaxPathLen = ConstU32<64>;
	type MaxHeaders = ConstU32<4>;
	type MaxHeaderLen = ConstU32<32>;
	type MaxBodyLen = ConstU32<128>;
	type MaxResponseLen = ConstU32<256>;
	type MaxIgnoredFields = ConstU32<2>;
	type MaxRedundancy = ConstU32<3>;
	type MaxBackups = ConstU32<3>;
	type MaxCandidates = ConstU32<16>;
	type MaxTimeoutMs = ConstU32<8_000>;
	type MinDeadline = ConstU32<2>;
	type MaxDeadline = ConstU32<10>;
	type MaxLifetime = ConstU32<16>;
	type HandoverMargin = ConstU32<2>;
	type MillisPerBlock = ConstU64<1_000>;
	type Retention = ConstU32<5>;
	type MaxTasksPerBlock = ConstU32<4>;
	type MaxExpiriesPerBlock = ConstU32<3>;
	type MaxHedgesPerBlock = ConstU32<4>;
	type MaxExecutionsPerBlock = ConstU32<4>;
	type MaxReportsPerCall = ConstU32<3>;
	type MaxRequestsPerCall = ConstU32<4>;
	type MaxSecretHolders = ConstU32<4>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkOperators;
}

impl pallet_handover::Config for Test {
	type Operators = OperatorStaking;
	type Requests = Gateway;
	type AuthorityId = baton_primitives::crypto::GatewayAuthId;
	type MaxHandovers = ConstU32<2>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkOperators;
}

/// What the gateway's and the handover pallet's benchmarks need, as in Baton's runtime:
/// operators bonded through operator staking, and a request assigned through the gateway.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkOperators;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for BenchmarkOperators {
	fn operator(who: &AccountId, key: GatewayKey, api: baton_primitives::ApiId) {
		OperatorStaking::bond_for_benchmarks(who, key, &[api]);
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_handover::BenchmarkHelper<AccountId> for BenchmarkOperators {
	fn assigned_request() -> (RequestId, AccountId, GatewayKey) {
		crate::benchmarking::assigned_request::<Test>()
	}
}

pub const API_DEPOSIT: Balance = 50;
pub const PRICE: Balance = 100;
pub const CLIENT: u8 = 1;
pub const PUBLISHER: u8 = 2;
pub const TREASURY: u8 = 9;
/// Operators are accounts 10, 11, 12, ...
pub const OP: u8 = 10;
pub const FUNDS: Balance = 1_000_000;

/// Operator `n`'s gateway key.
pub fn key(n: u8) -> GatewayKey {
	pair(n).public().0
}

/// The account operator `n`'s gateway key signs as.
pub fn key_account(n: u8) -> AccountId {
	KeyIsAccount::convert(key(n))
}

/// A profile serving API 0.
pub fn profile(capacity: u32) -> pallet_operator_staking::ProfileOf<Test> {
	Profile {
		endpoint: b"https://op.example".to_vec().try_into().unwrap(),
		region: *b"DE",
		capacity,
		apis: vec![0].try_into().unwrap(),
		encryption_key: None,
	}
}

/// Operator `n`'s proof that it holds its gateway key.
pub fn key_proof(n: u8) -> baton_primitives::KeyProof {
	pair(n).sign(&OperatorStaking::key_ownership_message(&account(n))).0
}

/// Bonds operator `n` with `stake`, serving API 0.
pub fn bond_operator(n: u8, stake: Balance) {
	assert_ok!(OperatorStaking::bond(
		RuntimeOrigin::signed(account(n)),
		stake,
		key(n),
		profile(8),
		key_proof(n)
	));
}

/// A valid spec: GET and POST on https://api.example, redundancy 1 by default.
pub fn spec() -> ApiSpec<Test> {
	ApiSpec {
		base_url: b"https://api.example".to_vec().try_into().unwrap(),
		methods: vec![HttpMethod::Get, HttpMethod::Post].try_into().unwrap(),
		price_per_call: PRICE,
		max_response_bytes: 128,
		timeout_ms: 2_000,
		default_redundancy: 1,
		min_reputation: Perbill::zero(),
		ignored_fields: vec![b"ts".to_vec().try_into().unwrap()].try_into().unwrap(),
		confidential_path: false,
	}
}

/// Registers `spec()` as API 0.
pub fn register_api() {
	assert_ok!(Gateway::register_api(RuntimeOrigin::signed(account(PUBLISHER)), spec()));
}

/// Registers the API and bonds operators `OP`, `OP + 1`, … (`operators` of them) serving it.
pub fn setup(operators: u8) {
	register_api();
	for n in 0..operators {
		bond_operator(OP + n, 5_000);
	}
}

/// The operator number of `who`.
pub fn number(who: &AccountId) -> u8 {
	(OP..OP + 8).find(|n| &account(*n) == who).unwrap()
}

/// The client submits `GET /price?coin=dot` with `redundancy`; returns the request id.
pub fn submit(redundancy: u32) -> RequestId {
	submit_as(CLIENT, redundancy)
}

/// Account `client` submits `GET /price?coin=dot` with `redundancy`; returns the request id.
pub fn submit_as(client: u8, redundancy: u32) -> RequestId {
	submit_to(0, client, redundancy)
}

/// Account `client` submits `GET /price?coin=dot` to API `api` with `redundancy`, due in 5
/// blocks; returns the request id.
pub fn submit_to(api: u32, client: u8, redundancy: u32) -> RequestId {
	let id = crate::NextRequestId::<Test>::get();
	assert_ok!(Gateway::submit_request(
		RuntimeOrigin::signed(account(client)),
		api,
		HttpMethod::Get,
		b"/price?coin=dot".to_vec().try_into().unwrap(),
		Default::default(),
		Default::default(),
		redundancy,
		10_000,
		System::block_number() + 5,
	));
	id
}

/// The receipt message of operator `n` for `request_id` (as submitted) with `status` and
/// `response_hash`.
pub fn receipt_of(
	n: u8,
	request_id: RequestId,
	status: &ResultStatus,
	response_hash: &[u8; 32],
) -> Vec<u8> {
	let request_hash = crate::Requests::<Test>::get(request_id)
		.map(|r| r.request_hash)
		.unwrap_or_default();
	let genesis = baton_primitives::genesis_hash::<Test>();
	receipt_message(&genesis, request_id, &request_hash, response_hash, status, &account(n))
}

/// A checkpoint of `request_id` (as submitted) by operator `n` at `steps`, signed with its
/// gateway key.
pub fn checkpoint_of(n: u8, request_id: RequestId, steps: u32) -> baton_primitives::Checkpoint {
	let request_hash = crate::Requests::<Test>::get(request_id)
		.map(|r| r.request_hash)
		.unwrap_or_default();
	let mut checkpoint = baton_primitives::Checkpoint {
		completed_steps: steps,
		state_hash: sp_io::hashing::blake2_256(b""),
		request_hash,
		signature: [0; 64],
	};
	let genesis = baton_primitives::genesis_hash::<Test>();
	let message =
		baton_primitives::checkpoint_message(&genesis, request_id, &checkpoint, &account(n));
	checkpoint.signature = pair(n).sign(&message).0;
	checkpoint
}

/// A report by operator `n` of `body` with `status`, signed with its gateway key.
pub fn report_of(n: u8, request_id: RequestId, status: ResultStatus, body: &[u8]) -> Report<Test> {
	let response_hash = sp_io::hashing::blake2_256(body);
	let message = receipt_of(n, request_id, &status, &response_hash);
	Report {
		status,
		response_hash,
		latency_ms: 120,
		body: body.to_vec().try_into().unwrap(),
		signature: pair(n).sign(&message).0,
		sealed: None,
	}
}

/// Operator `n` reports `body` with status 200 for `request_id`.
pub fn report_ok(
	n: u8,
	request_id: RequestId,
	body: &[u8],
) -> frame_support::dispatch::DispatchResultWithPostInfo {
	Gateway::report_result(
		RuntimeOrigin::signed(key_account(n)),
		request_id,
		report_of(n, request_id, ResultStatus::Response { code: 200 }, body),
	)
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<_> =
		[CLIENT, PUBLISHER, TREASURY].iter().map(|n| (account(*n), FUNDS)).collect();
	balances.extend((OP..OP + 8).map(|n| (account(n), FUNDS)));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_operator_staking::GenesisConfig::<Test> {
		params: StakingParams {
			min_bond: 1_000,
			unbonding_period: 20,
			heartbeat_interval: 1_000,
			max_missed_heartbeats: 3,
			stake_per_slot: 100,
		},
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	RecordOffences::clear();
	SETTLED.with(|settled| settled.borrow_mut().clear());
	let mut ext =
		baton_primitives::testing::ext_at_block_one::<Test, AllPalletsWithSystem>(storage);
	// Benchmarks sign receipts with keys they make in a keystore.
	ext.register_extension(baton_primitives::testing::keystore_ext());
	ext
}

baton_primitives::impl_test_runner!(
	Test,
	invariants: [OperatorStaking, Reputation, Escrow, Gateway, Handover],
);

/// Arms no backups at the end of a grace: requests submitted from now on fail over at their
/// deadline only, as when a grace reaches past it.
pub fn without_hedging() {
	assert_ok!(Gateway::set_backup_grace(RuntimeOrigin::root(), u32::MAX));
}

/// The handover log of `request_id` as (from, to, reason).
pub fn handovers(
	request_id: RequestId,
) -> Vec<(AccountId, AccountId, baton_primitives::HandoverReason)> {
	pallet_handover::History::<Test>::get(request_id)
		.into_iter()
		.map(|r| (r.from, r.to, r.reason))
		.collect()
}

/// The upstream behind the node's egress client: answers the calls a test expects, in any
/// order, with status 200 (or `TooLarge` over the call's size cap, as the real client does);
/// any other call fails the test.
#[derive(Clone, Default)]
pub struct Upstream {
	/// The calls still expected, each with its answer.
	pub expected: std::sync::Arc<parking_lot::Mutex<Vec<(EgressRequest, EgressResponse)>>>,
}

impl Fetch for Upstream {
	fn fetch_all(&self, requests: Vec<EgressRequest>) -> Vec<EgressResponse> {
		let mut expected = self.expected.lock();
		requests
			.into_iter()
			.map(|request| {
				let at = expected.iter().position(|(call, _)| *call == request);
				let (call, response) =
					expected.remove(at.unwrap_or_else(|| panic!("unexpected call {request:?}")));
				if response.body.len() > call.max_response_bytes as usize {
					return EgressResponse::failed(ResultStatus::TooLarge, response.latency_ms);
				}
				response
			})
			.collect()
	}
}

/// The `Idempotency-Key` of request `id` as submitted.
pub fn idempotency(id: u64) -> String {
	baton_primitives::egress::idempotency_key(
		id,
		&crate::Requests::<Test>::get(id).unwrap().request_hash,
	)
}

/// Runs `test` with a keystore holding operator `OP`'s gateway key, offchain storage, an
/// upstream stand-in behind the egress host function whose expected calls `test` sets, and a
/// transaction pool `test` can list.
pub fn with_offchain_worker_state(test: impl FnOnce(&Upstream, &dyn Fn() -> Vec<Vec<u8>>)) {
	let mut ext = new_test_ext();
	// The second key is bound only when a test bonds operator OP + 1.
	let (keys, submitted) = baton_primitives::testing::offchain_worker_ext(
		&mut ext,
		&[&gateway_suri(OP), &gateway_suri(OP + 1)],
	);
	assert_eq!(keys[0], pair(OP).public());
	let upstream = Upstream::default();
	ext.register_extension(baton_primitives::egress::EgressExt::new(upstream.clone()));
	baton_primitives::testing::Checked(ext, try_state).execute_checked(|| {
		register_api();
		bond_operator(OP, 5_000);
		test(&upstream, &submitted);
	});
	assert!(upstream.expected.lock().is_empty(), "expected upstream calls not made");
}
