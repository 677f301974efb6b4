//! What the gateway and handover pallets, the node and clients share about handovers: the
//! reasons, the signed checkpoint, the log as clients see it, and the traits that couple the two
//! pallets.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::pallet_prelude::DispatchError;
use scale_info::TypeInfo;

use crate::RequestId;

/// Why a request passed from one operator to another.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum HandoverReason {
	/// The operator did not report by the deadline.
	Timeout,
	/// The operator gave the request away on purpose, with a valid checkpoint.
	Voluntary,
	/// The operator did not report by the deadline and was marked offline.
	Offline,
	/// The operator gave the request away with a checkpoint that does not verify.
	Fraud,
}

/// An operator's progress on a request when it hands it over, signed with its gateway key.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub struct Checkpoint {
	/// Steps done: 0 = the upstream was not called; 1 = it was called (with the request's
	/// idempotency key) but no result was reported.
	pub completed_steps: u32,
	/// blake2-256 of the partial state: of what the upstream answered so far (empty if nothing).
	pub state_hash: [u8; 32],
	/// The content hash of the request the progress was made on: the successor resumes that
	/// request, with the same `Idempotency-Key`, and no other that got the same id.
	pub request_hash: [u8; 32],
	/// ed25519 signature by the operator's gateway key over [`checkpoint_message`].
	pub signature: [u8; 64],
}

/// The bytes a checkpoint's signature covers: the SCALE encoding of `("baton/checkpoint",
/// genesis_hash, request_id, request_hash, completed_steps, state_hash, operator)`.
pub fn checkpoint_message<AccountId: Encode, Hash: Encode>(
	genesis_hash: &Hash,
	request_id: RequestId,
	checkpoint: &Checkpoint,
	operator: &AccountId,
) -> Vec<u8> {
	(
		b"baton/checkpoint",
		genesis_hash,
		request_id,
		checkpoint.request_hash,
		checkpoint.completed_steps,
		checkpoint.state_hash,
		operator,
	)
		.encode()
}

/// Whether `checkpoint` is bound to this chain and to request `request_id` whose content hash
/// is `request_hash`, and signed by `key` for `operator`.
pub fn checkpoint_verifies<AccountId: Encode, Hash: Encode>(
	genesis_hash: &Hash,
	request_id: RequestId,
	request_hash: &[u8; 32],
	checkpoint: &Checkpoint,
	operator: &AccountId,
	key: &crate::GatewayKey,
) -> bool {
	&checkpoint.request_hash == request_hash
		&& checkpoint.completed_steps <= 1
		&& sp_io::crypto::ed25519_verify(
			&sp_core::ed25519::Signature::from_raw(checkpoint.signature),
			&checkpoint_message(genesis_hash, request_id, checkpoint, operator),
			&sp_core::ed25519::Public::from_raw(*key),
		)
}

/// One handover, as clients see it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct HandoverView<AccountId, BlockNumber> {
	/// The operator that gave the request up.
	pub from: AccountId,
	/// The operator that took it over.
	pub to: AccountId,
	/// Why.
	pub reason: HandoverReason,
	/// Block of the handover.
	pub block: BlockNumber,
	/// The checkpoint of a voluntary (or fraudulent) handover.
	pub checkpoint: Option<Checkpoint>,
}

/// The on-chain handover log; implemented by the handover pallet.
pub trait HandoverLog<AccountId, BlockNumber> {
	/// Appends a record to `request_id`'s log; returns its sequence number (0 for the first).
	fn record(
		request_id: RequestId,
		from: &AccountId,
		to: &AccountId,
		reason: HandoverReason,
		checkpoint: Option<Checkpoint>,
	) -> Result<u32, DispatchError>;

	/// `request_id`'s log, oldest first.
	fn history(request_id: RequestId) -> Vec<HandoverView<AccountId, BlockNumber>>;

	/// Whether `request_id` may be handed over once more.
	fn has_room(request_id: RequestId) -> bool;

	/// Drops `request_id`'s log (when the request is pruned).
	fn forget(request_id: RequestId);
}

/// Requests as the handover pallet sees them; implemented by the gateway.
pub trait Reassign<AccountId> {
	/// Passes `from`'s open assignment on `request_id` to the next available backup, extends
	/// the deadline, settles what the reason implies (offence, reputation) and logs the
	/// handover. Returns the successor.
	fn reassign(
		request_id: RequestId,
		from: &AccountId,
		reason: HandoverReason,
		checkpoint: Option<Checkpoint>,
	) -> Result<AccountId, DispatchError>;

	/// Up to `max` requests `operator` is assigned and has not reported.
	fn open_assignments(operator: &AccountId, max: u32) -> Vec<OpenAssignment>;

	/// The content hash of `request_id`, while it is kept.
	fn request_hash(request_id: RequestId) -> Option<[u8; 32]>;

	/// Whether `operator` holds `request_id` (is assigned and has not reported).
	fn is_assigned(operator: &AccountId, request_id: RequestId) -> bool;
}

/// A request an operator holds, as its node's handover worker sees it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct OpenAssignment {
	/// The request.
	pub request_id: RequestId,
	/// Its content hash.
	pub request_hash: [u8; 32],
	/// Its API, whose health decides whether the node hands it over.
	pub api_id: crate::ApiId,
	/// Its upstream timeout in ms.
	pub timeout_ms: u32,
}

