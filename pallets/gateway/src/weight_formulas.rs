//! The weights of the batch calls, composed from their benchmarks: a batch is charged what
//! its parts measured, refunded to what it did.

use baton_primitives::OnSettled;
use frame_support::weights::Weight;

use crate::{Config, WeightInfo};

/// Weight of `submit_requests` routing among `candidates` operators, with requests of
/// `(redundancy, bytes)`: the benchmark of the smallest one-operator requests routed to one
/// candidate; each further candidate read once, sampled for every request after the first
/// and its load written; plus what `submit_request` is charged beyond that for more operators
/// and bytes.
pub fn submit_requests_weight<T: Config>(
	candidates: u32,
	requests: impl ExactSizeIterator<Item = (u32, u32)>,
) -> Weight {
	use frame_support::traits::Get;
	let (count, candidates) = (requests.len() as u32, candidates.max(1));
	let single = |candidates: u32, bytes: u32, redundancy: u32| {
		<T as Config>::WeightInfo::submit_request(candidates, bytes, redundancy)
	};
	let sampled = <T as Config>::WeightInfo::sample_operators(candidates)
		.saturating_sub(<T as Config>::WeightInfo::sample_operators(1));
	let batch = <T as Config>::WeightInfo::submit_requests(count)
		.saturating_add(single(candidates, 1, 1).saturating_sub(single(1, 1, 1)))
		.saturating_add(sampled.saturating_mul(count.saturating_sub(1).into()))
		.saturating_add(T::DbWeight::get().writes(candidates.min(count).saturating_sub(1).into()));
	requests.fold(batch, |weight, (redundancy, bytes)| {
		weight.saturating_add(single(1, bytes, redundancy.max(1)).saturating_sub(single(1, 1, 1)))
	})
}

/// Weight of `report_result` on a request of `redundancy` operators with a body of `body`
/// bytes: its benchmark, plus what the settlement it may make tells `OnSettled`.
pub fn report_result_weight<T: Config>(redundancy: u32, body: u32) -> Weight {
	<T as Config>::WeightInfo::report_result(redundancy, body)
		.saturating_add(T::OnSettled::weight())
}

/// Weight of `report_results` with reports of `(redundancy, body bytes)` on requests of
/// `parties` distinct (client, API) pairs: the benchmark of reports that each settle a
/// one-operator request with the smallest body, one report per pair and the others as in the
/// benchmark of reports sharing a pair, plus what `report_result` is charged beyond that for
/// more operators and bytes.
pub fn report_results_weight<T: Config>(
	parties: u32,
	reports: impl ExactSizeIterator<Item = (u32, u32)>,
) -> Weight {
	let single = |redundancy: u32, body: u32| {
		<T as Config>::WeightInfo::report_result(redundancy.max(1), body)
	};
	let count = reports.len() as u32;
	let parties = parties.clamp(1, count.max(1));
	let shared = <T as Config>::WeightInfo::report_results_shared(count)
		.saturating_sub(<T as Config>::WeightInfo::report_results_shared(parties));
	// Each report may settle its request, which `OnSettled` hears of.
	let settled = T::OnSettled::weight().saturating_mul(count.into());
	let batch = <T as Config>::WeightInfo::report_results(parties)
		.saturating_add(shared)
		.saturating_add(settled);
	reports.fold(batch, |weight, (redundancy, body)| {
		weight.saturating_add(single(redundancy, body).saturating_sub(single(1, 0)))
	})
}
