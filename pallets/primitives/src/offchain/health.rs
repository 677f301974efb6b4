//! A node's view of its own upstream calls per API, and the circuit breaker on it: written by
//! the gateway's offchain worker, read by the handover's (see [`super::keys`] for the protocol).

use codec::{Decode, Encode};

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
