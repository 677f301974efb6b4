//! A fuzzer of the real runtime, in the manner of srlabs' substrate-runtime-fuzzer: random
//! sequences of Baton's, the balances' and governance's extrinsics, signed by funded accounts
//! and applied through `Executive` block after block, hooks, fees and transaction extensions
//! included. After every block it checks:
//! - total issuance moved only by dust removal, the one burn on this chain a signed call can
//!   cause (Baton mints nothing; fees, slashes and the treasury's burn of 0 move tokens only);
//! - the free and reserved balances of all accounts add up to the total issuance;
//! - every pallet's `try_state`: the SDK's too when built with `try-runtime`, as CI does;
//!
//! and at the end, that no call took more than `MARGIN` times its weight in the fastest of its
//! runs: the fastest, so that a busy machine does not fail it. A panic anywhere fails it.
//!
//! `BATON_FUZZ_SECONDS` (default 10) bounds the run: the regressions and the fixed seed first,
//! then random seeds; a seed that fails is printed, and `BATON_FUZZ_SEED=<n>` runs it alone. A seed that found a bug goes into `REGRESSIONS`.
//! `BATON_FUZZ_MISSES=1` lists the calls refused or failed, by error.
//! `scripts/fuzz.sh` runs it for hours.

mod common;

use std::{
	collections::BTreeMap,
	time::{Duration, Instant},
};

use baton_primitives::{
	receipt_message,
	sealing::{
		encryption_key_message, sealed_response_hash, BoundEncryptionKey, CallEnvelope, Envelope,
		SealTerms, MAX_SEALED_BYTES,
	},
	RequestStatus, ResultStatus,
};
use baton_runtime::{
	currency::{EXISTENTIAL_DEPOSIT, UNIT},
	immortal_tx_extension,
	time::SLOT_DURATION,
	AccountId, Balance, Balances, Executive, Header, OperatorStaking, Runtime, RuntimeCall,
	RuntimeEvent, SignedPayload, System, UncheckedExtrinsic,
};
use codec::Encode;
use frame_support::{
	dispatch::GetDispatchInfo,
	traits::{Bounded, Get, GetCallMetadata},
	weights::Weight,
};
use pallet_gateway::{ApiSpec, HttpMethod, NewRequest, Report, Requests};
use sp_core::{ed25519, Pair, H256};
use sp_keyring::Sr25519Keyring::{self, Alice, Bob, Charlie, Dave, Eve, Ferdie};
use sp_runtime::{
	generic::{Digest, DigestItem},
	traits::{Hash, Header as _},
	BuildStorage, MultiSignature, Perbill,
};

/// Seeds that found a bug, replayed first by every run.
const REGRESSIONS: &[u64] = &[];
/// The seed every run starts its fresh search with, so that CI always covers the same ground.
const FIXED_SEED: u64 = 0xBA70_F022;
/// Blocks of one seed's chain.
const BLOCKS: u32 = 60;
/// How many times its weight a call may take, in its fastest run. Weights are measured in wasm
/// on a database and this runs natively on memory, so a call over them here is far over there.
const MARGIN: f64 = 2.0;

/// SplitMix64: a seed is the whole of a run.
struct Rng(u64);

impl Rng {
	fn next(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}

	fn below(&mut self, n: u64) -> u64 {
		self.next() % n.max(1)
	}

	fn chance(&mut self, percent: u64) -> bool {
		self.below(100) < percent
	}

	fn pick<T: Copy>(&mut self, items: &[T]) -> T {
		items[self.below(items.len() as u64) as usize]
	}

	/// An amount from every magnitude that matters: none, dust around the existential
	/// deposit, fees, stakes, and more than anyone has.
	fn amount(&mut self) -> Balance {
		match self.below(6) {
			0 => 0,
			1 => self.below(3 * EXISTENTIAL_DEPOSIT as u64) as Balance,
			2 => self.below(UNIT as u64) as Balance,
			3 => (1 + self.below(100)) as Balance * UNIT,
			4 => (1 + self.below(5_000)) as Balance * UNIT,
			_ => self.below(u64::MAX) as Balance * UNIT,
		}
	}
}

