//! A runtime with the real neighbours of the gateway — balances, operator staking, reputation
//! and escrow — and a slashing stand-in that records offences. Operators sign with real
//! ed25519 gateway keys.

use crate as pallet_gateway;
use crate::{ApiSpec, HttpMethod, Report};
use baton_primitives::{
	egress::{EgressRequest, EgressResponse, Fetch},
	receipt_message, GatewayKey, OffenceError, OffenceKind, OffenceSubject, PendingSlash,
	ReportOffence, RequestId, ResultStatus,
};
use core::cell::RefCell;
use frame_support::{
	assert_ok, derive_impl, parameter_types,
	traits::{ConstU32, ConstU64, Hooks, Randomness},
};
use frame_system::EnsureRoot;
use pallet_operator_staking::{Profile, StakingParams};
use sp_core::{ConstU128, Pair};
use sp_runtime::{
	traits::{Convert, IdentifyAccount},
	AccountId32, BuildStorage, MultiSigner, Perbill,
};

pub type AccountId = AccountId32;
pub type Balance = u128;
type Block = frame_system::mocking::MockBlockU32<Test>;

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
	/// The beneficiary of each offence in `OFFENCES`.
	pub static BENEFICIARIES: RefCell<Vec<Option<AccountId>>> = const { RefCell::new(vec![]) };
}

/// Records offences instead of slashing; each (kind, subject, offender) once, as slashing does.
pub struct RecordOffences;
impl ReportOffence<AccountId> for RecordOffences {
	fn report_offence(
		kind: OffenceKind,
		subject: OffenceSubject,
		offender: &AccountId,
		beneficiary: Option<AccountId>,
	) -> Result<(), OffenceError> {
		let offence = (kind, subject, offender.clone());
		if OFFENCES.with(|o| o.borrow().contains(&offence)) {
			return Err(OffenceError::Duplicate);
		}
		OFFENCES.with(|o| o.borrow_mut().push(offence));
		BENEFICIARIES.with(|b| b.borrow_mut().push(beneficiary));
		Ok(())
	}
}

/// Offences are only recorded here, so no slash is ever pending.
impl PendingSlash<AccountId> for RecordOffences {
	fn has_pending_slash(_who: &AccountId) -> bool {
		false
	}
}

/// The offences recorded so far, as (kind, offender).
pub fn offences() -> Vec<(OffenceKind, AccountId)> {
	OFFENCES.with(|o| o.borrow().iter().map(|(kind, _, who)| (*kind, who.clone())).collect())
}

/// The offences recorded so far, as (kind, offender, beneficiary).
pub fn offences_with_beneficiaries() -> Vec<(OffenceKind, AccountId, Option<AccountId>)> {
	offences()
		.into_iter()
		.zip(BENEFICIARIES.with(|b| b.borrow().clone()))
		.map(|((kind, who), beneficiary)| (kind, who, beneficiary))
		.collect()
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
	type MaxOperators = ConstU32<80>;
	type MaxUnlockingChunks = ConstU32<2>;
	type MaxEndpointLen = ConstU32<32>;
	type MaxApis = ConstU32<3>;
	type MaxHeartbeatChecks = ConstU32<4>;
	type WeightInfo = ();
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
	type MaxExecutionsPerBlock = ConstU32<4>;
	type MaxReportsPerCall = ConstU32<3>;
	type MaxRequestsPerCall = ConstU32<4>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockOperators;
}

impl pallet_handover::Config for Test {
	type Operators = OperatorStaking;
	type Requests = Gateway;
	type AuthorityId = baton_primitives::crypto::GatewayAuthId;
	type MaxHandovers = ConstU32<2>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockRequests;
}

