//! Routing: which operators execute a request. Deterministic from chain data, so anyone can
//! reproduce a choice; the formula is in the README.

use alloc::{collections::BTreeMap, vec::Vec};
use baton_primitives::{
	ApiId, Candidate, OperatorRouting, ReputationSource, ReputationView, RequestId,
};
use codec::Encode;
use frame_support::{
	pallet_prelude::*,
	traits::{DefensiveResult, Randomness},
};
use sp_runtime::{traits::Saturating, SaturatedConversion};

use crate::{Api, BalanceOf, Config, Error, Load, NextRequestId, Pallet};

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

/// The operators routing looked at for requests to one API, and those of them it may choose.
pub(crate) struct Candidates<T: Config> {
	/// Those that may take a request now.
	pub eligible: Vec<Eligible<T>>,
	/// How many were drawn from the availability index and read: what routing is charged for.
	pub looked_at: u32,
}

/// The operators chosen for a request.
pub(crate) struct Routed<T: Config> {
	pub assigned: BoundedVec<T::AccountId, T::MaxRedundancy>,
	pub backups: BoundedVec<T::AccountId, T::MaxBackups>,
	/// Operators routing looked at.
	pub candidates: u32,
}

/// `count` distinct slots of `0..len` (all of them if there are fewer), drawn uniformly at
/// random by a partial Fisher–Yates shuffle: each set of slots is equally likely, whoever holds
/// them. It shuffles even when it takes every slot, so that its cost is the same for the same
/// number of slots drawn.
pub fn draw_slots(len: u32, count: u32, rng: &mut Rng) -> Vec<u32> {
	// The shuffle of 0..len, holding only the positions it moved.
	let mut moved: BTreeMap<u32, u32> = BTreeMap::new();
	(0..count.min(len))
		.map(|i| {
			let j = i + rng.below((len - i) as u128) as u32;
			let at_i = moved.get(&i).copied().unwrap_or(i);
			let at_j = moved.get(&j).copied().unwrap_or(j);
			moved.insert(j, at_i);
			at_j
		})
		.collect()
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
	/// Operators that may take a request to `api` now: up to `MaxCandidates` drawn at random
	/// from the operators available for it (seeded by chain randomness, the API and the next
	/// request id), of which those under capacity and at or above its minimum reputation.
	pub(crate) fn eligible(api_id: ApiId, api: &Api<T>) -> Candidates<T> {
		let subject = (b"baton/candidates", api_id, NextRequestId::<T>::get()).encode();
		Self::eligible_for(api_id, api, &subject)
	}

	/// As [`Self::eligible`], drawn with the randomness of `subject`.
	pub(crate) fn eligible_for(api_id: ApiId, api: &Api<T>, subject: &[u8]) -> Candidates<T> {
		let mut rng = Self::rng(subject);
		let slots =
			draw_slots(T::Operators::available_count(api_id), T::MaxCandidates::get(), &mut rng);
		let looked_at = slots.len() as u32;
		let eligible = slots
			.into_iter()
			.filter_map(|slot| T::Operators::available_at(api_id, slot))
			.filter(|who| Self::may_serve(api_id, who))
			.filter_map(|who| {
				let candidate = T::Operators::candidate(&who)?;
				let load = Load::<T>::get(&who);
				if load >= candidate.capacity {
					return None;
				}
				let reputation = T::Reputation::reputation_for(&who, api_id);
				(reputation.score >= api.spec.min_reputation).then_some(Eligible {
					who,
					candidate,
					reputation,
					load,
				})
			})
			.collect();
		Candidates { eligible, looked_at }
	}

	/// The random stream for `subject`: from chain randomness, so anyone can reproduce it.
	fn rng(subject: &[u8]) -> Rng {
		let (seed, _) = T::Randomness::random(subject);
		Rng::new(sp_io::hashing::blake2_256(seed.as_ref()))
	}

	/// Chooses `redundancy` operators and up to `MaxBackups` backups for `request_id` among
	/// the eligible `candidates`, which then count the assigned operators' new load: an
	/// operator it fills up is no longer eligible for the next request.
	pub(crate) fn route(
		candidates: &mut Candidates<T>,
		request_id: RequestId,
		redundancy: u32,
		sealed: bool,
	) -> Result<Routed<T>, DispatchError> {
		let eligible = &mut candidates.eligible;
		// A sealed request goes only to operators its client can seal to.
		let pool = || eligible.iter().filter(|e| !sealed || e.candidate.has_encryption_key);
		let count = pool().count() as u32;
		ensure!(redundancy > 0 && count >= redundancy, Error::<T>::NotEnoughOperators);
		let wanted = count.min(redundancy.saturating_add(T::MaxBackups::get()));
		let subject = (b"baton/route", request_id).encode();
		let mut chosen = Self::sample(pool(), &subject, wanted).into_iter();
		let assigned: Vec<_> = chosen.by_ref().take(redundancy as usize).collect();
		let backups: Vec<_> = chosen.collect();
		for operator in eligible.iter_mut().filter(|e| assigned.contains(&e.who)) {
			operator.load.saturating_inc();
		}
		eligible.retain(|e| e.load < e.candidate.capacity);
		// `redundancy` is at most `MaxRedundancy` (checked at submission) and the backups at
		// most `MaxBackups` (`wanted`), so both fit.
		Ok(Routed {
			assigned: assigned.try_into().defensive_map_err(|_| Error::<T>::Defensive)?,
			backups: backups.try_into().defensive_map_err(|_| Error::<T>::Defensive)?,
			candidates: candidates.looked_at,
		})
	}

	/// Weighted sampling of `count` operators without replacement, seeded by chain randomness
	/// and `subject` (a request's id, or a session's).
	pub(crate) fn sample<'a>(
		eligible: impl IntoIterator<Item = &'a Eligible<T>>,
		subject: &[u8],
		count: u32,
	) -> Vec<T::AccountId> {
		let mut rng = Self::rng(subject);
		let unit: u128 = T::StakeUnit::get().saturated_into();
		let mut pool: Vec<(&T::AccountId, u128)> = eligible
			.into_iter()
			.map(|e| {
				let bonded: u128 = e.candidate.bonded.saturated_into();
				let weight = thompson_sample(&e.reputation, &mut rng)
					* latency_factor(e.reputation.latency_ms)
					/ MICRO * stake_factor(bonded, unit)
					/ MICRO;
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