/// Who signs: a well-known account, or the gateway key of operator `n` (1 to 4).
#[derive(Clone, Copy)]
enum Signer {
	Account(Sr25519Keyring),
	Key(u8),
}

/// The operators the fuzzer may bond, numbered as their gateway keys.
const OPERATORS: [Sr25519Keyring; 4] = [Charlie, Dave, Eve, Ferdie];
const EVERYONE: [Sr25519Keyring; 6] = [Alice, Bob, Charlie, Dave, Eve, Ferdie];
const COUNCIL: [Sr25519Keyring; 3] = [Alice, Bob, Charlie];

fn gateway_pair(n: u8) -> ed25519::Pair {
	ed25519::Pair::from_seed(&[n; 32])
}

impl Signer {
	fn account(self) -> AccountId {
		match self {
			Signer::Account(who) => who.to_account_id(),
			Signer::Key(n) => OperatorStaking::key_account(&gateway_pair(n).public().0),
		}
	}

	fn sign(self, payload: &[u8]) -> MultiSignature {
		match self {
			Signer::Account(who) => who.pair().sign(payload).into(),
			Signer::Key(n) => gateway_pair(n).sign(payload).into(),
		}
	}
}

/// What a run found about one call: its runs, and the lowest ratio of time to weight.
#[derive(Default)]
struct Cost {
	runs: u32,
	succeeded: u32,
	fastest: f64,
}

/// The chain being fuzzed: builds blocks through `Executive` and keeps what the checks need.
struct Chain {
	parent: H256,
	issuance: Balance,
	costs: BTreeMap<String, Cost>,
	/// Extrinsics refused before dispatch or failed in it, by call and reason: what the run
	/// did not get past.
	misses: BTreeMap<String, u32>,
}

impl Chain {
	fn new() -> Self {
		Chain {
			parent: H256::zero(),
			issuance: Balances::total_issuance(),
			costs: BTreeMap::new(),
			misses: BTreeMap::new(),
		}
	}

	/// Starts the next block as an author does: Aura's slot in the digest, then the timestamp.
	fn start_block(&mut self) {
		let number = System::block_number() + 1;
		let slot = sp_consensus_aura::Slot::from(number as u64);
		let digest = Digest {
			logs: vec![DigestItem::PreRuntime(sp_consensus_aura::AURA_ENGINE_ID, slot.encode())],
		};
		let header = Header::new(number, H256::zero(), H256::zero(), self.parent, digest);
		Executive::initialize_block(&header);
		let now = number as u64 * SLOT_DURATION;
		let timestamp = RuntimeCall::Timestamp(pallet_timestamp::Call::set { now });
		Executive::apply_extrinsic(UncheckedExtrinsic::new_bare(timestamp))
			.expect("the timestamp inherent is valid")
			.expect("the timestamp inherent dispatches");
	}

	/// Ends the block and checks the chain's invariants after it.
	fn finish_block(&mut self) {
		let header = Executive::finalize_block();
		self.parent = header.hash();
		let dust: Balance = System::events()
			.into_iter()
			.filter_map(|record| match record.event {
				RuntimeEvent::Balances(pallet_balances::Event::DustLost { amount, .. }) => {
					Some(amount)
				},
				_ => None,
			})
			.sum();
		let issuance = Balances::total_issuance();
		assert_eq!(
			issuance,
			self.issuance - dust,
			"block {}: total issuance moved by more than the dust removed",
			header.number
		);
		self.issuance = issuance;
		let held: Balance = frame_system::Account::<Runtime>::iter()
			.map(|(_, account)| account.data.free + account.data.reserved)
			.sum();
		assert_eq!(held, issuance, "block {}: balances do not add up to issuance", header.number);
		common::check_invariants();
	}

