//! The pallet's invariants (listed in the README).

use frame_support::pallet_prelude::*;

use crate::{
	Config, NextOffenceId, NextToApply, NextToPrune, OffenceIndex, Offences, Offenders, Pallet,
	PendingSlashes, SlashStatus,
};

impl<T: Config> Pallet<T> {
	/// Checks the invariants listed in the README.
	/// Built with `std` too: the other pallets' mocks and the runtime's tests, which build in
	/// release (no `debug_assertions`), check it after every test.
	#[cfg(any(feature = "std", feature = "try-runtime"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let (prune, apply, end) =
			(NextToPrune::<T>::get(), NextToApply::<T>::get(), NextOffenceId::<T>::get());
		ensure!(prune <= apply && apply <= end, "cursors out of order");
		let mut pending = 0u32;
		let mut pending_of = alloc::collections::BTreeMap::<T::AccountId, u32>::new();
		let mut records = 0u64;
		for (id, record) in Offences::<T>::iter() {
			records += 1;
			ensure!(prune <= id && id < end, "record outside the cursors");
			ensure!(
				OffenceIndex::<T>::get((record.kind, record.subject, record.offender.clone()))
					== Some(id),
				"record without its dedup entry"
			);
			if record.status == SlashStatus::Pending {
				ensure!(id >= apply, "pending slash behind the apply cursor");
				pending += 1;
				*pending_of.entry(record.offender).or_default() += 1;
			}
		}
		// A gap would stop the hook at it for good.
		ensure!(records == end - prune, "a record between the cursors is missing");
		for ((kind, subject, offender), id) in OffenceIndex::<T>::iter() {
			let record = Offences::<T>::get(id).ok_or("dedup entry without a record")?;
			ensure!(
				record.kind == kind && record.subject == subject && record.offender == offender,
				"dedup entry points at another offence"
			);
		}
		ensure!(pending == PendingSlashes::<T>::get(), "PendingSlashes is off");
		ensure!(
			Offenders::<T>::iter_keys().count() == pending_of.len(),
			"an offender without pending slashes is listed"
		);
		for (offender, count) in pending_of {
			let entry =
				Offenders::<T>::get(&offender).ok_or("offender with a pending slash unlisted")?;
			ensure!(entry.pending == count, "an offender's pending count is off");
			for (i, (id, _)) in entry.offence_jails.iter().enumerate() {
				ensure!(
					Offences::<T>::get(id).is_some_and(|record| {
						record.status == SlashStatus::Pending && record.offender == offender
					}),
					"a liftable jail of an offence that is not pending"
				);
				ensure!(
					entry.offence_jails[..i].iter().all(|(other, _)| other != id),
					"an offence's jail is listed twice"
				);
			}
		}
		Ok(())
	}
}
