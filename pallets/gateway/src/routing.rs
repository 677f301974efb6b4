//! Routing: which operators execute a request. Deterministic from chain data, so anyone can
//! reproduce a choice; the formula is in the README.

use alloc::vec::Vec;
use baton_primitives::{ApiId, Candidate, OperatorRegistry, ReputationSource, ReputationView, RequestId};
use codec::Encode;
use frame_support::{pallet_prelude::*, traits::Randomness};
use sp_runtime::{traits::Saturating, SaturatedConversion};

use crate::{Api, BalanceOf, Config, Error, Load, Pallet};

/// One million: weights and probabilities are in millionths.
const MICRO: u128 = 1_000_000;

/// An operator routing may choose.
pub(crate) struct Eligible<T: Config> {
	pub who: T::AccountId,
	pub candidate: Candidate<BalanceOf<T>>,
	pub reputation: ReputationView,
	/// Requests it is assigned, below its capacity.
	pub load: u32,
}

/// The operators chosen for a request.
pub(crate) struct Routed<T: Config> {
	pub assigned: BoundedVec<T::AccountId, T::MaxRedundancy>,
	pub backups: BoundedVec<T::AccountId, T::MaxBackups>,
	/// Operators routing looked at.
	pub candidates: u32,
}

/// A stream of pseudo-random numbers: blake2-256 of the seed and a counter.
pub struct Rng {
	seed: [u8; 32],
	counter: u64,
	buffer: [u8; 32],
	used: usize,
}

impl Rng {
	/// A stream determined by `seed`.
	pub fn new(seed: [u8; 32]) -> Self {
		Self { seed, counter: 0, buffer: [0; 32], used: 32 }
	}

	/// The next 64 random bits.
	pub fn next_u64(&mut self) -> u64 {
		if self.used + 8 > 32 {
			self.buffer = sp_io::hashing::blake2_256(&(self.seed, self.counter).encode());
			self.counter += 1;
			self.used = 0;
		}
		let bytes: [u8; 8] = self.buffer[self.used..self.used + 8].try_into().expect("8 bytes");
		self.used += 8;
		u64::from_le_bytes(bytes)
	}

	/// A number in `0..bound` (`bound > 0`).
	pub fn below(&mut self, bound: u128) -> u128 {
		let wide = ((self.next_u64() as u128) << 64) | self.next_u64() as u128;
		wide % bound
	}
}

/// A Thompson sample of Beta(α, β), in millionths, drawn from the normal approximation
/// mean + sd·z with z from the Irwin–Hall sum of twelve uniforms, clamped to [0.001, 1].
pub fn thompson_sample(reputation: &ReputationView, rng: &mut Rng) -> u128 {
	// Clamped so that the products below cannot overflow.
	let alpha = (reputation.alpha_micros as u128).clamp(1, MICRO * MICRO);
	let beta = (reputation.beta_micros as u128).clamp(1, MICRO * MICRO);
	let sum = alpha + beta;
	let mean = alpha * MICRO / sum;
	// Var = αβ / ((α+β)² (α+β+1)), here in units of 10⁻¹², with α, β in millionths.
	let variance = alpha * beta * MICRO * MICRO / (sum * sum) * MICRO / (sum + MICRO);
	let sd = variance.isqrt();
	let z: i128 = (0..12).map(|_| rng.below(MICRO) as i128).sum::<i128>() - 6 * MICRO as i128;
	let sample = mean as i128 + sd as i128 * z / MICRO as i128;
	sample.clamp(1_000, MICRO as i128) as u128
}

/// Weight from latency, in millionths: 1 at 0 ms, ½ at 1 s.
pub fn latency_factor(latency_ms: u32) -> u128 {
	MICRO * 1_000 / (1_000 + latency_ms as u128)
}

/// Weight from stake, in millionths: √(stake / unit), between 1 and 4.
pub fn stake_factor(bonded: u128, unit: u128) -> u128 {
	let units = (bonded / unit.max(1)).clamp(1, 16);
	(units * MICRO * MICRO).isqrt()
}

impl<T: Config> Pallet<T> {
	/// Operators that may take a request to `api` now: available, serving it, under capacity
	/// and at or above its minimum reputation; at most `MaxCandidates` are looked at.
	pub(crate) fn eligible(api_id: ApiId, api: &Api<T>) -> Vec<Eligible<T>> {
		T::Operators::serving(api_id, T::MaxCandidates::get())
			.into_iter()
			.filter_map(|who| {
				let candidate = T::Operators::candidate(&who)?;
				let load = Load::<T>::get(&who);
				if load >= candidate.capacity {
					return None;
				}
				let reputation = T::Reputation::reputation_for(&who, api_id);
				(reputation.score >= api.spec.min_reputation)
					.then_some(Eligible { who, candidate, reputation, load })
			})
			.collect()
	}

	/// Chooses `redundancy` operators and up to `MaxBackups` backups for `request_id` among
	/// `eligible`, which then counts the assigned operators' new load: an operator it fills
	/// up is no longer eligible for the next request.
	pub(crate) fn route(
		eligible: &mut Vec<Eligible<T>>,
		request_id: RequestId,
		redundancy: u32,
	) -> Result<Routed<T>, DispatchError> {
		let candidates = eligible.len() as u32;
		ensure!(redundancy > 0 && candidates >= redundancy, Error::<T>::NotEnoughOperators);
		let wanted = candidates.min(redundancy.saturating_add(T::MaxBackups::get()));
		let mut chosen = Self::sample(eligible, request_id, wanted).into_iter();
		let assigned: Vec<_> = chosen.by_ref().take(redundancy as usize).collect();
		let backups: Vec<_> = chosen.collect();
		for operator in eligible.iter_mut().filter(|e| assigned.contains(&e.who)) {
			operator.load.saturating_inc();
		}
		eligible.retain(|e| e.load < e.candidate.capacity);
		Ok(Routed {
			assigned: assigned.try_into().map_err(|_| Error::<T>::InvalidRedundancy)?,
			backups: backups.try_into().map_err(|_| Error::<T>::InvalidRedundancy)?,
			candidates,
		})
	}

	/// Weighted sampling of `count` operators without replacement, seeded by chain randomness
	/// and the request id.
	pub(crate) fn sample(eligible: &[Eligible<T>], request_id: RequestId, count: u32) -> Vec<T::AccountId> {
		let subject = (b"baton/route", request_id).encode();
		let (seed, _) = T::Randomness::random(&subject);
		let mut rng = Rng::new(sp_io::hashing::blake2_256(seed.as_ref()));
		let unit: u128 = T::StakeUnit::get().saturated_into();
		let mut pool: Vec<(&T::AccountId, u128)> = eligible
			.iter()
			.map(|e| {
				let bonded: u128 = e.candidate.bonded.saturated_into();
				let weight = thompson_sample(&e.reputation, &mut rng) *
					latency_factor(e.reputation.latency_ms) / MICRO *
					stake_factor(bonded, unit) / MICRO;
				(&e.who, weight.max(1))
			})
			.collect();
		let mut chosen = Vec::with_capacity(count as usize);
		while chosen.len() < count as usize && !pool.is_empty() {
			let total: u128 = pool.iter().map(|(_, w)| w).sum();
			let mut point = rng.below(total);
			let index = pool
				.iter()
				.position(|(_, weight)| {
					if point < *weight {
						true
					} else {
						point -= weight;
						false
					}
				})
				.unwrap_or(pool.len() - 1);
			chosen.push(pool.swap_remove(index).0.clone());
		}
		chosen
	}
}