	/// Signs `call` as `signer` with its next nonce and applies it; returns whether it went in.
	/// Refusals (an unpayable fee, a full block) and failed dispatches are expected here.
	fn apply(&mut self, signer: Signer, call: RuntimeCall) -> bool {
		let who = signer.account();
		let extension = immortal_tx_extension(System::account_nonce(&who));
		let payload = SignedPayload::new(call.clone(), extension.clone()).expect("implicit data");
		let signature = payload.using_encoded(|bytes| signer.sign(bytes));
		let name = {
			let metadata = call.get_call_metadata();
			format!("{}.{}", metadata.pallet_name, metadata.function_name)
		};
		let xt = UncheckedExtrinsic::new_signed(call, who.into(), signature, extension);
		let weight = xt.get_dispatch_info().total_weight() + base_extrinsic();
		let started = Instant::now();
		let outcome = Executive::apply_extrinsic(xt);
		let elapsed = started.elapsed();
		let dispatched = match outcome {
			Ok(Ok(_)) => true,
			Ok(Err(failure)) => {
				let error = format!("{name} failed: {failure:?}");
				*self.misses.entry(error).or_default() += 1;
				false
			},
			Err(refusal) => {
				*self.misses.entry(format!("{name} refused: {refusal:?}")).or_default() += 1;
				return false;
			},
		};
		let ratio = elapsed.as_nanos() as f64 * 1_000.0 / weight.ref_time().max(1) as f64;
		let cost = self.costs.entry(name).or_insert(Cost { fastest: f64::MAX, ..Cost::default() });
		cost.runs += 1;
		cost.succeeded += dispatched as u32;
		cost.fastest = cost.fastest.min(ratio);
		dispatched
	}

	fn apply_ok(&mut self, signer: Signer, call: RuntimeCall) {
		assert!(self.apply(signer, call), "a setup call failed");
	}
}

fn base_extrinsic() -> Weight {
	<Runtime as frame_system::Config>::BlockWeights::get()
		.get(frame_support::dispatch::DispatchClass::Normal)
		.base_extrinsic
}

fn spec(rng: &mut Rng) -> ApiSpec<Runtime> {
	let base_url: &[u8] = rng.pick(&[
		&b"https://api.example"[..],
		b"http://127.0.0.1:9944",
		b"https://api.example/",
		b"ftp://x",
		b"",
	]);
	let methods = rng.pick(&[
		&[HttpMethod::Get][..],
		&[HttpMethod::Get, HttpMethod::Post],
		&[HttpMethod::Delete],
		&[],
	]);
	ApiSpec {
		base_url: base_url.to_vec().try_into().unwrap(),
		methods: methods.to_vec().try_into().unwrap(),
		price_per_call: rng.pick(&[0, UNIT / 100, UNIT, 10_000 * UNIT]),
		max_response_bytes: rng.pick(&[0, 64, 1_024, 1 << 20]),
		timeout_ms: rng.pick(&[0, 500, 2_000, 60_000]),
		default_redundancy: rng.below(4) as u32,
		min_reputation: Perbill::from_percent(rng.pick(&[0, 0, 50, 100])),
		ignored_fields: Default::default(),
		confidential_path: rng.below(8) == 0,
	}
}

/// Operator `n`'s profile: random, with no encryption key, its own (bound by its gateway key)
/// or one bound for another operator.
fn profile(rng: &mut Rng, n: u8) -> pallet_operator_staking::ProfileOf<Runtime> {
	let encryption_key = match rng.below(3) {
		0 => None,
		1 => Some(encryption_key(n, n)),
		_ => Some(encryption_key(n, rng.below(4) as u8 + 1)),
	};
	pallet_operator_staking::Profile {
		endpoint: b"https://operator.example".to_vec().try_into().unwrap(),
		region: *b"NL",
		capacity: rng.pick(&[0, 1, 4, 16]),
		apis: rng.pick(&[&[0u32, 1][..], &[0], &[1], &[2], &[]]).to_vec().try_into().unwrap(),
		encryption_key,
	}
}

/// Encryption key `[n; 32]` for operator `operator`, signed by operator `n`'s gateway key.
fn encryption_key(operator: u8, n: u8) -> BoundEncryptionKey {
	let account = OPERATORS[operator as usize - 1].to_account_id();
	let genesis = baton_primitives::genesis_hash::<Runtime>();
	let key = [n; 32];
	let proof = gateway_pair(n).sign(&encryption_key_message(&account, &genesis, &key)).0;
	BoundEncryptionKey { key, proof }
}

