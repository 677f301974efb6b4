//! The reputation record.

use codec::{Decode, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{traits::Saturating, FixedPointNumber, FixedU128, Perbill};

use baton_primitives::{Outcome, ReputationView};

/// What is known about how an operator served, overall or for one API.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug, Default)]
pub struct Record {
	/// Decayed count of successes: α minus the prior.
	pub successes: FixedU128,
	/// Decayed count of failures: β minus the prior.
	pub failures: FixedU128,
	/// Moving average of reported latency in milliseconds; 0 before the first completion.
	pub latency_ms: u32,
	/// Requests completed with the majority result.
	pub completed: u32,
	/// Requests failed, outvoted or abandoned.
	pub failed: u32,
	/// Requests handed over to another operator.
	pub handed_over: u32,
	/// Requests taken over from another operator.
	pub taken_over: u32,
}

impl Record {
	/// Takes one outcome in: evidence decays by `decay` before a success or failure is added.
	pub fn apply(&mut self, outcome: Outcome, decay: Perbill, latency_weight: Perbill) {
		let decay = FixedU128::from_perbill(decay);
		match outcome {
			Outcome::Completed { latency_ms } => {
				self.decay_by(decay);
				self.successes = self.successes.saturating_add(FixedU128::from_u32(1));
				self.completed.saturating_inc();
				self.latency_ms = if self.latency_ms == 0 {
					latency_ms
				} else if latency_ms >= self.latency_ms {
					self.latency_ms.saturating_add(latency_weight * (latency_ms - self.latency_ms))
				} else {
					self.latency_ms.saturating_sub(latency_weight * (self.latency_ms - latency_ms))
				};
			},
			Outcome::Failed => {
				self.decay_by(decay);
				self.failures = self.failures.saturating_add(FixedU128::from_u32(1));
				self.failed.saturating_inc();
			},
			Outcome::HandedOver => self.handed_over.saturating_inc(),
			Outcome::TookOver => self.taken_over.saturating_inc(),
		}
	}

	fn decay_by(&mut self, decay: FixedU128) {
		self.successes = self.successes.saturating_mul(decay);
		self.failures = self.failures.saturating_mul(decay);
	}

	/// The Beta(α, β) view with the uniform prior Beta(1, 1) added.
	pub fn view(&self) -> ReputationView {
		let alpha = self.successes.saturating_add(FixedU128::from_u32(1));
		let beta = self.failures.saturating_add(FixedU128::from_u32(1));
		let total = alpha.saturating_add(beta);
		let score = Perbill::from_rational(
			alpha.into_inner() / MICRO_DIVISOR,
			(total.into_inner() / MICRO_DIVISOR).max(1),
		);
		ReputationView {
			alpha_micros: to_micros(alpha),
			beta_micros: to_micros(beta),
			score,
			latency_ms: self.latency_ms,
		}
	}
}

/// FixedU128 has 18 decimals; views are in millionths.
const MICRO_DIVISOR: u128 = FixedU128::DIV / 1_000_000;

fn to_micros(value: FixedU128) -> u64 {
	u64::try_from(value.into_inner() / MICRO_DIVISOR).unwrap_or(u64::MAX)
}