/// A request for the handover pallet's benchmarks, made through this runtime's gateway.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockRequests;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_handover::BenchmarkHelper<AccountId> for MockRequests {
	fn assigned_request() -> (RequestId, AccountId, GatewayKey) {
		register_api();
		for n in [OP, OP + 1] {
			let seed = format!("0x{}", sp_core::hexdisplay::HexDisplay::from(&[n; 32]));
			sp_io::crypto::ed25519_generate(
				baton_primitives::GATEWAY_KEY_TYPE,
				Some(seed.into_bytes()),
			);
			bond_operator(n, 5_000);
		}
		let id = submit(1);
		let assigned = crate::Requests::<Test>::get(id).unwrap().assigned[0].clone();
		let n = [OP, OP + 1].into_iter().find(|n| account(*n) == assigned).unwrap();
		(id, key_account(n), key(n))
	}
}

/// Operators for the benchmark tests, bonded through operator staking.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockOperators;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockOperators {
	fn operator(who: &AccountId, key: GatewayKey, api: baton_primitives::ApiId) {
		use frame_support::traits::fungible::Mutate;
		let _ = Balances::mint_into(who, 100_000);
		let mut profile = profile(1_000);
		profile.apis = vec![api].try_into().unwrap();
		let proof = OperatorStaking::keystore_key_proof(who, &key);
		assert_ok!(OperatorStaking::bond(
			RuntimeOrigin::signed(who.clone()),
			10_000,
			key,
			profile,
			proof
		));
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

/// An account from a byte.
pub fn account(n: u8) -> AccountId {
	AccountId32::new([n; 32])
}

/// Operator `n`'s gateway key pair.
pub fn pair(n: u8) -> sp_core::ed25519::Pair {
	sp_core::ed25519::Pair::from_seed(&[n; 32])
}

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
	}
}

/// Registers `spec()` as API 0.
pub fn register_api() {
	assert_ok!(Gateway::register_api(RuntimeOrigin::signed(account(PUBLISHER)), spec()));
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
	OFFENCES.with(|o| o.borrow_mut().clear());
	BENEFICIARIES.with(|b| b.borrow_mut().clear());
	let mut ext = sp_io::TestExternalities::new(storage);
	// Benchmarks sign receipts with keys they make in a keystore.
	ext.register_extension(sp_keystore::KeystoreExt(std::sync::Arc::new(
		sp_keystore::testing::MemoryKeystore::new(),
	)));
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Checks every pallet's invariants.
pub fn try_state() {
	OperatorStaking::do_try_state().expect("operator-staking invariants hold");
	Reputation::do_try_state().expect("reputation invariants hold");
	Escrow::do_try_state().expect("escrow invariants hold");
	Gateway::do_try_state().expect("gateway invariants hold");
	Handover::do_try_state().expect("handover invariants hold");
}

/// Runs `test` on the genesis above, then checks the invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		try_state();
	});
}

/// Runs the hooks of every block until `n` is the current block.
pub fn run_to_block(n: u32) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		OperatorStaking::on_initialize(next);
		Gateway::on_initialize(next);
	}
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
	use sp_core::offchain::{testing, OffchainDbExt, OffchainWorkerExt, TransactionPoolExt};
	use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
	let mut ext = new_test_ext();
	let keystore = MemoryKeystore::new();
	let public = keystore
		.ed25519_generate_new(
			baton_primitives::GATEWAY_KEY_TYPE,
			Some(&format!("0x{}", hex(&[OP; 32]))),
		)
		.unwrap();
	assert_eq!(public, pair(OP).public());
	// A second key, bound only when a test bonds operator OP + 1.
	keystore
		.ed25519_generate_new(
			baton_primitives::GATEWAY_KEY_TYPE,
			Some(&format!("0x{}", hex(&[OP + 1; 32]))),
		)
		.unwrap();
	let (offchain, _) = testing::TestOffchainExt::new();
	let (pool, pool_state) = testing::TestTransactionPoolExt::new();
	let upstream = Upstream::default();
	ext.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.register_extension(OffchainWorkerExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	ext.register_extension(KeystoreExt(std::sync::Arc::new(keystore)));
	ext.register_extension(baton_primitives::egress::EgressExt::new(upstream.clone()));
	ext.execute_with(|| {
		register_api();
		bond_operator(OP, 5_000);
		test(&upstream, &|| pool_state.read().transactions.clone());
		try_state();
	});
	assert!(upstream.expected.lock().is_empty(), "expected upstream calls not made");
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}