/// An envelope for operator `n`: mostly sealed to its key, now and then to another's.
fn envelope(rng: &mut Rng, n: u8) -> (AccountId, Envelope) {
	let recipient = if rng.chance(90) { [n; 32] } else { [rng.below(5) as u8; 32] };
	let ciphertext = vec![7; rng.pick(&[0, 48, MAX_SEALED_BYTES as usize])];
	let envelope =
		Envelope { recipient, encapped: [1; 32], ciphertext: ciphertext.try_into().unwrap() };
	(OPERATORS[n as usize - 1].to_account_id(), envelope)
}

fn bond_call(
	n: u8,
	amount: Balance,
	profile: pallet_operator_staking::ProfileOf<Runtime>,
) -> RuntimeCall {
	let operator = OPERATORS[n as usize - 1].to_account_id();
	let pair = gateway_pair(n);
	let proof = pair.sign(&OperatorStaking::key_ownership_message(&operator)).0;
	RuntimeCall::OperatorStaking(pallet_operator_staking::Call::bond {
		amount,
		gateway_key: pair.public().0,
		profile,
		proof,
	})
}

fn new_request(rng: &mut Rng) -> NewRequest<Runtime> {
	let now = System::block_number();
	let latest: u32 = <Runtime as pallet_gateway::Config>::MaxDeadline::get();
	// Now and then sealed, its plaintext (if any) refused; often then with no public path, as
	// an API whose paths are confidential takes it.
	let sealed = rng.chance(15).then_some(SEAL_TERMS);
	let no_path = rng.chance(if sealed.is_some() { 50 } else { 10 });
	NewRequest {
		method: if rng.chance(80) {
			HttpMethod::Get
		} else {
			rng.pick(&[HttpMethod::Post, HttpMethod::Delete])
		},
		path: if no_path { &b""[..] } else { b"/price?pair=BTC" }.to_vec().try_into().unwrap(),
		headers: Default::default(),
		body: if rng.chance(20) { vec![7; 100] } else { vec![] }.try_into().unwrap(),
		redundancy: rng.below(4) as u32,
		// Mostly what the chain takes, so that requests go on to reports; now and then not.
		max_fee: if rng.chance(70) { UNIT } else { rng.amount() },
		deadline: if rng.chance(80) {
			now + 2 + rng.below(latest as u64 - 1) as u32
		} else {
			now + rng.below(2 * latest as u64) as u32
		},
		sealed,
	}
}

/// The seal terms of the fuzzer's sealed requests: what the chain checks of them is who seals
/// to whom, not what the envelopes hold.
const SEAL_TERMS: SealTerms = SealTerms { client_key: [9; 32], content_hash: [8; 32] };

/// A sealed request waiting for its seal, sealed by its client: mostly one envelope to each
/// operator and backup's current key, now and then one short, misaddressed, or by a stranger.
fn seal(rng: &mut Rng) -> Option<(Signer, RuntimeCall)> {
	let waiting: Vec<_> = Requests::<Runtime>::iter()
		.filter(|(_, r)| r.sealed.as_ref().is_some_and(|s| s.sealed_at.is_none()))
		.collect();
	if waiting.is_empty() {
		return None;
	}
	let (id, request) = &waiting[rng.below(waiting.len() as u64) as usize];
	let mut envelopes: Vec<_> = request
		.assigned
		.iter()
		.chain(request.backups.iter())
		.map(|who| {
			let key = pallet_operator_staking::Operators::<Runtime>::get(who)
				.and_then(|operator| operator.profile.encryption_key)
				.map_or([0; 32], |bound| bound.key);
			let recipient = if rng.chance(95) { key } else { [rng.below(5) as u8; 32] };
			let ciphertext = vec![7; rng.pick(&[48, 4_096])].try_into().unwrap();
			(who.clone(), CallEnvelope { recipient, encapped: [1; 32], ciphertext })
		})
		.collect();
	if rng.chance(5) {
		envelopes.pop();
	}
	let client = EVERYONE.into_iter().find(|k| k.to_account_id() == request.client)?;
	let signer = if rng.chance(95) { client } else { rng.pick(&EVERYONE) };
	let call = pallet_gateway::Call::seal_request {
		request_id: *id,
		envelopes: envelopes.try_into().unwrap(),
	};
	Some((Signer::Account(signer), RuntimeCall::Gateway(call)))
}

