//! Offences reported by the other pallets: counted once each, deferred, and jailed at once.

use baton_primitives::{
	CompensatedOffence, OffenceError, OffenceKind, OffenceSubject, PendingSlash, ReportOffence,
	SlashTarget,
};
use frame_support::pallet_prelude::*;
use sp_runtime::traits::{Saturating, Zero};

use crate::{
	BalanceOf, Config, Event, NextOffenceId, OffenceIndex, OffenceRecord, Offences, Offenders,
	Pallet, Params, Penalties, PendingOffender, PendingSlashes, SlashStatus,
};

impl<T: Config> PendingSlash<T::AccountId> for Pallet<T> {
	fn has_pending_slash(who: &T::AccountId) -> bool {
		Offenders::<T>::contains_key(who)
	}
}

impl<T: Config> ReportOffence<T::AccountId> for Pallet<T> {
	fn report_offence(
		kind: OffenceKind,
		subject: OffenceSubject,
		offender: &T::AccountId,
		beneficiary: Option<T::AccountId>,
	) -> Result<(), OffenceError> {
		Self::record_offence(kind, subject, offender, beneficiary, Zero::zero())
	}
}

impl<T: Config> CompensatedOffence<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn report_compensated_offence(
		kind: OffenceKind,
		subject: OffenceSubject,
		offender: &T::AccountId,
		beneficiary: T::AccountId,
		compensation: BalanceOf<T>,
	) -> Result<(), OffenceError> {
		Self::record_offence(kind, subject, offender, Some(beneficiary), compensation)
	}
}

impl<T: Config> Pallet<T> {
	/// Records an offence, jails the offender and schedules its slash; see `ReportOffence`.
	fn record_offence(
		kind: OffenceKind,
		subject: OffenceSubject,
		offender: &T::AccountId,
		beneficiary: Option<T::AccountId>,
		compensation: BalanceOf<T>,
	) -> Result<(), OffenceError> {
		let key = (kind, subject, offender.clone());
		ensure!(!OffenceIndex::<T>::contains_key(&key), OffenceError::Duplicate);
		ensure!(!T::Target::slashable_stake(offender).is_zero(), OffenceError::UnknownOffender);

		let now = frame_system::Pallet::<T>::block_number();
		// Jails from before its first pending offence are none a cancel may lift.
		let mut pending = Offenders::<T>::get(offender).unwrap_or_else(|| {
			PendingOffender::new(T::Target::jailed_until(offender).unwrap_or_default())
		});
		pending.pending.saturating_inc();
		let costs = Penalties::<T>::get(kind);
		let apply_at = now.saturating_add(Params::<T>::get().slash_deferral);
		let offence_id = NextOffenceId::<T>::mutate(|id| {
			let this = *id;
			*id += 1;
			this
		});
		Offences::<T>::insert(
			offence_id,
			OffenceRecord {
				kind,
				subject,
				offender: offender.clone(),
				beneficiary,
				compensation,
				slash: costs.slash,
				reported_at: now,
				apply_at,
				status: SlashStatus::Pending,
			},
		);
		OffenceIndex::<T>::insert(key, offence_id);
		PendingSlashes::<T>::mutate(|n| n.saturating_inc());
		Self::deposit_event(Event::OffenceReported {
			offence_id,
			kind,
			subject,
			offender: offender.clone(),
			slash: costs.slash,
			apply_at,
		});

		if !costs.jail.is_zero() {
			let until = now.saturating_add(costs.jail);
			// The offence stands even if the jail cannot be recorded. The target announces the
			// jail (`operatorStaking.Jailed`): it owns the operator's record.
			if T::Target::jail(offender, until).is_ok() {
				pending.add_jail(offence_id, until, now);
			}
		}
		Offenders::<T>::insert(offender, pending);
		Ok(())
	}
}
