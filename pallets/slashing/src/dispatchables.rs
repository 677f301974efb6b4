//! What governance's calls do: cancel a deferred slash, jail in an emergency, set the
//! penalties and parameters.

use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, Zero};

use crate::{
	Config, Error, Event, OffenceId, OffenceKind, Offences, Offenders, Pallet, Params, Penalties,
	Penalty, SlashStatus, SlashingParams,
};
use baton_primitives::SlashTarget;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_cancel(offence_id: OffenceId) -> DispatchResult {
		let mut record = Offences::<T>::get(offence_id).ok_or(Error::<T>::UnknownOffence)?;
		ensure!(record.status == SlashStatus::Pending, Error::<T>::NotPending);
		record.status = SlashStatus::Cancelled;
		Offences::<T>::insert(offence_id, &record);
		Self::deposit_event(Event::SlashCancelled { offence_id });
		let now = frame_system::Pallet::<T>::block_number();
		if let Some(until) = Self::settle(&record.offender, offence_id, SlashStatus::Cancelled, now)
		{
			// The staking pallet announces it (`JailLifted`) if the jail changes.
			T::Target::lift_jail(&record.offender, until);
		}
		Ok(())
	}

	pub(crate) fn do_jail(operator: &T::AccountId, duration: BlockNumberFor<T>) -> DispatchResult {
		ensure!(!duration.is_zero() && duration <= T::MaxJail::get(), Error::<T>::InvalidJail);
		let until = frame_system::Pallet::<T>::block_number().saturating_add(duration);
		T::Target::jail(operator, until)?;
		// No cancel lifts governance's jail.
		Offenders::<T>::mutate_extant(operator, |pending| {
			pending.jailed_until = pending.jailed_until.max(until);
		});
		Ok(())
	}

	pub(crate) fn do_set_penalty(
		kind: OffenceKind,
		penalty: Penalty<BlockNumberFor<T>>,
	) -> DispatchResult {
		ensure!(penalty.jail <= T::MaxJail::get(), Error::<T>::InvalidJail);
		Penalties::<T>::insert(kind, penalty);
		Self::deposit_event(Event::PenaltySet { kind, penalty });
		Ok(())
	}

	pub(crate) fn do_set_params(params: SlashingParams<BlockNumberFor<T>>) -> DispatchResult {
		ensure!(params.slash_deferral <= T::MaxSlashDeferral::get(), Error::<T>::DeferralTooLong);
		Params::<T>::put(params);
		Self::deposit_event(Event::ParamsSet { params });
		Ok(())
	}
}