/// A report of an open request by one of its operators (or, sometimes, by a stranger), signed
/// by its gateway key as its node would; one of two bodies, so that majorities differ.
fn report(rng: &mut Rng) -> Option<(Signer, RuntimeCall)> {
	let open: Vec<_> = Requests::<Runtime>::iter()
		.filter(|(_, request)| request.status == RequestStatus::Pending)
		.collect();
	if open.is_empty() {
		return None;
	}
	let (id, request) = &open[rng.below(open.len() as u64) as usize];
	let mut candidates: Vec<AccountId> = request.assigned.to_vec();
	candidates.extend(request.armed.iter().map(|(backup, _)| backup.clone()));
	let operator = if candidates.is_empty() || rng.chance(10) {
		OPERATORS[rng.below(4) as usize].to_account_id()
	} else {
		candidates[rng.below(candidates.len() as u64) as usize].clone()
	};
	let n = OPERATORS.iter().position(|k| k.to_account_id() == operator)? as u8 + 1;
	let status = rng.pick(&[
		ResultStatus::Response { code: 200 },
		ResultStatus::Response { code: 200 },
		ResultStatus::Response { code: 200 },
		ResultStatus::Timeout,
	]);
	// A failure has no body, except now and then to see it refused.
	let body = match status {
		ResultStatus::Response { .. } => rng.pick(&[&br#"{"price":7}"#[..], br#"{"price":8}"#]),
		_ if rng.chance(10) => b"late",
		_ => b"",
	}
	.to_vec();
	// A sealed request's response is reported sealed, with its plaintext's hash and result key
	// beside it (now and then as a plain one, to see it refused).
	let (body, response_hash, sealed) = if request.sealed.is_some()
		&& status.is_response()
		&& rng.chance(95)
	{
		let sealed_body = [&b"sealed:"[..], &body].concat();
		let plaintext_hash = sp_io::hashing::blake2_256(&body);
		let result_key = pallet_gateway::result_key(&status, &body, &request.terms.ignored_fields);
		let hash = sealed_response_hash(&plaintext_hash, &sp_io::hashing::blake2_256(&sealed_body));
		(sealed_body, hash, Some(pallet_gateway::SealedResult { plaintext_hash, result_key }))
	} else {
		(body.clone(), sp_io::hashing::blake2_256(&body), None)
	};
	let genesis = baton_primitives::genesis_hash::<Runtime>();
	let message =
		receipt_message(&genesis, *id, &request.request_hash, &response_hash, &status, &operator);
	let signature = gateway_pair(if rng.chance(5) { n % 4 + 1 } else { n }).sign(&message).0;
	let report = Report::<Runtime> {
		status,
		response_hash,
		latency_ms: rng.below(3_000) as u32,
		body: body.try_into().unwrap(),
		signature,
		sealed,
	};
	Some((
		Signer::Key(n),
		RuntimeCall::Gateway(pallet_gateway::Call::report_result { request_id: *id, report }),
	))
}

/// A council motion for `call`: proposed, voted by two or three members, closed.
fn council_motion(chain: &mut Chain, rng: &mut Rng, call: RuntimeCall) {
	let index = pallet_collective::ProposalCount::<Runtime, pallet_collective::Instance1>::get();
	let (weight, length) = (call.get_dispatch_info().call_weight, call.encode().len() as u32);
	let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&call);
	let propose = pallet_collective::Call::propose {
		threshold: rng.pick(&[1, 2, 3]),
		proposal: Box::new(call),
		length_bound: length,
	};
	chain.apply(Signer::Account(rng.pick(&COUNCIL)), RuntimeCall::Council(propose));
	for member in COUNCIL {
		if rng.chance(70) {
			let vote =
				pallet_collective::Call::vote { proposal: hash, index, approve: rng.chance(80) };
			chain.apply(Signer::Account(member), RuntimeCall::Council(vote));
		}
	}
	let close = pallet_collective::Call::close {
		proposal_hash: hash,
		index,
		proposal_weight_bound: weight,
		length_bound: length,
	};
	chain.apply(Signer::Account(rng.pick(&EVERYONE)), RuntimeCall::Council(close));
}

/// A privileged call for governance to make, sound or not.
fn privileged_call(rng: &mut Rng) -> RuntimeCall {
	match rng.below(4) {
		0 => RuntimeCall::Gateway(pallet_gateway::Call::set_backup_grace {
			grace: rng.below(4) as u32,
		}),
		1 => RuntimeCall::Treasury(pallet_treasury::Call::spend {
			asset_kind: Box::new(()),
			amount: rng.amount(),
			beneficiary: Box::new(rng.pick(&EVERYONE).to_account_id()),
			valid_from: None,
		}),
		2 => RuntimeCall::Reputation(pallet_reputation::Call::reset {
			operator: rng.pick(&OPERATORS).to_account_id(),
		}),
		_ => RuntimeCall::OperatorStaking(pallet_operator_staking::Call::chill {}),
	}
}

/// One random action of one random user, which may take a few extrinsics.
fn act(chain: &mut Chain, rng: &mut Rng) {
	let who = Signer::Account(rng.pick(&EVERYONE));
	let n = rng.below(4) as u8 + 1;
	let operator = Signer::Account(OPERATORS[n as usize - 1]);
	// Mostly the two APIs of the setup, and their publishers.
	let api_id = if rng.chance(80) { rng.below(2) } else { rng.below(5) } as u32;
	let publisher = Signer::Account(if rng.chance(80) {
		[Alice, Bob][api_id as usize % 2]
	} else {
		rng.pick(&EVERYONE)
	});
	let call = match rng.below(100) {
		0..=4 => RuntimeCall::Gateway(pallet_gateway::Call::register_api { spec: spec(rng) }),
		5..=6 => RuntimeCall::Gateway(pallet_gateway::Call::update_api { api_id, spec: spec(rng) }),
		7..=8 => {
			RuntimeCall::Gateway(pallet_gateway::Call::pause_api { api_id, paused: rng.chance(50) })
		},
		9..=25 => {
			let request = new_request(rng);
			if let (Some(seal), true) = (request.sealed, request.body.is_empty()) {
				let call = pallet_gateway::Call::submit_sealed_request {
					api_id,
					method: request.method,
					path: request.path,
					seal,
					redundancy: request.redundancy,
					max_fee: request.max_fee,
					deadline: request.deadline,
				};
				chain.apply(who, RuntimeCall::Gateway(call));
				return;
			}
			RuntimeCall::Gateway(pallet_gateway::Call::submit_request {
				api_id,
				method: request.method,
				path: request.path,
				headers: request.headers,
				body: request.body,
				redundancy: request.redundancy,
				max_fee: request.max_fee,
				deadline: request.deadline,
			})
		},
		26..=27 => {
			let envelopes: Vec<_> = (1..=4u8)
				.filter(|_| rng.chance(60))
				.collect::<Vec<_>>()
				.into_iter()
				.map(|holder| envelope(rng, holder))
				.collect();
			RuntimeCall::Gateway(pallet_gateway::Call::set_api_secret {
				api_id,
				envelopes: envelopes.try_into().unwrap(),
			})
		},
		28 => {
			let (operator, envelope) = envelope(rng, n);
			RuntimeCall::Gateway(pallet_gateway::Call::grant_api_secret {
				api_id,
				operator,
				envelope,
			})
		},
		29..=32 => {
			let requests: Vec<_> = (0..1 + rng.below(4)).map(|_| new_request(rng)).collect();
			RuntimeCall::Gateway(pallet_gateway::Call::submit_requests {
				api_id,
				requests: requests.try_into().unwrap(),
			})
		},
		33..=50 => {
			if let Some((signer, call)) = report(rng) {
				chain.apply(signer, call);
			}
			return;
		},
		51..=54 => {
			if let Some((signer, call)) = seal(rng) {
				chain.apply(signer, call);
			}
			return;
		},
		55..=58 => {
			chain.apply(operator, bond_call(n, rng.amount(), profile(rng, n)));
			return;
		},
		59..=60 => RuntimeCall::OperatorStaking(pallet_operator_staking::Call::bond_extra {
			amount: rng.amount(),
		}),
		61..=62 => RuntimeCall::OperatorStaking(pallet_operator_staking::Call::unbond {
			amount: rng.amount(),
		}),
		63 => RuntimeCall::OperatorStaking(pallet_operator_staking::Call::withdraw_unbonded {}),
		64 => RuntimeCall::OperatorStaking(pallet_operator_staking::Call::update_profile {
			profile: profile(rng, n),
		}),
		65 => RuntimeCall::OperatorStaking(pallet_operator_staking::Call::chill {}),
		66..=67 => RuntimeCall::OperatorStaking(pallet_operator_staking::Call::activate {}),
		68..=75 => {
			let heartbeat = pallet_operator_staking::Call::heartbeat {};
			chain.apply(Signer::Key(n), RuntimeCall::OperatorStaking(heartbeat));
			return;
		},
		76..=78 => RuntimeCall::Relay(pallet_relay::Call::open_session {
			api_id,
			operators: rng.below(4) as u32,
			allowance: rng.amount(),
			blocks: rng.below(60) as u32,
		}),
		79 => RuntimeCall::Relay(pallet_relay::Call::top_up {
			session_id: rng.below(4),
			allowance: rng.amount(),
		}),
		80 => RuntimeCall::Relay(pallet_relay::Call::close_session {
			session_id: rng.below(4),
			report: Default::default(),
		}),
		81..=88 => {
			let dest = rng.pick(&EVERYONE).to_account_id().into();
			let value = rng.amount();
			// Emptying accounts now and then, not so often that nobody can pay fees.
			match rng.below(10) {
				0..=4 => RuntimeCall::Balances(pallet_balances::Call::transfer_allow_death {
					dest,
					value,
				}),
				5..=8 => RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
					dest,
					value,
				}),
				_ => RuntimeCall::Balances(pallet_balances::Call::transfer_all {
					dest,
					keep_alive: rng.chance(50),
				}),
			}
		},
		89..=92 => {
			let call = privileged_call(rng);
			council_motion(chain, rng, call);
			return;
		},
		93 => RuntimeCall::Treasury(pallet_treasury::Call::payout { index: rng.below(3) as u32 }),
		94..=95 => {
			let proposal = Bounded::Inline(privileged_call(rng).encode().try_into().unwrap());
			RuntimeCall::Referenda(pallet_referenda::Call::submit {
				proposal_origin: Box::new(frame_system::RawOrigin::Root.into()),
				proposal,
				enactment_moment: frame_support::traits::schedule::DispatchTime::After(1),
			})
		},
		96 => RuntimeCall::Referenda(pallet_referenda::Call::place_decision_deposit {
			index: rng.below(3) as u32,
		}),
		_ => RuntimeCall::ConvictionVoting(pallet_conviction_voting::Call::vote {
			poll_index: rng.below(3) as u32,
			vote: pallet_conviction_voting::AccountVote::Standard {
				vote: pallet_conviction_voting::Vote {
					aye: rng.chance(70),
					conviction: pallet_conviction_voting::Conviction::Locked1x,
				},
				balance: rng.amount(),
			},
		}),
	};
	// Staking calls come from an operator's account, an API's from its publisher mostly.
	let signer = match call {
		RuntimeCall::OperatorStaking(_) => operator,
		RuntimeCall::Gateway(
			pallet_gateway::Call::update_api { .. }
			| pallet_gateway::Call::pause_api { .. }
			| pallet_gateway::Call::set_api_secret { .. }
			| pallet_gateway::Call::grant_api_secret { .. },
		) => publisher,
		_ => who,
	};
	chain.apply(signer, call);
}

