//! Settled re-executions of relayed calls, for the relay pallet's challenges (`Rerun`): the
//! call a receipt answered becomes a request like any other (a `NewRequest`, the challenger its
//! client), routed among the API's operators but the one whose receipt is challenged, and the
//! relay pallet hears how it settled (`Config::OnSettled`, called by settlement.rs).

use baton_primitives::{relay_request_hash, ApiId, RequestId, Rerun, ResultStatus};
use frame_support::pallet_prelude::*;

use crate::{
	settlement::result_key, BalanceOf, Config, Error, HttpMethod, NewRequest, NextRequestId, Pallet,
};

impl<T: Config> Rerun<T::AccountId, BalanceOf<T>> for Pallet<T> {
	type Call = NewRequest<T>;

	fn relay_request_hash(call: &NewRequest<T>) -> [u8; 32] {
		relay_request_hash(call.method.as_str().as_bytes(), &call.path, &call.headers, &call.body)
	}

	fn is_safe(call: &NewRequest<T>) -> bool {
		call.method == HttpMethod::Get
	}

	fn rerun(
		client: &T::AccountId,
		api_id: ApiId,
		call: NewRequest<T>,
		excluded: &T::AccountId,
		min_redundancy: u32,
		status: &ResultStatus,
		body: &[u8],
	) -> Result<(RequestId, [u8; 32]), DispatchError> {
		let api = Self::open_api(api_id)?;
		ensure!(api.redundancy(call.redundancy) >= min_redundancy, Error::<T>::RedundancyTooLow);
		let mut eligible = Self::eligible(api_id, &api);
		eligible.eligible.retain(|candidate| &candidate.who != excluded);
		let request_id = NextRequestId::<T>::get();
		Self::submit(client, api_id, &api, &mut eligible, call)?;
		// The request's terms are the API's spec now: the answer is compared by its ignored
		// fields, as the re-execution's results are.
		Ok((request_id, result_key(status, body, &api.spec.ignored_fields)))
	}
}