/// How an operator node sees its own execution of one API: moving averages of upstream latency
/// and failure rate, a fast one (the last few calls) and a slow one (its history), and a circuit
/// breaker on top. Kept per (gateway key, API) in the node's offchain storage by the gateway's
/// offchain worker, so one failing API does not stop a node from serving the others; the
/// handover pallet's offchain worker hands requests over while the breaker is open.
/// docs/handover.md explains the model.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Health {
	/// Upstream calls (and late reports) observed.
	pub observations: u32,
	/// Fast moving average of latency, in ms.
	pub latency_fast_ms: u32,
	/// Slow moving average of latency, in ms.
	pub latency_slow_ms: u32,
	/// Fast moving average of the failure rate, in millionths.
	pub failures_fast: u32,
	/// Slow moving average of the failure rate, in millionths.
	pub failures_slow: u32,
	/// While the breaker is open: the block from which it lets one probe call through
	/// (half-open). `None` while it is closed.
	pub open_until: Option<u32>,
	/// Blocks the breaker stays open when it next opens; doubled by each failed probe, reset
	/// when a probe succeeds.
	pub backoff: u32,
}

/// Where a node's circuit breaker for an API stands at a block.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Breaker {
	/// Calls go through.
	Closed,
	/// No calls: the node's open requests of the API are handed over.
	Open,
	/// One probe call goes through; its outcome closes or reopens the breaker.
	HalfOpen,
}

impl Health {
	/// Weight of a new observation in the fast averages, in millionths (0.3).
	pub const FAST: u64 = 300_000;
	/// Weight of a new observation in the slow averages, in millionths (0.05).
	pub const SLOW: u64 = 50_000;
	/// Observations before the model predicts anything.
	pub const WARM_UP: u32 = 5;
	/// Blocks the breaker first stays open.
	pub const FIRST_BACKOFF: u32 = 2;
	/// Blocks the breaker stays open at most, however often probes fail.
	pub const MAX_BACKOFF: u32 = 64;

	/// The breaker at block `now`.
	pub fn breaker(&self, now: u32) -> Breaker {
		match self.open_until {
			None => Breaker::Closed,
			Some(until) if now < until => Breaker::Open,
			Some(_) => Breaker::HalfOpen,
		}
	}

	/// Takes in one upstream call at block `now` of an API with timeout `timeout_ms`: its
	/// latency and whether the upstream was unavailable (a timeout or an unreachable upstream)
	/// — or a report that was late (`failed`, with the timeout as latency). Opens the breaker
	/// when the model starts predicting failure; a probe's outcome closes or reopens it.
	pub fn observe(&mut self, now: u32, latency_ms: u32, failed: bool, timeout_ms: u32) {
		let average = |current: u32, sample: u32, weight: u64| -> u32 {
			if self.observations == 0 {
				return sample;
			}
			let blended =
				(current as u64 * (1_000_000 - weight) + sample as u64 * weight) / 1_000_000;
			blended as u32
		};
		let failure = if failed { 1_000_000 } else { 0 };
		self.latency_fast_ms = average(self.latency_fast_ms, latency_ms, Self::FAST);
		self.latency_slow_ms = average(self.latency_slow_ms, latency_ms, Self::SLOW);
		self.failures_fast = average(self.failures_fast, failure, Self::FAST);
		self.failures_slow = average(self.failures_slow, failure, Self::SLOW);
		self.observations = self.observations.saturating_add(1);
		let backoff = self.backoff.max(Self::FIRST_BACKOFF);
		match self.breaker(now) {
			Breaker::HalfOpen if failed => {
				self.open_until = Some(now.saturating_add(backoff));
				self.backoff = backoff.saturating_mul(2).min(Self::MAX_BACKOFF);
			},
			Breaker::HalfOpen => {
				// The upstream is back: forget the bad spell, so the model predicts from the
				// history again.
				self.open_until = None;
				self.backoff = Self::FIRST_BACKOFF;
				self.latency_fast_ms = self.latency_slow_ms;
				self.failures_fast = self.failures_slow;
			},
			Breaker::Closed if self.predicts_failure(timeout_ms) => {
				self.open_until = Some(now.saturating_add(backoff));
				self.backoff = backoff.saturating_mul(2).min(Self::MAX_BACKOFF);
			},
			Breaker::Closed | Breaker::Open => {},
		}
	}

	/// Whether a request with an upstream timeout of `timeout_ms` is likely to fail here: after
	/// the warm-up, the recent failure rate is at least ½ and twice the historical one, or the
	/// recent latency is at least 60 % of the timeout (too little headroom left) and three times
	/// the historical latency.
	pub fn predicts_failure(&self, timeout_ms: u32) -> bool {
		if self.observations < Self::WARM_UP {
			return false;
		}
		let failing = self.failures_fast >= 500_000 && self.failures_fast >= 2 * self.failures_slow;
		let slowing = self.latency_fast_ms as u64 * 10 >= timeout_ms as u64 * 6
			&& self.latency_fast_ms as u64 >= 3 * self.latency_slow_ms as u64;
		failing || slowing
	}
}