/// Two APIs, three bonded operators with funded gateway keys: the state most actions need.
fn setup(chain: &mut Chain, rng: &mut Rng) {
	for publisher in [Alice, Bob] {
		let mut spec = spec(rng);
		spec.base_url = b"https://api.example".to_vec().try_into().unwrap();
		spec.methods = vec![HttpMethod::Get, HttpMethod::Post].try_into().unwrap();
		spec.price_per_call = UNIT / 100;
		spec.timeout_ms = 2_000;
		spec.max_response_bytes = 1_024;
		spec.default_redundancy = 1;
		let call = RuntimeCall::Gateway(pallet_gateway::Call::register_api { spec });
		chain.apply_ok(Signer::Account(publisher), call);
	}
	for n in 1..=3 {
		let mut profile = profile(rng, n);
		profile.encryption_key = Some(encryption_key(n, n));
		profile.capacity = 8;
		profile.apis = vec![0, 1].try_into().unwrap();
		chain.apply_ok(
			Signer::Account(OPERATORS[n as usize - 1]),
			bond_call(n, 1_000 * UNIT, profile),
		);
	}
	for n in 1..=4 {
		let dest = Signer::Key(n).account().into();
		let fund = pallet_balances::Call::transfer_keep_alive { dest, value: 100 * UNIT };
		chain.apply_ok(Signer::Account(Alice), RuntimeCall::Balances(fund));
	}
}

