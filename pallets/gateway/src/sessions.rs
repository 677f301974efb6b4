//! Relay sessions as routing sees them, for the relay pallet (`SessionRouting`): the price of
//! a call, and a session's operators, chosen by the formula that chooses a request's. An open
//! session counts as one request against each of its operators' capacity (`SessionLoad`, part
//! of `Load`), so an operator routing fills with sessions gets no more requests, and the other
//! way round.

use alloc::vec::Vec;
use baton_primitives::{ApiId, CallPrice, SessionRouting};
use codec::Encode;
use frame_support::{ensure, pallet_prelude::*};
use sp_runtime::traits::Saturating;

use crate::{requests::decrement, Apis, BalanceOf, Config, Error, Load, Pallet, SessionLoad};

impl<T: Config> SessionRouting<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn call_price(api_id: ApiId) -> Result<CallPrice<BalanceOf<T>>, DispatchError> {
		let api = Self::open_api(api_id)?;
		let operator = api.spec.price_per_call;
		Ok(CallPrice { operator, protocol_fee: T::ProtocolFee::get() * operator })
	}

	fn route_session(
		api_id: ApiId,
		subject: &[u8],
		count: u32,
	) -> Result<Vec<T::AccountId>, DispatchError> {
		let api = Self::open_api(api_id)?;
		let candidates = Self::eligible_for(api_id, &api, &(b"baton/candidates", subject).encode());
		ensure!(
			count > 0 && candidates.eligible.len() as u32 >= count,
			Error::<T>::NotEnoughOperators
		);
		let chosen = Self::sample(&candidates.eligible, &(b"baton/route", subject).encode(), count);
		for operator in &chosen {
			Load::<T>::mutate(operator, |load| load.saturating_inc());
			SessionLoad::<T>::mutate(operator, |sessions| sessions.saturating_inc());
		}
		Ok(chosen)
	}

	fn release_session(operator: &T::AccountId) {
		if SessionLoad::<T>::contains_key(operator) {
			SessionLoad::<T>::mutate_exists(operator, decrement);
			Load::<T>::mutate_exists(operator, decrement);
		}
	}

	fn timeout_ms(api_id: ApiId) -> Option<u32> {
		Apis::<T>::get(api_id).map(|api| api.spec.timeout_ms)
	}
}
