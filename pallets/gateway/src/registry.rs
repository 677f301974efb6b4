//! The API registry: publishers register, update and pause the APIs operators serve.

use baton_primitives::ApiId;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, MutateHold},
		tokens::{Fortitude, Preservation},
	},
};
use sp_runtime::traits::Zero;

use crate::{
	Api, ApiSpec, Apis, Config, Error, Event, HoldReason, NextApiId, Pallet, PrivateBaseUrlsAllowed,
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_register_api(owner: &T::AccountId, spec: ApiSpec<T>) -> DispatchResult {
		Self::ensure_valid_spec(&spec)?;
		let api_id = NextApiId::<T>::get();
		let next = api_id.checked_add(1).ok_or(sp_runtime::ArithmeticError::Overflow)?;
		let deposit = T::ApiDeposit::get();
		if !deposit.is_zero() {
			let spare =
				T::Currency::reducible_balance(owner, Preservation::Preserve, Fortitude::Polite);
			ensure!(spare >= deposit, sp_runtime::TokenError::FundsUnavailable);
			T::Currency::hold(&HoldReason::ApiDeposit.into(), owner, deposit)?;
		}
		Apis::<T>::insert(api_id, Api { owner: owner.clone(), deposit, paused: false, spec });
		NextApiId::<T>::put(next);
		Self::deposit_event(Event::ApiRegistered { api_id, owner: owner.clone() });
		Ok(())
	}

	pub(crate) fn do_update_api(
		who: &T::AccountId,
		api_id: ApiId,
		spec: ApiSpec<T>,
	) -> DispatchResult {
		Self::ensure_valid_spec(&spec)?;
		Apis::<T>::try_mutate(api_id, |api| {
			let api = api.as_mut().ok_or(Error::<T>::UnknownApi)?;
			ensure!(&api.owner == who, Error::<T>::NotApiOwner);
			api.spec = spec;
			Self::deposit_event(Event::ApiUpdated { api_id });
			Ok(())
		})
	}

	/// `owner` is `None` when governance pauses.
	pub(crate) fn do_pause_api(
		owner: Option<&T::AccountId>,
		api_id: ApiId,
		paused: bool,
	) -> DispatchResult {
		Apis::<T>::try_mutate(api_id, |api| {
			let api = api.as_mut().ok_or(Error::<T>::UnknownApi)?;
			ensure!(owner.is_none_or(|who| &api.owner == who), Error::<T>::NotApiOwner);
			ensure!(api.paused != paused, Error::<T>::PauseUnchanged);
			api.paused = paused;
			Self::deposit_event(if paused {
				Event::ApiPaused { api_id }
			} else {
				Event::ApiResumed { api_id }
			});
			Ok(())
		})
	}

	fn ensure_valid_spec(spec: &ApiSpec<T>) -> DispatchResult {
		let url = &spec.base_url[..];
		let host = url
			.strip_prefix(b"https://")
			.or_else(|| url.strip_prefix(b"http://"))
			.ok_or(Error::<T>::InvalidBaseUrl)?;
		ensure!(
			!host.is_empty()
				&& !host.starts_with(b"/")
				&& !url.ends_with(b"/")
				&& url.iter().all(|c| c.is_ascii_graphic()),
			Error::<T>::InvalidBaseUrl
		);
		ensure!(
			PrivateBaseUrlsAllowed::<T>::get()
				|| !baton_primitives::egress::names_private_host(url),
			Error::<T>::PrivateBaseUrl
		);
		let methods = &spec.methods;
		ensure!(
			!methods.is_empty()
				&& methods.iter().enumerate().all(|(i, m)| !methods[..i].contains(m)),
			Error::<T>::InvalidMethods
		);
		ensure!(!spec.price_per_call.is_zero(), Error::<T>::ZeroPrice);
		ensure!(
			spec.max_response_bytes > 0 && spec.max_response_bytes <= T::MaxResponseLen::get(),
			Error::<T>::InvalidResponseCap
		);
		ensure!(
			spec.timeout_ms > 0 && spec.timeout_ms <= T::MaxTimeoutMs::get(),
			Error::<T>::InvalidTimeout
		);
		ensure!(
			spec.default_redundancy > 0 && spec.default_redundancy <= T::MaxRedundancy::get(),
			Error::<T>::InvalidRedundancy
		);
		let fields = &spec.ignored_fields;
		ensure!(
			fields
				.iter()
				.enumerate()
				.all(|(i, field)| !field.is_empty() && !fields[..i].contains(field)),
			Error::<T>::InvalidIgnoredField
		);
		Ok(())
	}
}