/// One seed's chain: the setup, then `BLOCKS` blocks of random actions.
fn run(seed: u64) -> Chain {
	let storage = common::preset_config("development").build_storage().expect("genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		let mut rng = Rng(seed);
		let mut chain = Chain::new();
		chain.start_block();
		setup(&mut chain, &mut rng);
		chain.finish_block();
		for _ in 0..BLOCKS {
			chain.start_block();
			for _ in 0..rng.below(12) {
				act(&mut chain, &mut rng);
			}
			chain.finish_block();
		}
		chain
	})
}

fn seconds() -> Duration {
	let seconds = std::env::var("BATON_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok());
	Duration::from_secs(seconds.unwrap_or(10))
}

#[test]
fn random_sequences_of_calls_keep_every_invariant() {
	let replay = std::env::var("BATON_FUZZ_SEED").ok();
	let mut seeds: Vec<u64> = match &replay {
		Some(seed) => vec![seed.parse().expect("BATON_FUZZ_SEED is a number")],
		None => REGRESSIONS.iter().copied().chain([FIXED_SEED]).collect(),
	};
	seeds.reverse();
	let seconds = seconds();
	let deadline = Instant::now() + seconds;
	let clock = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
	let generator = clock.as_nanos() as u64;
	let mut random = Rng(generator);
	println!("fuzz: seeds {seeds:?}, then random ones from generator {generator} for {seconds:?}");
	let (mut costs, mut misses) = (BTreeMap::<String, Cost>::new(), BTreeMap::new());
	let mut runs = 0;
	loop {
		let seed = match seeds.pop() {
			Some(seed) => seed,
			None if replay.is_none() && Instant::now() < deadline => random.next(),
			None => break,
		};
		let chain = std::panic::catch_unwind(|| run(seed)).unwrap_or_else(|panic| {
			println!("fuzz seed {seed} failed: replay it with BATON_FUZZ_SEED={seed}");
			std::panic::resume_unwind(panic)
		});
		runs += 1;
		for (name, cost) in chain.costs {
			let total = costs.entry(name).or_insert(Cost { fastest: f64::MAX, ..Cost::default() });
			total.runs += cost.runs;
			total.succeeded += cost.succeeded;
			total.fastest = total.fastest.min(cost.fastest);
		}
		for (miss, count) in chain.misses {
			*misses.entry(miss).or_insert(0) += count;
		}
	}
	println!("{runs} seeds of {} blocks; extrinsics dispatched, by call:", BLOCKS + 1);
	for (name, cost) in &costs {
		let Cost { runs, succeeded, fastest } = cost;
		println!("  {name}: {runs} ({succeeded} succeeded), fastest {fastest:.3} of its weight");
	}
	// The refusals are many and expected (random calls mostly fail their checks): listed on
	// request only.
	let refused: u32 = misses.values().sum();
	if std::env::var_os("BATON_FUZZ_MISSES").is_some() {
		println!("refused before dispatch, or failed:");
		for (miss, count) in &misses {
			println!("  {miss}: {count}");
		}
	} else {
		println!(
			"{refused} refused or failed, of {} kinds (BATON_FUZZ_MISSES=1 lists them)",
			misses.len()
		);
	}
	let over: Vec<_> = costs
		.iter()
		.filter(|(_, cost)| cost.fastest > MARGIN)
		.map(|(name, cost)| format!("{name} ({:.2}×)", cost.fastest))
		.collect();
	assert!(over.is_empty(), "calls slower than {MARGIN}× their weight: {over:?}");
}
