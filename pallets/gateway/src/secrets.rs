//! API secrets: a publisher's key for its upstream, sealed to each operator that may serve the
//! API. The chain checks only who may set them and that each envelope is sealed to its
//! operator's current encryption key; it cannot read them. Operators' nodes open them in their
//! egress client (see `baton_primitives::sealing`).

use baton_primitives::{
	sealing::{api_secret_info, EncryptionKey, Envelope, SealedSecret},
	ApiId, EncryptionKeys,
};
use frame_support::{ensure, pallet_prelude::*};

use crate::{ApiSecretHolders, ApiSecrets, Apis, Config, Error, Event, Pallet};

impl<T: Config> Pallet<T> {
	/// Replaces API `api_id`'s secret with `envelopes`, one per operator; none removes it.
	pub(crate) fn do_set_api_secret(
		who: &T::AccountId,
		api_id: ApiId,
		envelopes: &[(T::AccountId, Envelope)],
	) -> DispatchResult {
		Self::ensure_api_owner(who, api_id)?;
		for (i, (operator, envelope)) in envelopes.iter().enumerate() {
			ensure!(
				!envelopes[..i].iter().any(|(earlier, _)| earlier == operator),
				Error::<T>::DuplicateEnvelope
			);
			Self::ensure_sealed_to(operator, &envelope.recipient)?;
		}
		let old = ApiSecretHolders::<T>::take(api_id).unwrap_or(0);
		let _ = ApiSecrets::<T>::clear_prefix(api_id, old, None);
		for (operator, envelope) in envelopes {
			ApiSecrets::<T>::insert(api_id, operator, envelope);
		}
		let holders = envelopes.len() as u32;
		if holders > 0 {
			ApiSecretHolders::<T>::insert(api_id, holders);
		}
		Self::deposit_event(Event::ApiSecretSet { api_id, holders });
		Ok(())
	}

	/// Gives `operator` API `api_id`'s secret, sealed to it, beside the operators that hold it.
	pub(crate) fn do_grant_api_secret(
		who: &T::AccountId,
		api_id: ApiId,
		operator: &T::AccountId,
		envelope: &Envelope,
	) -> DispatchResult {
		Self::ensure_api_owner(who, api_id)?;
		let holders = ApiSecretHolders::<T>::get(api_id).ok_or(Error::<T>::NoApiSecret)?;
		Self::ensure_sealed_to(operator, &envelope.recipient)?;
		if !ApiSecrets::<T>::contains_key(api_id, operator) {
			ensure!(holders < T::MaxSecretHolders::get(), Error::<T>::TooManySecretHolders);
			ApiSecretHolders::<T>::insert(api_id, holders + 1);
		}
		ApiSecrets::<T>::insert(api_id, operator, envelope);
		Self::deposit_event(Event::ApiSecretGranted { api_id, operator: operator.clone() });
		Ok(())
	}

	fn ensure_api_owner(who: &T::AccountId, api_id: ApiId) -> DispatchResult {
		let api = Apis::<T>::get(api_id).ok_or(Error::<T>::UnknownApi)?;
		ensure!(&api.owner == who, Error::<T>::NotApiOwner);
		Ok(())
	}

	/// Refuses an envelope sealed to `recipient` that its operator's node could not open: the
	/// operator published no encryption key, or the envelope is sealed to another (e.g. one it
	/// rotated away from). For API secrets and sealed requests alike.
	pub(crate) fn ensure_sealed_to(
		operator: &T::AccountId,
		recipient: &EncryptionKey,
	) -> DispatchResult {
		let key = T::Operators::encryption_key(operator).ok_or(Error::<T>::NoEncryptionKey)?;
		ensure!(*recipient == key, Error::<T>::NotOperatorsEncryptionKey);
		Ok(())
	}

	/// Whether `operator` may serve API `api_id`: it holds the API's secret, or the API has
	/// none. An operator without it would call the upstream unauthorised and lose the majority.
	pub(crate) fn may_serve(api_id: ApiId, operator: &T::AccountId) -> bool {
		!ApiSecretHolders::<T>::contains_key(api_id)
			|| ApiSecrets::<T>::contains_key(api_id, operator)
	}

	/// The secret `operator`'s node adds to its calls to API `api_id`, sealed, with what the
	/// envelope is bound to on this chain.
	pub fn sealed_secret(api_id: ApiId, operator: &T::AccountId) -> Option<SealedSecret> {
		let envelope = ApiSecrets::<T>::get(api_id, operator)?;
		let info = api_secret_info(&baton_primitives::genesis_hash::<T>(), api_id, operator);
		Some(SealedSecret { envelope, info })
	}
}
